"""A headless Chromium driven over the Chrome DevTools Protocol, for tests of pages prima
writes (the HTML report).

Debian's ``chromium`` is started as the tests' user would in CI (root, no sandbox) with every
flag that keeps it off the network (no first-run, background networking, component updates,
sync or QUIC) and a fresh profile; its DevTools endpoint is read from the profile's
``DevToolsActivePort`` file and driven with the ``websockets`` package. That is all a page
check needs (load, network and console events, DOM queries, a screenshot, a PDF), without a
browser-automation stack that downloads its own browser.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--hide-scrollbars")  # fmt: skip
START_TIMEOUT = 60.0


def require_chromium() -> str:
    """The browser's path; a test without it fails under PRIMA_REQUIRE_SERVICES (CI), and is
    skipped elsewhere with the way to install it."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    why = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("PRIMA_REQUIRE_SERVICES"):
        pytest.fail(f"{why} but PRIMA_REQUIRE_SERVICES is set: the browser tests must run")
    pytest.skip(why)


@dataclass
class PageLoad:
    """What one page did while it loaded."""

    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  #: errors and warnings, as text


class Browser:
    """One CDP connection to a page target (flattened session)."""

    def __init__(self, ws: Any, session: str) -> None:
        self.ws = ws
        self.session = session
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        message = {"id": ident, "method": method, "params": params, "sessionId": self.session}
        await self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), START_TIMEOUT))
            if reply.get("id") == ident:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            if "method" in reply:
                self.events.append(reply)

    async def wait_for(self, method: str, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method:
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {method} within {timeout} s")
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            if "method" in reply:
                self.events.append(reply)

    async def load(self, url: str) -> PageLoad:
        """Navigate to ``url``; what the page requested and logged until it loaded."""
        for domain in ("Page", "Network", "Runtime", "Log"):
            await self.send(f"{domain}.enable")
        self.events.clear()
        await self.send("Page.navigate", url=url)
        await self.wait_for("Page.loadEventFired")
        await self.evaluate("1")  # events queued before the load are read by now
        seen = PageLoad()
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Network.requestWillBeSent":
                seen.requests.append(params["request"]["url"])
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] in (
                "error", "warning", "assert"):  # fmt: skip
                seen.console.append(json.dumps(params.get("args")))
            elif event["method"] == "Runtime.exceptionThrown":
                seen.console.append(json.dumps(params.get("exceptionDetails")))
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] in (
                "error", "warning"):  # fmt: skip
                seen.console.append(params["entry"]["text"])
        return seen

    async def evaluate(self, expression: str) -> Any:
        found = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in found:
            raise AssertionError(f"{expression}: {found['exceptionDetails']}")
        return found["result"].get("value")

    async def screenshot(self, width: int, height: int | None = None) -> bytes:
        """A PNG of the page at ``width`` CSS pixels (whole page when ``height`` is None)."""
        await self.send("Emulation.setDeviceMetricsOverride", width=width, height=900,
                        deviceScaleFactor=1, mobile=width < 600)  # fmt: skip
        full = height or int(await self.evaluate("document.documentElement.scrollHeight"))
        shot = await self.send("Page.captureScreenshot", format="png",
                               captureBeyondViewport=True,
                               clip={"x": 0, "y": 0, "width": width, "height": full,
                                     "scale": 1})  # fmt: skip
        return base64.b64decode(shot["data"])

    async def pdf(self) -> bytes:
        printed = await self.send("Page.printToPDF", paperWidth=8.27, paperHeight=11.69)
        return base64.b64decode(printed["data"])


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A fresh headless Chromium with a blank page, stopped (and its profile removed) after."""
    import websockets

    profile = Path(tempfile.mkdtemp(prefix="prima-chromium-"))
    proc = subprocess.Popen([require_chromium(), *FLAGS, f"--user-data-dir={profile}",
                             "about:blank"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"chromium did not start (exit {proc.poll()})")
            await asyncio.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        async with websockets.connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as ws:
            browser = Browser(ws, "")
            target = await _browser_call(ws, "Target.createTarget", url="about:blank")
            attached = await _browser_call(ws, "Target.attachToTarget",
                                           targetId=target["targetId"], flatten=True)  # fmt: skip
            browser.session = attached["sessionId"]
            yield browser
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


_BROWSER_IDS = itertools.count(100_000)


async def _browser_call(ws: Any, method: str, **params: Any) -> dict[str, Any]:
    ident = next(_BROWSER_IDS)
    await ws.send(json.dumps({"id": ident, "method": method, "params": params}))
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), START_TIMEOUT))
        if reply.get("id") == ident:
            if "error" in reply:
                raise AssertionError(f"{method}: {reply['error']}")
            return dict(reply["result"])


def png_colours(data: bytes) -> int:
    """How many distinct colours an 8-bit RGB or RGBA PNG holds (a blank page holds one)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), f"PNG depth {depth} colour type {colour}"
    size = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * size
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc
                                      else corner)) & 255  # fmt: skip
        previous = line
        if y % 4 == 0:  # a sample of the rows is enough to tell a chart from a blank page
            colours.update(bytes(line[i : i + 3]) for i in range(0, stride, size))
    return len(colours)
