"""Start-up benchmark: prima's commands against the import floors of the libraries it uses.

    python bench/startup.py [--runs 15] [--warmups 2] [--venues 1000] [--check]

Each figure is the median wall time of fresh processes (runs of all commands interleaved so
machine drift affects them alike). Goals (issue 7): ``--help`` and ``--version`` at most 1.5x
``python -c "import typer"``; data commands at most 1.15x ``python -c "import sqlmodel,
typer, rich"``. Exit 0 (a report), or with ``--check`` exit 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, clean_env, measure_interleaved, ms, prima_cmd, run_checked, table

FLOOR_TYPER = "import typer"
FLOOR_DATA = "import sqlmodel, typer, rich"


def seed_venues(data_dir: Path, count: int) -> None:
    """``prima db migrate`` (the real CLI), then ``count`` venues in one transaction."""
    env = clean_env(PRIMA_DATA_DIR=str(data_dir))
    run_checked([*prima_cmd(), "db", "migrate", "--json"], env)

    import sqlalchemy as sa

    from prima_cli.store.models import Venue
    from prima_cli.store.store import Store
    from prima_cli.store.types import utcnow

    store = Store(f"sqlite:///{data_dir / 'prima.db'}")  # the CLI's default file there
    now = utcnow()
    zones = ("Europe/Madrid", "Europe/Lisbon", "America/Mexico_City", "UTC")
    rows = [
        {
            "name": f"Venue {i:04d}",
            "slug": f"venue-{i:04d}",
            "timezone": zones[i % len(zones)],
            "country": "ES",
            "created_at": now,
            "updated_at": now,
            "uses_covermanager": False,
            "covermanager_sync_enabled": False,
        }
        for i in range(count)
    ]
    with store.engine.begin() as conn:
        conn.execute(sa.insert(Venue.__table__), rows)  # type: ignore[arg-type]
    store.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs per command")
    parser.add_argument("--warmups", type=int, default=2, help="unmeasured runs first")
    parser.add_argument("--venues", type=int, default=1000, help="venues in the store")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)

    prima = prima_cmd()
    with tempfile.TemporaryDirectory(prefix="prima-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        seed_venues(data_dir, args.venues)
        env = clean_env(PRIMA_DATA_DIR=str(data_dir))
        listed = run_checked([*prima, "venues", "list", "--json"], env).stdout
        if listed.count('"slug"') != args.venues:
            raise SystemExit(f"expected {args.venues} venues in the store")

        # name -> (command, floor name, goal ratio)
        cases = {
            "prima --version": ([*prima, "--version"], "typer", 1.5),
            "prima --help": ([*prima, "--help"], "typer", 1.5),
            f"prima venues list --json ({args.venues} venues)": (
                [*prima, "venues", "list", "--json"],
                "sqlmodel+typer+rich",
                1.15,
            ),
        }
        floors = {
            "typer": [PYTHON, "-c", FLOOR_TYPER],
            "sqlmodel+typer+rich": [PYTHON, "-c", FLOOR_DATA],
        }
        commands = {**{f"floor {k}": v for k, v in floors.items()}}
        commands.update({name: cmd for name, (cmd, _f, _g) in cases.items()})
        medians = measure_interleaved(commands, env, runs=args.runs, warmups=args.warmups)

    rows: list[list[object]] = []
    for name, cmd in floors.items():
        rows.append([f'python -c "{cmd[-1]}"', ms(medians[f"floor {name}"]), "-", "-", "-", ""])
    failed = []
    for name, (_cmd, floor, goal) in cases.items():
        ratio = medians[name] / medians[f"floor {floor}"]
        verdict = "PASS" if ratio <= goal else "FAIL"
        if verdict == "FAIL":
            failed.append(name)
        rows.append([name, ms(medians[name]), floor, f"{ratio:.2f}x", f"<= {goal}x", verdict])
    print(
        f"start-up: median of {args.runs} fresh processes after {args.warmups} warm-ups "
        f"({Path(PYTHON).parent})"
    )
    print(table(["command", "median ms", "floor", "ratio", "goal", "result"], rows))
    if failed:
        print(f"\n{len(failed)} goal(s) missed: {', '.join(failed)}")
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
