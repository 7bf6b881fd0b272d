"""Sync benchmark: N connections against the simulator with a fixed latency per request.

For ``prima platforms sync`` over N CoverManager connections (1,000 by default) it prints:
the wall time; the requests the simulator actually served; the bound (requests /
concurrency x latency) and the ratio to it; the time of the same work done one connection
after another, as the reference system did (measured on a sample and scaled, unless
--full-sequential); the speed-up; the sync process's CPU time and peak memory (max RSS).

It also prints two floors:

* the *httpx floor*: the same requests (endpoints and count checked against the sync's) made
  by bare httpx clients, one kept-alive connection each, against the same simulator, with
  nothing of prima around them and no start-up (``bench/httpx_floor.py``, its own process).
  When its ratio is above the goal, the goal is out of reach for the HTTP stack itself on
  this machine, however little prima adds;
* the *latency-free floor*: the same sync against a simulator that answers at once. That is
  what the work costs in CPU on this machine (client and simulator share its cores).

Goals (at the main --concurrency): ratio <= 1.25, speed-up >= 30x, max RSS <= 150 MB.
``--sweep 10,25,40`` adds a row per concurrency (wall, bound, ratio, speed-up).

    python bench/sync.py [--connections 1000] [--latency-ms 50] [--concurrency 50]
                         [--sweep 10,25,40] [--sample 40] [--full-sequential] [--check]

The simulator runs inside this script's process (threads), not in the measured one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, clean_env, prima_cmd, table

from prima_cli.sandbox import Sandbox, SandboxConfig

GOAL_RATIO, GOAL_SPEEDUP, GOAL_RSS_MB = 1.25, 30.0, 150.0

# Runs argv[1:] with stdout to a file; prints exit code, peak RSS (KiB) and CPU seconds of
# that child alone (a small wrapper, so this process's pages do not count).
_WRAPPER = """
import os, subprocess, sys
with open(sys.argv[1], "wb") as out:
    proc = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
print(os.waitstatus_to_exitcode(status), rss, usage.ru_utime + usage.ru_stime)
sys.stderr.write(err.decode(errors="replace")[-2000:])
"""


@dataclass(frozen=True)
class Run:
    wall: float
    requests: int
    rss_mb: float
    cpu: float
    ok: int
    endpoints: Counter[str]


def endpoints(sandbox: Sandbox) -> Counter[str]:
    """Requests the simulator served per CoverManager endpoint (``restaurant/list``...)."""
    prefix = "/covermanager/api/"
    return Counter(
        "/".join(r.path.removeprefix(prefix).split("/")[:2])
        for r in sandbox.requests_log
        if r.path.startswith(prefix)
    )


#: the budget of the bench's key when it is not the subject: pacing must not be the bound
UNPACED = "10000/s,burst=100"


def make_store(url: str, creds: dict, count: int, rate_limit: str = UNPACED) -> None:
    """Migrate, then insert venues and CoverManager connections in bulk (not N CLI calls),
    all on the simulator's one key with budget ``rate_limit``."""
    import subprocess

    import sqlalchemy as sa

    from prima_cli.store.types import utcnow

    subprocess.run([*prima_cmd(), "--db", url, "db", "migrate"], check=True,
                   capture_output=True, env=clean_env())  # fmt: skip
    cm = creds["covermanager"]
    restaurants = [r["slug"] for r in cm["restaurants"] if r["can_book"]]
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
        conn.execute(  # the configuration bound as JSON: a JSON column on every backend
            sa.text("INSERT INTO venue_platforms (venue_id, platform_type, is_enabled, priority,"
                    " configuration, created_at, updated_at) VALUES (:v, 'covermanager', true, 1,"
                    " :config, :now, :now)").bindparams(sa.bindparam("config", type_=sa.JSON)),
            [{"v": i, "now": now, "config": {
                "restaurant_id": restaurants[i % len(restaurants)],
                "api_key": cm["api_key"], "base_url": cm["base_url"],
                "rate_limit": rate_limit}}
             for i in range(1, count + 1)],
        )  # fmt: skip
    engine.dispose()


