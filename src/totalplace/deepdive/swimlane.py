"""A journey as a swimlane diagram: one lane per agency, steps in order, waits between agencies in red.

Drawn with matplotlib's object API (no pyplot global state) and written as SVG with the
text kept as text, so the report stays small, searchable and works offline.

Every step's label is whole: its service wraps over as many lines as it needs and
each lane is as tall as its tallest label. For the printed report a long journey
is drawn in parts (steps 1 to 8, 9 to 16, ...), each the size of a landscape page,
so its 7-point labels are printed at 7 points; `svg` draws the whole journey at once.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from totalplace.deepdive.journeys import JourneySummary, StepKind, describe_days
from totalplace.money import format_money
from totalplace.present.charts import pyplot

if TYPE_CHECKING:
    from matplotlib.figure import Figure

KIND_COLOURS = {
    StepKind.contact: "#d4e6f1", StepKind.assessment: "#f5b7b1", StepKind.referral: "#fad7a0",
    StepKind.appointment: "#d5f5e3", StepKind.payment: "#f9e79f", StepKind.hand_off: "#d7dbdd",
    StepKind.wait: "#ffffff",
}
BOX_WIDTH = 0.9  # of a step's width
MISSED = "#c0392b"  # a hand-off that should happen and does not
WAIT = "#c0392b"
POINTS = 7.5
LINE = POINTS * 1.15 / 72  # inches per line of label
LANE_LABELS = 1.4  # inches for the lanes' names
AROUND = 1.45  # inches for the title, the steps' axis and the key below
STEP = 1.15  # inches a step takes when the whole journey is drawn at once
PAGE_WIDTH, PAGE_HEIGHT = 10.2, 5.7  # a landscape A4 page inside its margins, less the chart's title
STEPS_PER_PART = 8


def _box_label(summary_step, name, width: int) -> list[str]:
    step = summary_step.step
    lines = textwrap.wrap(step.service, 22)
    lines = lines[:2] + [lines[2] + "…"] if len(lines) > 3 else lines
    lines = lines[:1] + ["…"] if step.missed and len(lines) > 1 else lines  # room for what did not happen
    facts = [format_money(summary_step.cost, places=0)] if summary_step.cost else []
    facts += [f"{step.probability * 100:.0f}%"] if step.probability < 1 else []
    facts += [f"x{step.repeats.normalize():f}"] if step.repeats != 1 else []
    facts += [describe_days(step.duration)] if step.kind == StepKind.wait else []
    missed = ["NOT passed to", *_wrapped(name(step.to), width)] if step.missed and step.to else []
    return _wrapped(step.service, width) + _wrapped(" · ".join(facts), width) + missed


def _wrapped(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


def parts(summary: JourneySummary) -> list[range]:
    """The steps in runs that each fit a landscape page: at most eight, fewer where labels are long."""
    count = len(summary.steps)
    runs = -(-count // STEPS_PER_PART)
    size = -(-count // runs) if runs else 0
    found = [range(start, min(start + size, count)) for start in range(0, count, size or 1)]
    return [piece for run in found for piece in _fitting(summary, run)]


def _fitting(summary: JourneySummary, run: range) -> list[range]:
    """A run of steps, halved until each half is no taller than the page (a single step always fits)."""
    if len(run) == 1 or _height(summary, run, (PAGE_WIDTH - LANE_LABELS) / len(run)) <= PAGE_HEIGHT:
        return [run]
    middle = run.start + len(run) // 2
    return _fitting(summary, range(run.start, middle)) + _fitting(summary, range(middle, run.stop))


def _characters(step_inches: float) -> int:
    """How many characters of 7-point text fit across a step's box."""
    return max(8, int(step_inches * BOX_WIDTH * 72 / (POINTS * 0.6)))


def _lanes(summary: JourneySummary, run: Sequence[int], step_inches: float) -> dict[str, int]:
    """Each lane of the run (in order of first appearance) and the lines of its tallest label, with a line for a
    wait's label above its box."""
    width = _characters(step_inches)
    lines: dict[str, int] = {}
    waits = {g.before_step for g in summary.gaps}
    for index in run:
        item = summary.steps[index]
        tall = len(_box_label(item, summary.journey.agency_name, width)) + (item.number in waits)
        lines[item.step.agency] = max(lines.get(item.step.agency, 1), tall)
    return lines


def _height(summary: JourneySummary, run: Sequence[int], step_inches: float) -> float:
    return sum(n * LINE + 0.14 for n in _lanes(summary, run, step_inches).values()) + AROUND


