"""A journey as a swimlane diagram: one lane per agency, steps in order, waits between agencies in red.

Drawn with matplotlib's object API (no pyplot global state) and written as SVG with the
text kept as text, so the report stays small, searchable and works offline.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from totalplace.deepdive.journeys import JourneySummary, StepKind, describe_days

KIND_COLOURS = {
    StepKind.contact: "#d4e6f1", StepKind.assessment: "#f5b7b1", StepKind.referral: "#fad7a0",
    StepKind.appointment: "#d5f5e3", StepKind.payment: "#f9e79f", StepKind.hand_off: "#d7dbdd",
    StepKind.wait: "#ffffff",
}
BOX_WIDTH, BOX_HEIGHT = 0.86, 0.72
MISSED = "#c0392b"  # a hand-off that should happen and does not


def _box_label(summary_step, name) -> str:
    step = summary_step.step
    lines = textwrap.wrap(step.service, 22)
    lines = lines[:2] + [lines[2] + "…"] if len(lines) > 3 else lines
    lines = lines[:1] + ["…"] if step.missed and len(lines) > 1 else lines  # room for what did not happen
    facts = [f"£{summary_step.cost:,.0f}"] if summary_step.cost else []
    facts += [f"{step.probability * 100:.0f}%"] if step.probability < 1 else []
    facts += [f"x{step.repeats.normalize():f}"] if step.repeats != 1 else []
    facts += [describe_days(step.duration)] if step.kind == StepKind.wait else []
    missed = ["NOT passed to", textwrap.shorten(name(step.to), 24, placeholder="…")] if step.missed and step.to else []
    return "\n".join(lines + ([" · ".join(facts)] if facts else []) + missed)


def draw(summary: JourneySummary) -> Figure:
    lanes = list(dict.fromkeys(s.step.agency for s in summary.steps))  # in order of first appearance
    lane_y = {agency: len(lanes) - 1 - i for i, agency in enumerate(lanes)}
    count = len(summary.steps)
    figure = Figure(figsize=(max(8.0, 1.25 * count + 2), max(3.0, 0.95 * len(lanes) + 1.6)))
    axes = figure.add_subplot()
    for lane in lane_y.values():
        axes.axhspan(lane - 0.5, lane + 0.5, color="#f4f6f6" if lane % 2 else "#ffffff", zorder=0)
    gap_before = {g.before_step: g for g in summary.gaps}
    centres: list[tuple[float, float]] = []
    for position, item in enumerate(summary.steps):
        x, y = float(position), float(lane_y[item.step.agency])
        centres.append((x, y))
        dashed = item.step.probability < 1 or item.step.kind == StepKind.wait or item.step.missed
        axes.add_patch(FancyBboxPatch((x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2), BOX_WIDTH, BOX_HEIGHT,
                                      boxstyle="round,pad=0.02,rounding_size=0.08",
                                      facecolor=KIND_COLOURS[item.step.kind],
                                      edgecolor=MISSED if item.step.missed else "#2e4053",
                                      linestyle="--" if dashed else "-", linewidth=1.6 if item.step.missed else 1.0,
                                      zorder=2))
        axes.text(x, y, _box_label(item, summary.journey.agency_name), ha="center", va="center", fontsize=6.2,
                  zorder=3)
    for position in range(1, count):
        _arrow(axes, centres[position - 1], centres[position], gap_before.get(summary.steps[position].number))
    axes.set_yticks(list(lane_y.values()), [textwrap.fill(summary.journey.agency_name(a), 24) for a in lane_y])
    axes.set_xticks(range(count), [str(s.number) for s in summary.steps], fontsize=7)
    axes.set_xlabel("step", fontsize=8)
    axes.set_xlim(-0.6, count - 0.4)
    axes.set_ylim(-0.5, len(lanes) - 0.5)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(f"{summary.journey.title}: {summary.version.name}\n"
                   f"£{summary.total:,.0f} per person · {describe_days(summary.elapsed_days)} elapsed · "
                   f"{len(summary.agencies)} agencies · {summary.expected_hand_offs:.1f} hand-offs per person", fontsize=9, loc="left")
    axes.legend(handles=[Patch(facecolor=c, edgecolor="#2e4053", label=k.value) for k, c in KIND_COLOURS.items()]
                + [Patch(facecolor="white", edgecolor="#c0392b", label="wait between agencies"),
                   Patch(facecolor="white", edgecolor=MISSED, linestyle="--", label="hand-off missed")],
                loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    figure.tight_layout()
    return figure


def _arrow(axes, start: tuple[float, float], end: tuple[float, float], gap) -> None:
    colour = "#c0392b" if gap else "#566573"
    axes.add_patch(FancyArrowPatch((start[0] + BOX_WIDTH / 2, start[1]), (end[0] - BOX_WIDTH / 2, end[1]),
                                   arrowstyle="-|>", mutation_scale=8, color=colour, linewidth=1.2 if gap else 0.8,
                                   linestyle="--" if gap else "-", zorder=1, connectionstyle="arc3,rad=0"))
    if gap:
        axes.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.08, f"wait {describe_days(gap.days)}",
                  ha="center", va="bottom", fontsize=6, color=colour, zorder=4,
                  bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})


def svg(summary: JourneySummary) -> str:
    """The swimlane as an SVG document (text as text, no date, so the same journey gives the same file)."""
    figure = draw(summary)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "totalplace"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
