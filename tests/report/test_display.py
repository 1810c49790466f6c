"""Names for people in place of codes, and plurals (totalplace.display)."""

from __future__ import annotations

from totalplace import display
from totalplace.workspace import Agency, AgencyKind


def test_codes_read_as_names(small_place):
    small_place.add_agency(Agency(id="west-yorkshire-police", name="West Yorkshire Police", kind=AgencyKind.police))
    assert display.agency_name(small_place, "west-yorkshire-police") == "West Yorkshire Police"
    assert display.agency_name(small_place, "not-in-the-settings") == "not-in-the-settings"
    assert display.code_name("central_government") == "Central government"
    assert display.code_name("nhs") == "NHS" and display.code_name("other_public") == "Other public"
    assert display.cofog_name("07.4") == "07.4 Public health services"
    assert display.month_name("2018-04") == "April 2018"
    assert display.key_name(small_place, "month", "2019-02") == "February 2019"
    assert display.column_title("lines") == "Payments"
    rule = display.rule_note(small_place, "R002")
    assert rule.startswith("Drug and alcohol treatment") and display.rule_note(small_place, None) == ""


def test_plurals():
    assert display.plural(1, "row") == "1 row"
    assert display.plural(2, "row") == "2 rows"
    assert display.plural(0, "payment") == "0 payments"
    assert display.plural(1234, "group") == "1,234 groups"
    assert display.plural(3, "person", "people") == "3 people"
