"""Jinja filters of the pages: French numbers, dates and labels, from the packages' own writers
(``catalogue/formatting.py`` for every figure and date)."""
from __future__ import annotations

from aidenum.catalogue.formatting import amount_fr, date_fr, datetime_fr, number_fr, percent_fr, range_fr
from aidenum.catalogue.model import SOURCES
from aidenum.catalogue.vocabularies import AID_TYPES, BENEFICIARIES, RECURRENCES, STATUSES
from aidenum.matcher.engine import deadline_sentence
from aidenum.matcher.report import LAUREATES_CREDIT, credit_line, funded_project_text


def euros(value) -> str:
    """185000 -> « 185 000 € » (whole euros on the pages)."""
    return amount_fr(value, 0)


def percent(value, decimals: int | None = None) -> str:
    """30 -> « 30 % » ; a computed rate (29.0413) is shown with ``decimals`` digits."""
    return percent_fr(value, decimals)


def rate_range(scheme) -> str:
    return range_fr(scheme.rate_min, scheme.rate_max, percent_fr)


def amount_range(scheme) -> str:
    return range_fr(scheme.amount_min, scheme.amount_max, euros)


def install(app) -> None:
    app.jinja_env.filters.update(euros=euros, percent=percent, rate_range=rate_range, amount_range=amount_range,
                                 date_fr=date_fr, datetime_fr=datetime_fr, number_fr=number_fr)
    app.jinja_env.globals.update(SOURCES=SOURCES, AID_TYPES=AID_TYPES, BENEFICIARIES=BENEFICIARIES,
                                 STATUSES=STATUSES, RECURRENCES=RECURRENCES, deadline_sentence=deadline_sentence,
                                 credit_line=credit_line, funded_project_text=funded_project_text,
                                 LAUREATES_CREDIT=LAUREATES_CREDIT)
