"""The one French-formatting module: figures, amounts, rates, dates, month names, folding."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aidenum.catalogue.formatting import (MONTHS, NARROW_NBSP as N, NBSP, amount_fr, date_fr, datetime_fr, fold,
                                          long_date_fr, month_year_fr, number_fr, parse_month, percent_fr,
                                          strip_accents)
from aidenum.catalogue.model import Scheme
from aidenum.commands.catalogue import describe


@pytest.mark.parametrize("value, args, kwargs, expected", [
    (12345.5, (), {}, f"12{N}346"),
    (1234.5, (1,), {}, f"1{N}234,5"),
    (40.0, (2,), {}, "40"),
    (40, (2,), {"fixed": True}, "40,00"),
    (0.8612, (3,), {"fixed": True}, "0,861"),
    (1234567, (), {"group": " "}, "1 234 567"),
    (-2500, (), {}, f"-2{N}500"),
])
def test_number_fr(value, args, kwargs, expected):
    assert number_fr(value, *args, **kwargs) == expected


def test_amounts_and_rates():
    assert amount_fr(185000) == f"185{N}000,00 €"
    assert amount_fr(185000, 0) == f"185{N}000 €"
    assert amount_fr(250000, fixed=False) == f"250{N}000 €"
    assert amount_fr(None) == ""
    # the drafts: Decimal rounded half up, no-break spaces that every Word font has
    assert amount_fr(Decimal("48000.005"), group=NBSP, unit_space=NBSP) == f"48{NBSP}000,01{NBSP}€"
    assert percent_fr(30) == "30 %" and percent_fr(37.5) == "37,5 %" and percent_fr(None) == ""
    assert percent_fr(Decimal("40.00")) == "40 %"
    assert percent_fr(Decimal("40"), 2, fixed=True, unit_space=NBSP) == f"40,00{NBSP}%"


def test_dates():
    assert date_fr(dt.date(2025, 1, 31)) == "31/01/2025"
    assert date_fr("2025-01-31T10:00:00") == "31/01/2025"
    assert date_fr(dt.datetime(2025, 1, 31, 10)) == "31/01/2025"
    assert date_fr(None) == "" and date_fr("", default="aucune") == "aucune"
    assert date_fr("pas une date") == "pas une date"  # shown as stored rather than hidden
    assert date_fr(dt.date(1, 1, 1)) == "01/01/0001" and date_fr(dt.date(9999, 12, 31)) == "31/12/9999"
    assert datetime_fr("2026-12-02T17:39:18+00:00") == "02/12/2026 à 17:39"
    assert datetime_fr(dt.datetime(2025, 1, 31, 9, 5)) == "31/01/2025 à 09:05"
    assert datetime_fr("2025-01-31") == "31/01/2025" and datetime_fr(dt.date(2025, 1, 31)) == "31/01/2025"
    assert datetime_fr(None) == "" and datetime_fr("", default="jamais") == "jamais"
    assert datetime_fr("hier vers midi") == "hier vers midi"
    assert long_date_fr(dt.date(2027, 3, 1)) == "1er mars 2027" and long_date_fr("2027-08-15") == "15 août 2027"


def test_months():
    assert MONTHS["février"] == MONTHS["fevrier"] == 2 and MONTHS["août"] == MONTHS["aout"] == 8
    assert parse_month("2027-03") == parse_month("15/03/2027") == parse_month("03/2027") == (2027, 3)
    assert parse_month("2027-13") is None and parse_month("") is None
    assert month_year_fr("2027-12-01") == "décembre 2027" and month_year_fr("bientôt") == ""


def test_folding():
    assert fold("  Œuvre d’Été — Côtes-d'Armor ") == "oeuvre d'ete - cotes-d'armor"
    assert fold("Communauté\u2011de communes") == "communaute-de communes"
    assert strip_accents("Écoles numériques, cœur") == "Ecoles numeriques, coeur"


def test_catalogue_show_writes_figures_like_everywhere_else():
    scheme = Scheme(id="at:1", source="at", title="Aide", rate_max=37.5, amount_max=50000.0,
                    deadline=dt.date(2031, 6, 30))
    text = describe(scheme, [])
    assert "Taux maximum : 37,5 %" in text  # was « 37.5 % »
    assert f"Montant maximum : 50{N}000 €" in text  # was a plain space, unlike the reports
    assert "Date limite : 30/06/2031" in text
