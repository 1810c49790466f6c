"""Charts for reports and pages, drawn with matplotlib as inline SVG.

SVG needs no scripts, so a chart works in an offline HTML file, in the PDF
(WeasyPrint draws SVG) and in a page read without JavaScript. Each function
takes figures already computed and only draws them.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

# GOV.UK Design System colours, so charts match the web app.
PALETTE = ["#1d70b8", "#f47738", "#00703c", "#d4351c", "#4c2c92", "#f499be", "#28a197", "#b58840",
           "#5694ca", "#85994b", "#912b88", "#6f72af", "#505a5f", "#ffdd00"]
TEXT = "#0b0c0c"
# Charts are drawn at the size they are printed: a portrait A4 page is 7.1 inches across inside its margins,
# a landscape one 10.5, so no label shrinks below the 8 points it is set in.
PAGE_WIDTH, WIDE_PAGE_WIDTH = 6.8, 10.2
LABEL = 8


@cache
def pyplot() -> Any:
    """matplotlib's pyplot, drawing SVG with no screen (servers have none), imported at the first chart.

    Not at import: matplotlib is a third of every `totalplace` command's start-up, and most commands draw nothing.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.family": "sans-serif", "font.size": 9,
                         "legend.fontsize": 8.5, "svg.hashsalt": "totalplace"})  # text stays text; stable ids
    return plt


def axis_labels(label: Callable[[float, Any], str]) -> FuncFormatter:
    """An axis's tick labels written by `label` (e.g. money_axis_label)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(label)


def svg_of(figure: Figure) -> str:
    """The figure as an SVG element to inline in HTML (no XML prolog), then freed."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    pyplot().close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def money_axis_label(value: float, _position: int | None = None) -> str:
    """£ with k/m/bn, the way finance papers label an axis: -£1.5m, £250k, £0."""
    sign = "-" if value < 0 else ""
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            scaled = abs(value) / size
            return f"{sign}£{scaled:,.0f}{suffix}" if scaled >= 1000 else f"{sign}£{scaled:.3g}{suffix}"
    return f"{sign}£{abs(value):,.0f}"


def bar_chart(labels: Sequence[str], values: Sequence[Decimal | float], title: str = "",
              money: bool = True) -> str:
    """Horizontal bars, largest at the top: the usual way to read a breakdown. Long labels wrap, never cut."""
    wrapped = [wrap(label, 32) for label in labels]
    height = 0.7 + 0.2 * sum(max(1, label.count("\n") + 1) for label in wrapped) + 0.08 * len(labels)
    figure, axes = pyplot().subplots(figsize=(PAGE_WIDTH, height))
    positions = range(len(labels))
    axes.barh(list(positions), [float(v) for v in values], color=PALETTE[0])
    axes.set_yticks(list(positions), wrapped)
    axes.invert_yaxis()
    if money:
        axes.xaxis.set_major_formatter(axis_labels(money_axis_label))
    _plain_axes(axes, title)
    return svg_of(figure)


def line_chart(years: Sequence[str], series: dict[str, Sequence[Decimal | float | None]], title: str = "",
               breaks: Sequence[str] = ()) -> str:
    """Lines over the years (a gap where a value is missing), with dashed verticals where a series breaks."""
    figure, axes = pyplot().subplots(figsize=(PAGE_WIDTH, 3.4))
    positions = list(range(len(years)))
    for index, (name, values) in enumerate(series.items()):
        axes.plot(positions, [float(v) if v is not None else float("nan") for v in values], marker="o",
                  markersize=3, color=PALETTE[index % len(PALETTE)], label=wrap(name, 36))
    for year in breaks:
        axes.axvline(years.index(year) - 0.5, color="#505a5f", linestyle="--", linewidth=0.8)
        axes.text(years.index(year) - 0.45, 1.0, "new release", transform=axes.get_xaxis_transform(),
                  fontsize=LABEL, va="top", color="#505a5f")
    axes.set_xticks(positions, list(years), rotation=45, ha="right")
    axes.yaxis.set_major_formatter(axis_labels(money_axis_label))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3, frameon=False)
    _plain_axes(axes, title)
    return svg_of(figure)


