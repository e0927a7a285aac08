"""Jinja filters of the pages: French numbers, dates and labels, from the packages' own writers."""
from __future__ import annotations

import datetime as dt

from aidenum.catalogue.model import SOURCES
from aidenum.catalogue.normalise import number_fr, range_fr
from aidenum.catalogue.vocabularies import AID_TYPES, BENEFICIARIES, RECURRENCES, STATUSES
from aidenum.matcher.engine import deadline_sentence
from aidenum.matcher.report import credit_line, french_day


def euros(value) -> str:
    return "" if value is None else f"{number_fr(value)} €"


def percent(value) -> str:
    return "" if value is None else f"{value:g}".replace(".", ",") + " %"


def rate_range(scheme) -> str:
    return range_fr(scheme.rate_min, scheme.rate_max, percent)


def amount_range(scheme) -> str:
    return range_fr(scheme.amount_min, scheme.amount_max, euros)


def date_fr(value) -> str:
    if not value:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value:%d/%m/%Y}"
    return french_day(str(value))


def datetime_fr(value) -> str:
    if not value:
        return ""
    text = str(value)
    return f"{french_day(text)} à {text[11:16]}" if len(text) >= 16 else french_day(text)


def install(app) -> None:
    app.jinja_env.filters.update(euros=euros, percent=percent, rate_range=rate_range, amount_range=amount_range,
                                 date_fr=date_fr, datetime_fr=datetime_fr, number_fr=number_fr)
    app.jinja_env.globals.update(SOURCES=SOURCES, AID_TYPES=AID_TYPES, BENEFICIARIES=BENEFICIARIES,
                                 STATUSES=STATUSES, RECURRENCES=RECURRENCES, deadline_sentence=deadline_sentence,
                                 credit_line=credit_line)
