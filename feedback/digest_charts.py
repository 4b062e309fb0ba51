"""PNG charts for digest emails (mail clients do not show SVG). Pure, no Django.

Matplotlib draws with the bundled DejaVu font and falls back to a CJK font when the machine
has one (Noto Sans CJK, WenQuanYi), so Chinese theme names render instead of empty boxes.
"""

import io
import logging
from collections.abc import Sequence
from functools import cache

import matplotlib

matplotlib.use("Agg")  # no display on a server

from matplotlib import font_manager, pyplot

# Period labels are categories on purpose; matplotlib would log that at INFO for every chart.
logging.getLogger("matplotlib.category").setLevel(logging.WARNING)

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Source Han Sans SC"]
ACCENT, BAND, INK = "#1f5fbf", "#c9dbf5", "#1d2433"
# Labels are people's words: a "$" must print as a dollar, never start (and break on) mathtext.
_STYLE = {"font.size": 9, "text.parse_math": False}


@cache
def _fonts() -> list[str]:
    available = {font.name for font in font_manager.fontManager.ttflist}
    if not available & set(CJK_FONTS):
        # Matplotlib's font cache outlives font installs: a CJK font added after the cache was
        # built stays unseen (and Chinese prints as boxes) until it is registered by path.
        for path in font_manager.findSystemFonts():
            if "cjk" in path.lower() or "wqy" in path.lower():
                font_manager.fontManager.addfont(path)
        available = {font.name for font in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *[name for name in CJK_FONTS if name in available]]


def _png(figure: "pyplot.Figure") -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    pyplot.close(figure)
    return buffer.getvalue()


def theme_volume_png(labels: Sequence[str], series: dict[str, Sequence[int]], *, title: str) -> bytes:
    """Lines of complaint counts per theme over the last periods."""
    with matplotlib.rc_context(_STYLE | {"font.family": _fonts()}):
        figure, axes = pyplot.subplots(figsize=(6.4, 2.8))
        for name, counts in series.items():
            axes.plot(list(labels), list(counts), marker="o", linewidth=1.6, label=name)
        axes.set_title(title, color=INK)
        axes.spines[["top", "right"]].set_visible(False)
        if series:
            axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
        return _png(figure)


def score_trend_png(
    labels: Sequence[str],
    values: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    *,
    title: str,
) -> bytes:
    """A score line with its 95% band."""
    with matplotlib.rc_context(_STYLE | {"font.family": _fonts()}):
        figure, axes = pyplot.subplots(figsize=(6.4, 2.6))
        points = [
            (label, v, lo, hi) for label, v, lo, hi in zip(labels, values, lows, highs, strict=True) if v is not None
        ]
        if points:
            xs = [point[0] for point in points]
            axes.fill_between(xs, [p[2] for p in points], [p[3] for p in points], color=BAND, linewidth=0)
            axes.plot(xs, [p[1] for p in points], marker="o", color=ACCENT, linewidth=1.8)
        axes.set_title(title, color=INK)
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)