def draw(summary: JourneySummary, run: Sequence[int] | None = None, width: float | None = None) -> Figure:
    """The steps of `run` (default: every step) as lanes; `width` inches across (default: a step's fixed width)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch, Patch

    pyplot()  # matplotlib with the charts' own settings (fonts, sizes), as every chart is drawn
    run = list(run if run is not None else range(len(summary.steps)))
    step_inches = (width - LANE_LABELS) / len(run) if width else STEP
    lanes = _lanes(summary, run, step_inches)
    heights = {agency: n * LINE + 0.14 for agency, n in lanes.items()}
    tops: dict[str, float] = {}
    top = 0.0
    for agency in lanes:
        tops[agency] = top
        top += heights[agency]
    figure = Figure(figsize=(width or LANE_LABELS + STEP * len(run), top + AROUND))
    axes = figure.add_subplot()
    figure.subplots_adjust(left=LANE_LABELS / figure.get_figwidth(), right=0.99,
                           top=1 - 0.45 / figure.get_figheight(), bottom=1.0 / figure.get_figheight())
    middle = {agency: top - tops[agency] - heights[agency] / 2 for agency in lanes}  # inches up from the foot
    for index, agency in enumerate(lanes):
        axes.axhspan(top - tops[agency] - heights[agency], top - tops[agency],
                     color="#f4f6f6" if index % 2 else "#ffffff", zorder=0)
    gap_before = {g.before_step: g for g in summary.gaps}
    characters = _characters(step_inches)
    centres: list[tuple[float, float]] = []
    for position, index in enumerate(run):
        item = summary.steps[index]
        x, y = float(position), middle[item.step.agency]
        label = _box_label(item, summary.journey.agency_name, characters)
        box = len(label) * LINE + 0.06
        centres.append((x, y))
        dashed = item.step.probability < 1 or item.step.kind == StepKind.wait or item.step.missed
        axes.add_patch(FancyBboxPatch((x - BOX_WIDTH / 2, y - box / 2), BOX_WIDTH, box,
                                      boxstyle="round,pad=0.02,rounding_size=0.05",
                                      facecolor=KIND_COLOURS[item.step.kind],
                                      edgecolor=MISSED if item.step.missed else "#2e4053",
                                      linestyle="--" if dashed else "-", linewidth=1.6 if item.step.missed else 1.0,
                                      zorder=2))
        axes.text(x, y, "\n".join(label), ha="center", va="center", fontsize=POINTS, linespacing=1.0, zorder=3)
        gap = gap_before.get(item.number)
        if gap is not None:
            axes.text(x, y + box / 2 + 0.02, f"wait {describe_days(gap.days)}", ha="center", va="bottom",
                      fontsize=POINTS, color=WAIT, zorder=4)
    for position in range(1, len(run)):
        _arrow(axes, centres[position - 1], centres[position], summary.steps[run[position]].number in gap_before)
    axes.set_yticks(list(middle.values()), [textwrap.fill(summary.journey.agency_name(a), 20) for a in lanes],
                    fontsize=8)
    axes.set_xticks(range(len(run)), [str(summary.steps[i].number) for i in run], fontsize=8)
    axes.set_xlabel("step", fontsize=8)
    axes.set_xlim(-0.55, len(run) - 0.45)
    axes.set_ylim(0, top)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    steps = "" if len(run) == len(summary.steps) else \
        f" (steps {summary.steps[run[0]].number} to {summary.steps[run[-1]].number} of {len(summary.steps)})"
    axes.set_title(f"{summary.journey.title}: {summary.version.name}{steps}\n"
                   f"{format_money(summary.total, places=0)} per person · {describe_days(summary.elapsed_days)} elapsed · "
                   f"{len(summary.agencies)} agencies · {summary.expected_hand_offs:.1f} hand-offs per person",
                   fontsize=9, loc="left")
    axes.legend(handles=[Patch(facecolor=c, edgecolor="#2e4053", label=k.value) for k, c in KIND_COLOURS.items()]
                + [Patch(facecolor="white", edgecolor=WAIT, label="wait between agencies"),
                   Patch(facecolor="white", edgecolor=MISSED, linestyle="--", label="hand-off missed")],
                loc="upper center", bbox_to_anchor=(0.5, -0.5 / top), ncols=5, fontsize=8, frameon=False,
                handlelength=1.2, columnspacing=1.0)
    return figure


def _arrow(axes, start: tuple[float, float], end: tuple[float, float], gap: bool) -> None:
    from matplotlib.patches import FancyArrowPatch

    colour = WAIT if gap else "#566573"
    axes.add_patch(FancyArrowPatch((start[0] + BOX_WIDTH / 2, start[1]), (end[0] - BOX_WIDTH / 2, end[1]),
                                   arrowstyle="-|>", mutation_scale=8, color=colour, linewidth=1.2 if gap else 0.8,
                                   linestyle="--" if gap else "-", zorder=1, connectionstyle="arc3,rad=0"))


def _written(figure: Figure) -> str:
    buffer = io.StringIO()
    with pyplot().rc_context({"svg.fonttype": "none", "svg.hashsalt": "totalplace"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def svg(summary: JourneySummary) -> str:
    """The whole journey as an SVG document (text as text, no date, so the same journey gives the same file)."""
    return _written(draw(summary))


def page_svgs(summary: JourneySummary) -> list[tuple[range, str]]:
    """The journey in parts that each fit a landscape page, with the steps each part shows."""
    return [(run, _written(draw(summary, run, PAGE_WIDTH))) for run in parts(summary)]
