"""Months and periods of a plan action: « mars 2027 – décembre 2027 », « T2 2027 », « 03/2027 »."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from aidenum.catalogue.normalise import MONTHS
from aidenum.catalogue.vocabularies import fold

from .columns import cell_text
from .model import PlanError

# -- months and periods ------------------------------------------------------------------------
_MONTH_NAMES = "|".join(sorted({fold(m) for m in MONTHS}, key=len, reverse=True))
_PERIOD_TOKEN = re.compile(
    rf"(?P<iso>(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})(?:-\d{{1,2}})?)"
    rf"|(?P<dmy>(?:\d{{1,2}}/)?(?P<nm>\d{{1,2}})/(?P<ny>\d{{4}}))"
    rf"|(?P<quarter>(?:t|trimestre\s*)(?P<q>[1-4])\s*(?P<qy>\d{{4}})?)"
    rf"|(?P<named>(?:(?:1er|\d{{1,2}})\s+)?(?P<mn>{_MONTH_NAMES})\.?\s*(?P<my>\d{{4}})?)"
    rf"|(?P<year>\b(?P<y>\d{{4}})\b)")


def _tokens(text: str) -> list[tuple[int | None, int | None, str]]:
    """(year, month, kind) for each month-like token of ``text`` in order."""
    found = []
    for match in _PERIOD_TOKEN.finditer(fold(text)):
        if match.group("iso"):
            found.append((int(match.group("iy")), int(match.group("im")), "month"))
        elif match.group("dmy"):
            found.append((int(match.group("ny")), int(match.group("nm")), "month"))
        elif match.group("quarter"):
            year = int(match.group("qy")) if match.group("qy") else None
            found.append((year, int(match.group("q")), "quarter"))
        elif match.group("named"):
            year = int(match.group("my")) if match.group("my") else None
            found.append((year, MONTHS[match.group("mn")], "month"))
        else:
            found.append((int(match.group("y")), None, "year"))
    return found


def parse_period(value: Any, label: str) -> tuple[str | None, str | None]:
    """("2027-03", "2027-12") from "mars 2027 – décembre 2027", "de mars à décembre 2027",
    "03/2027 - 12/2027", "T2 2027 – T1 2028", "2027"; PlanError when nothing is readable."""
    text = cell_text(value)
    tokens = _tokens(text)
    if not tokens:
        raise PlanError(f"{label}, champ « calendrier » : période illisible « {text} » "
                        "(exemple : « mars 2027 – décembre 2027 »)")
    # a month without a year takes the year of the next token ("de mars à décembre 2027")
    resolved = []
    for index, (year, month, kind) in enumerate(tokens):
        if year is None:
            year = next((y for y, _m, _k in tokens[index + 1:] if y), None)
            if year is None:
                raise PlanError(f"{label}, champ « calendrier » : année manquante dans « {text} »")
        resolved.append((year, month, kind))
    start = _as_month(*resolved[0], end=False)
    end = _as_month(*resolved[-1], end=True)
    if len(resolved) == 1 and resolved[0][2] == "month":
        end = None
    return start, end


def _as_month(year: int, month: int | None, kind: str, end: bool) -> str:
    if kind == "year":
        month = 12 if end else 1
    elif kind == "quarter":
        month = month * 3 if end else month * 3 - 2
    if not 1 <= month <= 12:
        raise ValueError(month)
    return f"{year:04d}-{month:02d}"


def month_of(value: Any, label: str, name: str, end: bool = False) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    tokens = _tokens(cell_text(value))
    if len(tokens) != 1 or tokens[0][0] is None:
        raise PlanError(f"{label}, champ « {name} » : date illisible « {value} » "
                        "(exemples acceptés : 2027-03, 03/2027, mars 2027)")
    try:
        return _as_month(*tokens[0], end=end)
    except ValueError:
        raise PlanError(f"{label}, champ « {name} » : mois impossible « {value} »") from None
