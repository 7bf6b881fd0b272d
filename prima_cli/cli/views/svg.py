"""Small inline SVG charts for the HTML report: stacked day columns, horizontal bars and a
sparkline. Each returns one ``<svg>`` element as text, scaled by its ``viewBox`` (so it fills
the width of a phone or of a printed page), styled by presentation attributes only (the page's
Content-Security-Policy allows no inline style attributes), with every label escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

#: series colours, also readable in greyscale print (light to dark)
COLOURS = ("#e0a030", "#2f5d8a", "#8a2f4f", "#4f8a2f")
INK, GRID = "#333", "#ccc"


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" class="chart">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def stacked_columns(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    label: str,
    *,
    width: int = 720,
    height: int = 220,
) -> str:
    """One column per label, its series stacked (e.g. lunch under dinner), a legend above."""
    top = max((sum(s[1][i] for s in series) for i in range(len(labels))), default=0) or 1
    left, bottom, head = 36, 28, 22
    plot_h, plot_w = height - bottom - head, width - left - 6
    step = plot_w / max(1, len(labels))
    body = [
        f'<line x1="{left}" y1="{head + plot_h}" x2="{width - 6}" y2="{head + plot_h}" '
        f'stroke="{GRID}"/>',
        f'<text x="{left - 4}" y="{head + 8}" font-size="10" text-anchor="end" '
        f'fill="{INK}">{_num(top)}</text>',
        f'<text x="{left - 4}" y="{head + plot_h}" font-size="10" text-anchor="end" '
        f'fill="{INK}">0</text>',
    ]
    for n, (name, _values) in enumerate(series):
        key_x = left + n * 90
        body.append(
            f'<rect x="{key_x}" y="4" width="10" height="10" fill="{COLOURS[n % 4]}"/>'
            f'<text x="{key_x + 14}" y="13" font-size="11" fill="{INK}">{escape(name)}</text>'
        )
    every = max(1, len(labels) // 10)
    for i, text in enumerate(labels):
        x, base = left + i * step, float(head + plot_h)
        for n, (name, values) in enumerate(series):
            h = values[i] / top * plot_h
            if h > 0:
                body.append(
                    f'<rect x="{x + step * 0.15:.1f}" y="{base - h:.1f}" '
                    f'width="{step * 0.7:.1f}" height="{h:.1f}" '
                    f'fill="{COLOURS[n % 4]}"><title>{escape(text)} {escape(name)}: '
                    f"{_num(values[i])}</title></rect>"
                )
                base -= h
        if i % every == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 10}" font-size="10" '
                f'text-anchor="middle" fill="{INK}">{escape(text)}</text>'
            )
    return _svg(width, height, body, label)


def bars(
    items: Sequence[tuple[str, float, str]],
    label: str,
    *,
    width: int = 720,
    maximum: float | None = None,
) -> str:
    """One horizontal bar per item: (name, value, text shown at the bar's end)."""
    row, left = 22, 170
    top = maximum or max((v for _n, v, _t in items), default=0) or 1
    height = row * max(1, len(items)) + 4
    body = []
    for i, (name, value, text) in enumerate(items):
        y, w = 2 + i * row, max(0.0, value) / top * (width - left - 90)
        body.append(
            f'<text x="{left - 6}" y="{y + 14}" font-size="11" text-anchor="end" '
            f'fill="{INK}">{escape(name[:28])}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="14" '
            f'fill="{COLOURS[1]}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="11" '
            f'fill="{INK}">{escape(text)}</text>'
        )
    return _svg(width, height, body, label)


def sparkline(values: Sequence[float], label: str, *, width: int = 120, height: int = 24) -> str:
    """A small line of ``values`` (a flat line for none or all zeros)."""
    top = max(values, default=0) or 1
    step = width / max(1, len(values) - 1)
    points = (
        " ".join(
            f"{i * step:.1f},{height - 2 - v / top * (height - 4):.1f}"
            for i, v in enumerate(values)
        )
        or f"0,{height - 2} {width},{height - 2}"
    )
    body = [f'<polyline points="{points}" fill="none" stroke="{COLOURS[2]}" stroke-width="1.5"/>']
    return _svg(width, height, body, label)


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
