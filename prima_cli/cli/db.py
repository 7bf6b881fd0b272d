"""`prima db ...`: schema migrations."""

from __future__ import annotations

from prima_cli.cli.options import JSON, group
from prima_cli.cli.state import current

app = group("Create and upgrade the database schema.")


@app.command("migrate")
def migrate(json: bool = JSON) -> None:
    """Upgrade the schema to the newest revision (idempotent; adopts legacy exports)."""
    from prima_cli.store import migrate as migrations

    state = current()
    out = state.use_json(json)
    store = state.store(require_schema=False, create=True)
    result = migrations.upgrade(store)
    if json:
        out.json(
            {
                "database": store.display_url,
                "from_revision": result.from_revision,
                "to_revision": result.to_revision,
                "applied": result.applied,
                "adopted_legacy": result.adopted_legacy,
                "notes": result.notes,
            }
        )
        return
    if result.adopted_legacy:
        out.info(
            "found a legacy venues table without version information: "
            "adopted it as revision 0001_legacy_venues"
        )
    for note in result.notes:
        out.info(note)
    if result.applied:
        out.success(
            f"migrated {store.display_url} from {result.from_revision or 'empty'} "
            f"to {result.to_revision} ({len(result.applied)} revision(s))"
        )
    else:
        out.success(f"{store.display_url} is already at {result.to_revision}; nothing to do")


@app.command("status")
def status(json: bool = JSON) -> None:
    """Show the current and pending schema revisions."""
    from prima_cli.store import migrate as migrations

    state = current()
    out = state.use_json(json)
    store = state.store(require_schema=False)
    st = migrations.status(store)
    data = {
        "database": store.display_url,
        "current": st.current,
        "head": st.head,
        "pending": st.pending,
        "up_to_date": st.up_to_date,
        "adoptable_legacy": st.adoptable_legacy,
    }
    if json:
        out.json(data)
    else:
        out.record(
            [
                ("database", store.display_url),
                ("current", st.current or "(none)"),
                ("head", st.head),
                ("pending", ", ".join(st.pending) or "(none)"),
                (
                    "legacy export",
                    "yes: `prima db migrate` will adopt it" if st.adoptable_legacy else "no",
                ),
            ]
        )
