"""The httpx floor of a sync: the same requests with nothing of prima around them.

The requests ``prima platforms sync`` makes to CoverManager: the key check
(``restaurant/list``) once for the key, then per connection the week's calendar
(``reserv/availability_calendar_total``) and the week's reservations
(``restaurant/get_reservs``, page 0). They are spread over
``--concurrency`` httpx clients with one kept-alive connection each and one shared TLS
context, as the sync spreads them. Bodies are read, not parsed; nothing is stored.

``bench/sync.py`` runs this as its own process against its simulator (it checks that the
endpoints and the request count match the sync's), so the figure is what httpx alone costs
for that work on this machine. Prints one JSON object: wall and CPU seconds of the requests
(imports excluded), the requests made and the endpoints they went to.

    python bench/httpx_floor.py --base-url URL --api-key KEY --restaurants a,b,c
                                [--connections 1000] [--concurrency 50] [--days 7]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import sys
import time

import httpx

from prima_cli.cli.main import GC_THRESHOLDS

ENDPOINTS = ("restaurant/list", "reserv/availability_calendar_total", "restaurant/get_reservs")


async def replay(base: str, key: str, restaurants: list[str], connections: int,
                 concurrency: int, days: int) -> int:  # fmt: skip
    tls = httpx.create_ssl_context()  # built once and shared, as prima's clients share theirs
    start = dt.date.today()
    end = start + dt.timedelta(days=days - 1)
    todo = iter(range(connections))
    made = 0
    checked = asyncio.Event()  # the key is checked once, before its connections are synced

    async def worker() -> None:
        nonlocal made
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(limits=limits, verify=tls) as client:
            if not checked.is_set() and made == 0:
                made = -1  # this worker checks the key; the others wait for it
                answer = await client.get(f"{base}/restaurant/list/{key}/")
                if answer.status_code != 200:
                    raise SystemExit(f"restaurant/list: HTTP {answer.status_code}")
                made = 1
                checked.set()
            await checked.wait()
            for i in todo:
                slug = restaurants[i % len(restaurants)]
                week = {
                    "restaurant": slug,
                    "dateStart": start.isoformat(),
                    "dateEnd": end.isoformat(),
                    "discount": "all",
                    "product_type": "0",
                }
                reservs = f"{key}/{slug}/{start.isoformat()}/{end.isoformat()}/0"
                answers = [
                    await client.post(
                        f"{base}/reserv/availability_calendar_total",
                        headers={"apikey": key},
                        json=week,
                    ),
                    await client.get(f"{base}/restaurant/get_reservs/{reservs}"),
                ]
                for answer in answers:
                    if answer.status_code != 200:
                        raise SystemExit(f"{answer.request.url.path}: HTTP {answer.status_code}")
                made += len(answers)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, connections))))
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--restaurants", required=True, help="comma-separated slugs")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    gc.set_threshold(*GC_THRESHOLDS)  # as a prima process runs
    cpu, wall = time.process_time(), time.perf_counter()
    made = asyncio.run(replay(args.base_url.rstrip("/"), args.api_key,
                              args.restaurants.split(","), args.connections,
                              args.concurrency, args.days))  # fmt: skip
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    json.dump({"wall": wall, "cpu": cpu, "requests": made, "endpoints": list(ENDPOINTS)},
              sys.stdout)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
