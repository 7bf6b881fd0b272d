"""`prima doctor`: is this installation healthy? Exit 0 when it is, 78 otherwise."""

from __future__ import annotations

import typer

from prima_cli.cli.output import Column
from prima_cli.cli.state import current
from prima_cli.errors import ExitCode


def doctor(json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """Check versions, data directory, database, schema, platform types and secrets."""
    from prima_cli.core.doctor import diagnose

    state = current()
    out = state.use_json(json)
    report = diagnose(state.db)
    if json:
        out.json(
            {
                "healthy": report.healthy,
                "prima_version": report.prima_version,
                "python_version": report.python_version,
                "data_dir": report.data_dir,
                "database": {"url": report.database_url, "source": report.database_source},
                "schema": {"current": report.schema_current, "head": report.schema_head},
                "platform_types": report.platform_types,
                "broken_plugins": report.broken_plugins,
                "unresolved_secrets": report.unresolved_secrets,
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
            }
        )
    else:
        out.record(
            [
                ("prima", report.prima_version),
                ("python", report.python_version),
                ("data directory", report.data_dir),
                ("database", f"{report.database_url} (from {report.database_source})"),
                ("schema", f"{report.schema_current or '(none)'} (head {report.schema_head})"),
                ("platform types", ", ".join(f"{k} {v}" for k, v in report.platform_types.items())),
            ]
        )
        out.table(
            (Column("check", "Check"), Column("ok", "OK"), Column("detail", "Detail")),
            [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
        )
        for item in report.unresolved_secrets:
            out.warn(
                f"{item['venue']}/{item['platform_type']}: "
                + ", ".join(
                    f"{k} -> {r} is not set"
                    for k, r in zip(item["keys"], item["references"], strict=True)
                )
            )
        for plugin in report.broken_plugins:
            out.warn(f"platform plugin {plugin['name']} failed to load: {plugin['error']}")
    raise typer.Exit(int(ExitCode.OK if report.healthy else ExitCode.CONFIG))
