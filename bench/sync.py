"""Sync benchmark: N connections against the simulator with a fixed latency per request.

Prints the wall time of `prima platforms sync`, the bound (requests / concurrency x latency),
their ratio, the time of the same work one connection after another (as the reference system
did; measured on a sample and scaled, unless --full-sequential), the speed-up, and the peak
memory (max RSS) of the sync process. Goals: ratio <= 1.25, speed-up >= 30x, max RSS <= 150 MB.

    python bench/sync.py [--connections 1000] [--latency-ms 50] [--concurrency 25]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PRIMA = str(BIN / "prima")


def start_sandbox(latency_ms: int) -> tuple[subprocess.Popen[str], dict]:
    proc = subprocess.Popen(
        [PRIMA, "sandbox", "serve", "--port", "0", "--json", "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    text = ""
    while True:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the sandbox did not start")
        text += line
        try:
            return proc, json.loads(text)
        except json.JSONDecodeError:
            continue


def make_store(url: str, creds: dict, count: int) -> None:
    """Migrate, then insert venues and CoverManager connections in bulk (not N CLI calls)."""
    subprocess.run([PRIMA, "--db", url, "db", "migrate"], check=True, capture_output=True)
    import sqlalchemy as sa

    from prima_cli.store.types import utcnow

    cm = creds["covermanager"]
    restaurants = [r["restaurant_id"] if "restaurant_id" in r else r["slug"]
                   for r in cm["restaurants"] if r["can_book"]]  # fmt: skip
    engine = sa.create_engine(url)
    now = utcnow().replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO venues (id, name, slug, timezone, country, created_at, updated_at,"
                    " uses_covermanager, covermanager_sync_enabled) VALUES (:id, :name, :slug,"
                    " 'Europe/Madrid', 'ES', :now, :now, false, false)"),
            [{"id": i, "name": f"Venue {i}", "slug": f"venue-{i:04d}", "now": now}
             for i in range(1, count + 1)],
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO venue_platforms (venue_id, platform_type, is_enabled, priority,"
                    " configuration, created_at, updated_at) VALUES (:v, 'covermanager', true, 1,"
                    " :config, :now, :now)"),
            [{"v": i, "now": now, "config": json.dumps({
                "restaurant_id": restaurants[i % len(restaurants)],
                "api_key": cm["api_key"], "base_url": cm["base_url"]})}
             for i in range(1, count + 1)],
        )  # fmt: skip
    engine.dispose()


def timed_sync(url: str, concurrency: int, venue_args: list[str]) -> tuple[float, float, dict]:
    """Wall seconds, max RSS (MB) of the sync process, and its JSON run record."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(
        [PRIMA, "--db", url, "platforms", "sync", "--days", "7", "--concurrency",
         str(concurrency), "--json", *venue_args],
        capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"sync exited {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed, max(rss, before) / 1024, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--sample", type=int, default=40, help="connections for the sequential run")
    parser.add_argument("--full-sequential", action="store_true")
    args = parser.parse_args()
    sandbox, creds = start_sandbox(args.latency_ms)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            make_store(url, creds, args.connections)
            # requests per connection: restaurant/list, the calendar, get_reservs
            per_connection = 3
            requests = args.connections * per_connection
            wall, rss, run = timed_sync(url, args.concurrency, [])
            assert run["counts"]["ok"] == args.connections, run["counts"]
            bound = requests / args.concurrency * args.latency_ms / 1000
            sample = (
                args.connections if args.full_sequential else min(args.sample, args.connections)
            )
            seq_url = f"sqlite:///{Path(tmp) / 'seq.db'}"
            make_store(seq_url, creds, sample)
            seq_wall, _rss, _run = timed_sync(seq_url, 1, [])
            sequential = seq_wall * args.connections / sample
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    ratio = wall / bound
    speedup = sequential / wall

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    scaled = "measured" if sample == args.connections else f"measured on {sample}, scaled"
    rows = [
        ("connections", f"{args.connections}", ""),
        ("latency per request", f"{args.latency_ms} ms", ""),
        ("requests", f"{requests}", f"{per_connection} per connection"),
        ("concurrency", f"{args.concurrency}", ""),
        ("sync wall time", f"{wall:.2f} s", ""),
        ("bound (requests / concurrency x latency)", f"{bound:.2f} s", ""),
        ("ratio to the bound", f"{ratio:.2f}x", f"goal <= 1.25x {verdict(ratio <= 1.25)}"),
        ("one connection after another", f"{sequential:.1f} s", scaled),
        ("speed-up", f"{speedup:.0f}x", f"goal >= 30x {verdict(speedup >= 30)}"),
        ("max RSS of the sync process", f"{rss:.0f} MB", f"goal <= 150 MB {verdict(rss <= 150)}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