def stacked_share_bar(labels: Sequence[str], values: Sequence[Decimal | float], title: str = "") -> str:
    """One bar split into shares (e.g. the sliding scale of control), labelled with each share."""
    total = float(sum(float(v) for v in values)) or 1.0
    figure, axes = pyplot().subplots(figsize=(PAGE_WIDTH, 1.9))
    left = 0.0
    for index, (label, value) in enumerate(zip(labels, values)):
        share = float(value) / total
        axes.barh([0], [share], left=left, color=PALETTE[index % len(PALETTE)], label=wrap(label, 40))
        if share >= 0.06:
            axes.text(left + share / 2, 0, f"{share:.0%}", ha="center", va="center", color="white", weight="bold")
        left += share
    axes.set_xlim(0, 1)
    axes.set_yticks([])
    axes.xaxis.set_major_formatter(axis_labels(lambda v, _p: f"{v:.0%}"))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=2, frameon=False)
    _plain_axes(axes, title)
    return svg_of(figure)


def flow_chart(links: Sequence[tuple[str, str, Decimal | float]], stages: Sequence[str], title: str = "") -> str:
    """Money flowing across stages (e.g. funder -> agency -> theme) as bands between stacked nodes.

    `links` are (source node, target node, amount). A node's stage is its depth
    from the first stage, so node names must be unique across stages. Band
    widths share one money scale across the whole chart.
    """
    from matplotlib.patches import Rectangle

    depth = _stage_depths(links)
    columns = _flow_columns(links, depth, len(stages))
    scale = _money_scale(columns)
    spans = _place_nodes(columns, scale)
    figure, axes = pyplot().subplots(figsize=(PAGE_WIDTH, 5.4))
    _draw_bands(axes, links, spans, depth, scale)
    last = len(stages) - 1
    for stage, column in enumerate(columns):
        labels = [wrap(name, 20) for name, _size in column]
        middles = [(spans[name][0] + spans[name][1]) / 2 for name, _size in column]
        for name, _size in column:
            bottom, top = spans[name]
            axes.add_patch(Rectangle((stage - 0.02, bottom), 0.04, top - bottom, color=TEXT))
        for label, middle, placed in zip(labels, middles, _spread(middles, [_lines(t) * LINE for t in labels])):
            _node_label(axes, label, stage, middle, placed, first=stage == 0)
    axes.set_xlim(-1.05, last + 1.05)
    axes.set_ylim(0, 1.02)
    axes.set_xticks(range(len(stages)), list(stages))
    axes.set_yticks([])
    _plain_axes(axes, title)
    axes.spines["bottom"].set_visible(False)
    axes.spines["left"].set_visible(False)
    return svg_of(figure)


LINE = 0.03  # the height of a line of label text, in the flow chart's units (its full height is 1.02)


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _spread(middles: list[float], heights: list[float]) -> list[float]:
    """Where each label goes: beside its node, moved down just enough not to overlap the one above,
    then up again just enough for the lowest to stay inside the chart."""
    placed: list[float] = []
    floor = 1.02
    for middle, height in zip(middles, heights):
        placed.append(min(middle, floor - height / 2))
        floor = placed[-1] - height / 2
    ceiling = 0.0
    for index in reversed(range(len(placed))):
        placed[index] = max(placed[index], ceiling + heights[index] / 2)
        ceiling = placed[index] + heights[index] / 2
    return placed


