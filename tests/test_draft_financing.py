"""Financing plan arithmetic: caps 80/70, several funders, cents, missing rates, loans, schedule."""
from __future__ import annotations

from decimal import Decimal

import pytest

from aidenum.catalogue.model import Scheme
from aidenum.drafting.financing import (FinancingError, build_plan, format_eur, format_pct, month_label,
                                parse_month, schedule)
from draft_helpers import fact

D = Decimal


def grant(sid, rate=None, amount_max=None, amount_min=None, funders=("Financeur",), aid_types=("grant",)):
    return Scheme.from_dict({"id": sid, "source": "at", "title": f"Dispositif {sid}", "funders": list(funders),
                             "rate_max": rate, "amount_max": amount_max, "amount_min": amount_min,
                             "aid_types": list(aid_types)})


def total(plan):
    return sum((line.amount for line in plan.grants), D(0)) + plan.self_financing


def test_single_grant_rate_and_self_financing():
    plan = build_plan(185000, [grant("at:1", rate=40)])
    assert plan.grants[0].amount == D("74000.00")
    assert plan.self_financing == D("111000.00")
    assert plan.grants[0].share == D("40.00") and plan.self_financing_share == D("60.00")
    assert plan.warnings == [] and plan.missing == []


def test_cap_80_reduces_the_last_share_and_warns():
    plan = build_plan(185000, [grant("at:1", rate=40, funders=["Région"]), grant("at:2", rate=50, funders=["État"])])
    assert [line.amount for line in plan.grants] == [D("74000.00"), D("74000.00")]  # 92 500 cut to 74 000
    assert plan.grants[1].capped and not plan.grants[0].capped
    assert plan.self_financing == D("37000.00") == plan.min_self_financing
    assert total(plan) == D("185000.00")
    assert "dépassent le plafond" in plan.warnings[0] and "18\u00a0500,00\u00a0€" in plan.warnings[0]


def test_cap_cuts_several_lines_from_the_end():
    plan = build_plan(100000, [grant("at:1", rate=60), grant("at:2", rate=30), grant("at:3", rate=20)])
    assert [line.amount for line in plan.grants] == [D("60000.00"), D("20000.00"), D("0.00")]
    assert sum(line.amount for line in plan.grants) == D("80000.00")


def test_chef_de_file_caps_at_70():
    plan = build_plan(100000, [grant("at:1", rate=80)], chef_de_file=True)
    assert plan.grants[0].amount == D("70000.00") and plan.self_financing == D("30000.00")
    assert plan.cap_rate == 70 and "chef de file" in plan.cap_label


def test_documented_exceptions():
    schools = build_plan(100000, [grant("at:1", rate=95)], exception="renovation-energetique-ecoles")
    assert schools.grants[0].amount == D("90000.00")
    prefect = build_plan(100000, [grant("at:1", rate=95)], exception="patrimoine")
    assert prefect.grants[0].amount == D("95000.00")
    assert any("arrêté de dérogation" in m for m in prefect.missing)
    with pytest.raises(FinancingError, match="dérogation inconnue"):
        build_plan(100000, [grant("at:1", rate=10)], exception="piscine")


def test_rounding_down_to_the_cent_and_lines_add_up():
    # 33,33 % of 1 000,01 € = 333,3033… -> 333,30 ; 12,5 % = 125,00125 -> 125,00 (never above the rate)
    plan = build_plan("1000.01", [grant("at:1", rate=33.33), grant("at:2", rate=12.5)])
    assert [line.amount for line in plan.grants] == [D("333.30"), D("125.00")]
    assert total(plan) == D("1000.01")
    assert sum(line.share for line in plan.grants) + plan.self_financing_share == D("100.00")


def test_percentages_add_up_to_exactly_100():
    plan = build_plan(3, [grant("at:1", rate=33.333), grant("at:2", rate=33.333)])
    shares = [line.share for line in plan.grants] + [plan.self_financing_share]
    assert sum(shares) == D("100.00")


