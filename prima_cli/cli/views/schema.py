"""How the schema commands and the health check look."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.cli.output import Column
from prima_cli.cli.render import View

if TYPE_CHECKING:
    from prima_cli.core.doctor import DoctorReport
    from prima_cli.store.migrate import MigrateResult, SchemaStatus


def _migrated(r: MigrateResult) -> dict[str, Any]:
    return {"database": r.database, "from_revision": r.from_revision,
            "to_revision": r.to_revision, "applied": r.applied,
            "adopted_legacy": r.adopted_legacy, "notes": r.notes}  # fmt: skip


def _migrated_line(r: MigrateResult) -> str:
    lines = list(r.notes)
    if r.adopted_legacy:
        lines.insert(0, "found a legacy venues table without version information: adopted it "
                     "as revision 0001_legacy_venues")  # fmt: skip
    if r.applied:
        lines.append(f"migrated {r.database} from {r.from_revision or 'empty'} to "
                     f"{r.to_revision} ({len(r.applied)} revision(s))")  # fmt: skip
    else:
        lines.append(f"{r.database} is already at {r.to_revision}; nothing to do")
    return "\n".join(lines)


MIGRATED: View[MigrateResult] = View(json=_migrated, message=_migrated_line)


def _status(st: SchemaStatus) -> dict[str, Any]:
    return {"database": st.database, "current": st.current, "head": st.head,
            "pending": st.pending, "up_to_date": st.up_to_date,
            "adoptable_legacy": st.adoptable_legacy}  # fmt: skip


def _status_fields(st: SchemaStatus) -> list[tuple[str, Any]]:
    legacy = "yes: `prima db migrate` will adopt it" if st.adoptable_legacy else "no"
    return [("database", st.database), ("current", st.current or "(none)"), ("head", st.head),
            ("pending", ", ".join(st.pending) or "(none)"), ("legacy export", legacy)]  # fmt: skip


STATUS: View[SchemaStatus] = View(json=_status, record=_status_fields)


def _doctor(r: DoctorReport) -> dict[str, Any]:
    return {
        "healthy": r.healthy,
        "prima_version": r.prima_version,
        "python_version": r.python_version,
        "data_dir": r.data_dir,
        "database": {"url": r.database_url, "source": r.database_source},
        "schema": {"current": r.schema_current, "head": r.schema_head},
        "platform_types": r.platform_types,
        "broken_plugins": r.broken_plugins,
        "unresolved_secrets": r.unresolved_secrets,
        "literal_secrets": r.literal_secrets,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in r.checks],
    }


def _doctor_fields(r: DoctorReport) -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = [
        ("prima", r.prima_version),
        ("python", r.python_version),
        ("data directory", r.data_dir),
        ("database", f"{r.database_url} (from {r.database_source})"),
        ("schema", f"{r.schema_current or '(none)'} (head {r.schema_head})"),
        ("platform types", ", ".join(f"{k} {v}" for k, v in r.platform_types.items())),
    ]
    fields += [(f"literal secret {x['venue']}/{x['platform_type']}", ", ".join(x["keys"]))
               for x in r.literal_secrets]  # fmt: skip
    fields += [(f"check {c.name}", ("ok" if c.ok else "FAILED") + (f": {c.detail}"
               if c.detail else "")) for c in r.checks]  # fmt: skip
    return fields


DOCTOR: View[DoctorReport] = View(json=_doctor, record=_doctor_fields)
#: `doctor --quiet`: no report (the failed checks are its warnings)
DOCTOR_QUIET: View[DoctorReport] = View(json=_doctor)
CHECK_COLUMNS = (Column("check", "Check"), Column("ok", "OK"), Column("detail", "Detail"))