def timed_sync(sandbox: Sandbox, connections: int, concurrency: int) -> Run:
    """One sync of ``connections`` fresh connections; the simulator counts the requests."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        make_store(url, sandbox.credentials().to_dict(), connections)
        out = Path(tmp) / "run.json"
        sandbox.clear_requests_log()
        cmd = [*prima_cmd(), "--db", url, "platforms", "sync", "--days", "7",
               "--concurrency", str(concurrency), "--json"]  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.run([PYTHON, "-c", _WRAPPER, str(out), *cmd], env=clean_env(),
                              capture_output=True, text=True)  # fmt: skip
        wall = time.perf_counter() - started
        requests = len(sandbox.requests_log)
        served = endpoints(sandbox)
        code, rss, cpu = proc.stdout.split()
        if int(code) != 0:
            raise SystemExit(f"sync exited {code}: {proc.stderr}")
        counts = json.loads(out.read_text())["counts"]
    if counts["ok"] != connections:
        raise SystemExit(f"not every connection synced: {counts}")
    return Run(wall, requests, int(rss) / 1024, float(cpu), counts["ok"], served)


@dataclass(frozen=True)
class Floor:
    wall: float
    cpu: float


def httpx_floor(sandbox: Sandbox, sync_run: Run, connections: int, concurrency: int) -> Floor:
    """``bench/httpx_floor.py`` against ``sandbox``: the sync's requests, bare httpx only."""
    import subprocess

    cm = sandbox.credentials().to_dict()["covermanager"]
    slugs = ",".join(r["slug"] for r in cm["restaurants"] if r["can_book"])
    script = Path(__file__).resolve().parent / "httpx_floor.py"
    sandbox.clear_requests_log()
    proc = subprocess.run([PYTHON, str(script), "--base-url", cm["base_url"],
                           "--api-key", cm["api_key"], "--restaurants", slugs,
                           "--connections", str(connections), "--concurrency", str(concurrency)],
                          env=clean_env(), capture_output=True, text=True)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"httpx floor exited {proc.returncode}: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout)
    made = endpoints(sandbox)
    if made != sync_run.endpoints:  # the floor must replay what the sync did
        raise SystemExit(f"the httpx floor made {dict(made)}, the sync "
                         f"{dict(sync_run.endpoints)}: update bench/httpx_floor.py")  # fmt: skip
    return Floor(out["wall"], out["cpu"])  # its requests: checked against the sync's above


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--sweep", default="", help="more concurrencies, comma-separated")
    parser.add_argument("--sample", type=int, default=40, help="connections for the sequential run")
    parser.add_argument("--full-sequential", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    sweep = [int(c) for c in args.sweep.split(",") if c.strip()]

    with Sandbox(SandboxConfig(latency_ms=args.latency_ms)) as sandbox:
        main_run = timed_sync(sandbox, args.connections, args.concurrency)
        sample = args.connections if args.full_sequential else min(args.sample, args.connections)
        seq = timed_sync(sandbox, sample, 1)
        others = {c: timed_sync(sandbox, args.connections, c) for c in sweep}
        stack = httpx_floor(sandbox, main_run, args.connections, args.concurrency)
    with Sandbox(SandboxConfig(latency_ms=0)) as instant:
        floor = timed_sync(instant, args.connections, args.concurrency)

    sequential = seq.wall * args.connections / sample

    def bound(run: Run, concurrency: int) -> float:
        return run.requests / concurrency * latency

    ratio = main_run.wall / bound(main_run, args.concurrency)
    speedup = sequential / main_run.wall
    checks = {"ratio": ratio <= GOAL_RATIO, "speedup": speedup >= GOAL_SPEEDUP,
              "rss": main_run.rss_mb <= GOAL_RSS_MB}  # fmt: skip

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    per_conn = main_run.requests / args.connections
    scaled = "measured" if sample == args.connections else f"measured on {sample}, scaled"
    main_bound = bound(main_run, args.concurrency)
    side = "below" if floor.wall > main_bound else "above"
    stack_ratio = stack.wall / main_bound
    reach = ("out of reach for httpx itself here" if stack_ratio > GOAL_RATIO
             else "within reach of httpx here")  # fmt: skip
    rows = [
        ("connections", f"{args.connections}", ""),
        ("latency per request", f"{args.latency_ms} ms", ""),
        ("requests served", f"{main_run.requests}", f"{per_conn:.2f} per connection"),
        ("concurrency", f"{args.concurrency}", ""),
        ("sync wall time", f"{main_run.wall:.2f} s", ""),
        ("bound (requests / concurrency x latency)", f"{main_bound:.2f} s", ""),
        ("ratio to the bound", f"{ratio:.2f}x",
         f"goal <= {GOAL_RATIO}x {verdict(checks['ratio'])}"),
        ("one connection after another", f"{sequential:.1f} s", scaled),
        ("speed-up", f"{speedup:.1f}x",
         f"goal >= {GOAL_SPEEDUP:.0f}x {verdict(checks['speedup'])}"),
        ("max RSS of the sync process", f"{main_run.rss_mb:.0f} MB",
         f"goal <= {GOAL_RSS_MB:.0f} MB {verdict(checks['rss'])}"),
        ("CPU time of the sync process", f"{main_run.cpu:.2f} s",
         f"{main_run.cpu / args.connections * 1000:.2f} ms per connection"),
        ("httpx floor (same requests, bare httpx)", f"{stack.wall:.2f} s",
         f"{stack_ratio:.2f}x the bound, CPU {stack.cpu:.2f} s: the ratio goal is {reach}"),
        ("sync over the httpx floor", f"{main_run.wall / stack.wall:.2f}x",
         "what prima adds: start-up, parsing, the store, retries"),
        ("latency-free floor (0 ms simulator)", f"{floor.wall:.2f} s",
         f"sync CPU {floor.cpu:.2f} s; the bound is {side} this floor"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    if sweep:
        print()
        body = []
        for c, run in sorted({args.concurrency: main_run, **others}.items()):
            r, s = run.wall / bound(run, c), sequential / run.wall
            body.append((c, f"{run.wall:.2f}", f"{bound(run, c):.2f}", f"{r:.2f}x",
                         f"{s:.1f}x", verdict(r <= GOAL_RATIO and s >= GOAL_SPEEDUP)))  # fmt: skip
        print(table(("concurrency", "wall s", "bound s", "ratio", "speed-up", "both goals"), body))
    return 1 if args.check and not all(checks.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
