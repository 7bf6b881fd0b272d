"""How `prima db prune` looks: what it removed (or would remove), counted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.cli.render import View

if TYPE_CHECKING:
    from prima_cli.core.prune import PruneReport


def _prune(r: PruneReport) -> dict[str, Any]:
    removed = {"runs": r.runs, "results": r.results, "snapshots": r.snapshots}
    return {"cutoff": r.cutoff, "dry_run": r.dry_run, "removed": removed}


def _fields(r: PruneReport) -> list[tuple[str, Any]]:
    return [("sync runs", r.runs), ("sync results", r.results),
            ("availability snapshots", r.snapshots)]  # fmt: skip


def _line(r: PruneReport) -> str:
    verb = "would remove" if r.dry_run else "removed"
    return (f"{verb} {r.runs} sync run(s), {r.results} result(s) and {r.snapshots} availability "
            f"snapshot(s) from before {r.cutoff.isoformat(timespec='seconds')}")  # fmt: skip


PRUNED: View[PruneReport] = View(json=_prune, record=_fields, message=_line)
#: --quiet: nothing (cron mails only failures)
PRUNED_QUIET: View[PruneReport] = View(json=_prune)
