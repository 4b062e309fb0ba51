"""Small server-side SVG charts: no JavaScript, no third-party assets. Pure, no Django.

Every chart carries a text alternative (a title and an aria-label listing the values), so
the figures are readable without seeing the picture.
"""

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 236, 44, 28, 34
INK, MUTED, ACCENT, BAND, WARN = "#1d2433", "#5b6475", "#1f5fbf", "#c9dbf5", "#b91c1c"


def _svg(body: list[str], *, title: str, summary: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(summary)}" style="max-width:100%;height:auto;font:11px sans-serif">'
        f"<title>{escape(title)}</title>"
        f'<text x="4" y="14" fill="{INK}" style="font-size:13px;font-weight:600">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _y(value: float, low: float, high: float) -> float:
    span = (high - low) or 1
    return PAD_TOP + (HEIGHT - PAD_TOP - PAD_BOTTOM) * (1 - (value - low) / span)


def line_with_band(
    points: Sequence[tuple[str, float | None, float | None, float | None]],
    *,
    low: float,
    high: float,
    title: str,
    unit: str = "",
) -> str:
    """A line of values with their 95% band; points are (label, value, band_low, band_high)."""
    step = (WIDTH - PAD_LEFT - 10) / max(len(points) - 1, 1)
    xs = [PAD_LEFT + index * step for index in range(len(points))]
    body = _axes(low, high)
    band_top = [(x, _y(p[3], low, high)) for x, p in zip(xs, points, strict=True) if p[3] is not None]
    band_bottom = [(x, _y(p[2], low, high)) for x, p in zip(xs, points, strict=True) if p[2] is not None]
    if band_top and band_bottom:
        outline = band_top + band_bottom[::-1]
        body.append(f'<polygon points="{_pairs(outline)}" fill="{BAND}" stroke="none"/>')
    line = [(x, _y(p[1], low, high)) for x, p in zip(xs, points, strict=True) if p[1] is not None]
    if line:
        body.append(f'<polyline points="{_pairs(line)}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ACCENT}"/>' for x, y in line]
    body += _x_labels(xs, [p[0] for p in points])
    described = "; ".join(
        f"{label}: {'-' if value is None else f'{value:.1f}{unit}'}"
        + ("" if lo is None or hi is None else f" ({lo:.1f} to {hi:.1f})")
        for label, value, lo, hi in points
    )
    return _svg(body, title=title, summary=f"{title}. {described}")


def bars(items: Sequence[tuple[str, float]], *, title: str) -> str:
    """Vertical bars, one per (label, value)."""
    high = max([value for _label, value in items] + [1])
    slot = (WIDTH - PAD_LEFT - 10) / max(len(items), 1)
    body = _axes(0, high)
    for index, (label, value) in enumerate(items):
        x = PAD_LEFT + index * slot + slot * 0.15
        top = _y(value, 0, high)
        body.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" height="{_y(0, 0, high) - top:.1f}" '
            f'fill="{ACCENT}"><title>{escape(label)}: {value:g}</title></rect>'
        )
    body += _x_labels([PAD_LEFT + (i + 0.5) * slot for i in range(len(items))], [label for label, _v in items])
    described = "; ".join(f"{label}: {value:g}" for label, value in items)
    return _svg(body, title=title, summary=f"{title}. {described}")


def estimates(
    items: Sequence[tuple[str, float | None, float | None, float | None, bool]],
    *,
    low: float,
    high: float,
    title: str,
    unit: str = "",
) -> str:
    """Side-by-side estimates with their 95% intervals as whiskers; items are (label, value, low, high, marked).

    A marked item (the weakest) is drawn in a warning colour; an item without a value shows none.
    """
    slot = (WIDTH - PAD_LEFT - 10) / max(len(items), 1)
    body = _axes(low, high)
    for index, (label, value, lo, hi, marked) in enumerate(items):
        x = PAD_LEFT + (index + 0.5) * slot
        colour = WARN if marked else ACCENT
        if lo is not None and hi is not None:
            body.append(
                f'<line x1="{x:.1f}" y1="{_y(lo, low, high):.1f}" x2="{x:.1f}" y2="{_y(hi, low, high):.1f}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
            for end in (lo, hi):
                y = _y(end, low, high)
                body.append(f'<line x1="{x - 6:.1f}" y1="{y:.1f}" x2="{x + 6:.1f}" y2="{y:.1f}" stroke="{colour}"/>')
        if value is not None:
            body.append(
                f'<circle cx="{x:.1f}" cy="{_y(value, low, high):.1f}" r="{6 if marked else 4}" fill="{colour}">'
                f"<title>{escape(label)}: {value:.1f}{unit}</title></circle>"
            )
    body += _x_labels([PAD_LEFT + (i + 0.5) * slot for i in range(len(items))], [item[0] for item in items])
    described = "; ".join(
        f"{label}: {'-' if value is None else f'{value:.1f}{unit}'}"
        + ("" if lo is None or hi is None else f" ({lo:.1f} to {hi:.1f})")
        + (" *" if marked else "")
        for label, value, lo, hi, marked in items
    )
    return _svg(body, title=title, summary=f"{title}. {described}")


def _axes(low: float, high: float) -> list[str]:
    bottom = HEIGHT - PAD_BOTTOM
    parts = [f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - 6}" y2="{bottom}" stroke="{MUTED}"/>']
    for value in (low, (low + high) / 2, high):
        y = _y(value, low, high)
        parts.append(f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{value:g}</text>')
        parts.append(f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - 6}" y2="{y:.1f}" stroke="#eef0f4"/>')
    return parts


def _x_labels(xs: Sequence[float], labels: Sequence[str]) -> list[str]:
    every = max(1, len(labels) // 8)
    return [
        f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" fill="{INK}">{escape(label)}</text>'
        for index, (x, label) in enumerate(zip(xs, labels, strict=True))
        if index % every == 0
    ]


def _pairs(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
