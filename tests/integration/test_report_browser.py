"""The HTML report in a real headless Chromium (Debian's package, as CI installs it): it loads
with no request leaving the file and no console error (a Content-Security-Policy violation is
one), its charts draw, its key figures are there as text, it holds no guest data, it fits a
phone's width, and it prints.

``PRIMA_WRITE_REPORT_SCREENSHOT=1`` also writes the demo report's screenshot to
docs/report-demo.png (the one the README shows).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.chromium import chromium, png_colours, require_chromium
from tests.conftest import run_prima
from tests.core.report_store import FROM, SENTINELS, TO, seed

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _page(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'known.db'}"
    seed(url).dispose()
    page = tmp_path / "report.html"
    proc = run_prima(["--db", url, "report", "--from", FROM.isoformat(), "--to", TO.isoformat(),
                      "--html", str(page)])  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return page


def test_report_page_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    page = _page(tmp_path)

    async def check() -> None:
        async with chromium() as browser:
            seen = await browser.load(page.as_uri())
            assert seen.requests == [page.as_uri()], "a request left the file"
            assert seen.console == [], "console errors or warnings"
            text = await browser.evaluate("document.body.innerText")
            for figure in ("prima report", "2026-06-01 to 2026-06-14", "Madrid <Centro> & Co",
                           "not reported", "75.0%", "60.0%", "2.0 s / 3.0 s",
                           "platform_rate_limited", "Needs attention (1)"):  # fmt: skip
                assert figure in text, figure
            for sentinel in SENTINELS:
                assert sentinel.lower() not in text.lower()
            html = await browser.evaluate("document.documentElement.outerHTML")
            for sentinel in SENTINELS:
                assert sentinel.lower() not in html.lower()
            # the charts drew: bars with a size, in a box with a size
            bars = await browser.evaluate(
                "[...document.querySelectorAll('svg.chart rect')]"
                ".filter(r => r.getBBox().width > 0 && r.getBBox().height > 0).length"
            )
            assert bars >= 10
            height = await browser.evaluate(
                "document.querySelector('svg.chart').getBoundingClientRect().height"
            )
            assert height > 50
            shot = await browser.screenshot(1100, 900)
            assert png_colours(shot) > 20, "the screenshot is (nearly) blank"
            # a phone: the page is as wide as the screen (wide tables scroll in their box)
            await browser.screenshot(390, 900)
            overflow = await browser.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0
            pdf = await browser.pdf()
            assert pdf.startswith(b"%PDF") and len(pdf) > 10_000

    asyncio.run(check())


def test_demo_report_screenshot(tmp_path: Path) -> None:
    """The demo's report renders (and, on request, becomes docs/report-demo.png)."""
    require_chromium()
    page = tmp_path / "demo.html"
    proc = run_prima(["demo", "--report", str(page)], env={"PRIMA_DATA_DIR": str(tmp_path)},
                     timeout=180)  # fmt: skip
    assert proc.returncode == 0, proc.stderr

    async def shoot() -> bytes:
        async with chromium() as browser:
            seen = await browser.load(page.as_uri())
            assert seen.requests == [page.as_uri()] and seen.console == []
            return await browser.screenshot(1000, 1500)

    shot = asyncio.run(shoot())
    assert png_colours(shot) > 20
    if os.environ.get("PRIMA_WRITE_REPORT_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        (DOCS / "report-demo.png").write_bytes(shot)


@pytest.mark.skipif(not os.environ.get("PRIMA_REQUIRE_SERVICES"), reason="CI only")
def test_ci_has_chromium() -> None:
    assert Path(require_chromium()).exists()