def _node_label(axes, text: str, stage: int, middle: float, placed: float, first: bool) -> None:
    """First-stage labels sit left of their node; later ones right of it, on a pale box over the bands.
    A long name wraps over lines, never cut; a label moved off its node to make room points back to it."""
    side = -1 if first else 1
    x = stage + side * (0.1 if abs(placed - middle) > 0.005 else 0.04)
    if abs(placed - middle) > 0.005:
        axes.plot([stage + side * 0.03, x], [middle, placed], color="#505a5f", linewidth=0.5)
    axes.text(x, placed, text, va="center", ha="right" if first else "left", fontsize=LABEL, color=TEXT,
              linespacing=1.0,
              bbox=None if first else {"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1})


def _stage_depths(links: Sequence[tuple[str, str, Decimal | float]]) -> dict[str, int]:
    """Each node's stage: sources first seen start at 0, a target sits one stage after its source."""
    depth: dict[str, int] = {}
    for source, target, _amount in links:
        depth.setdefault(source, 0)
        depth.setdefault(target, depth[source] + 1)
    return depth


def _flow_columns(links, depth: dict[str, int], stage_count: int) -> list[list[tuple[str, float]]]:
    """Each stage's nodes with their size (the larger of money in and money out), largest first."""
    inflow: dict[str, float] = {}
    outflow: dict[str, float] = {}
    for source, target, amount in links:
        outflow[source] = outflow.get(source, 0.0) + float(amount)
        inflow[target] = inflow.get(target, 0.0) + float(amount)
    columns: list[list[tuple[str, float]]] = [[] for _ in range(stage_count)]
    for name, stage in depth.items():
        columns[min(stage, stage_count - 1)].append((name, max(inflow.get(name, 0.0), outflow.get(name, 0.0))))
    return [sorted(column, key=lambda node: -node[1]) for column in columns]


NODE_GAP = 0.01


def _money_scale(columns: list[list[tuple[str, float]]]) -> float:
    """Height per pound, so that the fullest stage (with its gaps) just fills the chart."""
    return min((1.0 - NODE_GAP * max(len(column) - 1, 0)) / (sum(size for _n, size in column) or 1.0)
               for column in columns if column)


def _place_nodes(columns: list[list[tuple[str, float]]], scale: float) -> dict[str, tuple[float, float]]:
    """Stack each stage's nodes from the top with small gaps."""
    spans: dict[str, tuple[float, float]] = {}
    for column in columns:
        top = 1.0
        for name, size in column:
            spans[name] = (top - size * scale, top)
            top -= size * scale + NODE_GAP
    return spans


def _draw_bands(axes, links, spans: dict[str, tuple[float, float]], depth: dict[str, int], scale: float) -> None:
    """One curved band per link. Bands leave a source in the order of their targets' heights and
    enter a target in the order of their sources' heights, so they cross as little as possible."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as CurvePath

    leave = _band_tops(links, spans, scale, end=0)
    enter = _band_tops(links, spans, scale, end=1)
    for index, (source, target, amount) in enumerate(links):
        height = float(amount) * scale
        x0, x1 = depth[source] + 0.02, depth[target] - 0.02
        s_top, t_top = leave[index], enter[index]
        middle = (x0 + x1) / 2
        outline = [(x0, s_top), (middle, s_top), (middle, t_top), (x1, t_top),
                   (x1, t_top - height), (middle, t_top - height), (middle, s_top - height), (x0, s_top - height),
                   (x0, s_top)]
        codes = [CurvePath.MOVETO, CurvePath.CURVE4, CurvePath.CURVE4, CurvePath.CURVE4,
                 CurvePath.LINETO, CurvePath.CURVE4, CurvePath.CURVE4, CurvePath.CURVE4, CurvePath.CLOSEPOLY]
        axes.add_patch(PathPatch(CurvePath(outline, codes), facecolor=PALETTE[index % len(PALETTE)],
                                 alpha=0.45, edgecolor="none"))


def _band_tops(links, spans: dict[str, tuple[float, float]], scale: float, end: int) -> list[float]:
    """Where each link's band meets its source (end 0) or target (end 1) node, stacked from the node's top."""
    other = 1 - end
    order = sorted(range(len(links)), key=lambda i: -spans[links[i][other]][1])
    cursor = {name: span[1] for name, span in spans.items()}
    tops = [0.0] * len(links)
    for i in order:
        node = links[i][end]
        tops[i] = cursor[node]
        cursor[node] -= float(links[i][2]) * scale
    return tops


def _plain_axes(axes, title: str) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if title:
        axes.set_title(title, loc="left", fontsize=10, color=TEXT)


def wrap(label: str, width: int) -> str:
    """A label over as many lines as it needs, none longer than `width` characters (a longer word stays whole)."""
    return "\n".join(textwrap.wrap(label, width, break_long_words=False, break_on_hyphens=False)) or label