def test_amount_max_limits_the_share():
    hubs = fact("bdt:bdt-hubs-inclusion", rate_max=80.0)  # real ceiling: 250 000 € per hub
    plan = build_plan(420000, [hubs])
    assert plan.grants[0].amount == D("250000.00")
    assert any("montant maximal" in note for note in plan.grants[0].notes)


def test_missing_rate_is_never_invented():
    plan = build_plan(185000, [fact("feder:feder-bzh-131"), grant("at:2", rate=30)])
    feder, other = plan.grants
    assert feder.amount is None and other.amount == D("55500.00")
    assert plan.self_financing is None and plan.grants_total is None
    assert any("aucun taux publié" in m for m in plan.missing)
    assert any("autofinancement (au moins 37\u00a0000,00\u00a0€)" in m for m in plan.missing)
    assert any("92\u00a0500,00\u00a0€" in n for n in plan.notes)  # room left under the 80 % cap


def test_missing_budget_leaves_everything_to_complete():
    plan = build_plan(None, [grant("at:1", rate=40)])
    assert plan.budget is None and plan.grants[0].amount is None and plan.self_financing is None
    assert plan.missing[0].startswith("coût total HT")


def test_loans_sit_in_self_financing_outside_the_cap():
    loan = fact("bdt:bdt-long-term-loans")
    plan = build_plan(100000, [grant("at:1", rate=80), loan])
    assert [line.kind for line in plan.grants + plan.loans] == ["grant", "loan"]
    assert plan.grants[0].amount == D("80000.00") and plan.warnings == []
    assert plan.loans[0].amount is None
    assert any("emprunt" in m and "20\u00a0000,00\u00a0€" in m for m in plan.missing)


def test_engineering_only_scheme_is_left_out_with_a_warning():
    plan = build_plan(1000, [grant("at:1", rate=10, aid_types=["technical-engineering"])])
    assert plan.grants == [] and "ingénierie" in plan.warnings[0]


def test_amount_min_warns():
    plan = build_plan(1000, [grant("at:1", rate=50, amount_min=2000)])
    assert "plancher" in plan.warnings[0]


def test_bad_budget():
    with pytest.raises(FinancingError, match="négatif"):
        build_plan(-5, [grant("at:1", rate=10)])
    with pytest.raises(FinancingError, match="invalide"):
        build_plan("beaucoup", [grant("at:1", rate=10)])


def test_french_formats():
    assert format_eur(D("48000")) == "48\u00a0000,00\u00a0€"
    assert format_eur(D("1234567.5")) == "1\u00a0234\u00a0567,50\u00a0€"
    assert format_eur(D("999.999")) == "1\u00a0000,00\u00a0€"
    assert format_eur(D("0")) == "0,00\u00a0€"
    assert format_pct(D("40")) == "40,00\u00a0%"


def test_schedule_by_calendar_quarter_adds_up():
    periods = schedule(D("185000.00"), "2027-02", "2027-12")
    assert [(p.label, p.months) for p in periods] == [
        ("1er trimestre 2027", 2), ("2e trimestre 2027", 3), ("3e trimestre 2027", 3), ("4e trimestre 2027", 3)]
    assert sum(p.amount for p in periods) == D("185000.00")
    assert periods[0].amount == D("33636.36")
    across = schedule(D("420000"), "2027-03", "2028-06")
    assert len(across) == 6 and across[-1].label == "2e trimestre 2028"
    assert sum(p.amount for p in across) == D("420000")


def test_schedule_missing_or_inconsistent_calendar():
    assert schedule(D("1000"), None, "2027-12") is None
    assert schedule(D("1000"), "2027-12", "2027-01") is None
    assert schedule(D("1000"), "bientôt", "2027-12") is None
    assert [p.amount for p in schedule(None, "2027-01", "2027-03")] == [None]


def test_month_parsing():
    assert parse_month("2027-03") == (2027, 3) and parse_month("15/03/2027") == (2027, 3)
    assert parse_month("03/2027") == (2027, 3) and parse_month("2027-13") is None
    assert month_label("2027-08") == "août 2027"
