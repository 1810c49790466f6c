"""The evidence link kinds the deal knows: each turns a link into a figure of the workspace.

To add a kind (a top-down figure, a journey, an appraisal), write a function
`(context, link) -> Figure` and decorate it with `@register("kind")` here.
"""

from __future__ import annotations

from totalplace.count import bottomup
from totalplace.commands.common import money
from totalplace.deal.evidence import Context, EvidenceMissing, Figure, Link, register
from totalplace.errors import InputError

ROWS_SHOWN = 3


@register("count")
def count_figure(context: Context, link: Link) -> Figure:
    """A figure of the bottom-up count: at most one dimension=key, and the year (default latest)."""
    year = link.fields.get("year")
    dimensions = {k: v for k, v in link.fields.items() if k != "year"}
    unknown = sorted(set(dimensions) - set(bottomup.DIMENSIONS))
    if unknown or len(dimensions) > 1:
        raise InputError(f"evidence link {link.text!r}: give at most one of "
                         f"{', '.join(bottomup.DIMENSIONS)} and a year")
    try:
        if not dimensions:
            total = bottomup.count(context.con, context.workspace, "agency", year)
            return Figure(link.text, f"{context.workspace.settings.place.name}: whole count, {total.fiscal_year}",
                          total.total, f"bottom-up count of {total.lines:,} payment lines")
        (by, key), = dimensions.items()
        lines, amount, n = bottomup.trace(context.con, by, key, year, ROWS_SHOWN)
        fiscal_year = bottomup.choose_year(context.con, year)
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    if n == 0:
        raise EvidenceMissing(f"the count has no {by} {key!r} in {fiscal_year or 'any year'}")
    detail = [f"{t.path} row {t.row_number}: {t.payment_date} {t.supplier_name or ''} {money(t.amount)}"
              for t in lines]
    return Figure(link.text, f"{by} = {key}, {fiscal_year or 'all years'}", amount,
                  f"bottom-up count of {n:,} payment lines; trace: totalplace trace --by {by} "
                  f"--key '{key}' --year {fiscal_year or 'all'}", detail)
