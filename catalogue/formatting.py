"""French writing of numbers, amounts, rates and dates, month names, and accent folding.

The one place for these: the matcher's explanations, the reports, the digest, the calendar,
the drafts and the commands all call it, so « 185 000,00 € », « 30 % » and « 31/01/2025 »
look the same everywhere.

Conventions: thousands grouped by a narrow no-break space (U+202F, the French typographic
rule, which also never breaks a figure across lines), decimal comma, a plain space before the
unit. Word documents pass ``group=NBSP, unit_space=NBSP``: U+202F is missing from some fonts
Word substitutes, U+00A0 renders everywhere.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

NARROW_NBSP = "\u202f"
NBSP = "\u00a0"

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")
# Month names as read: accented and folded spellings (« fevrier », « aout ») -> month number.
MONTHS = {**{name: number for number, name in enumerate(MONTHS_FR, start=1)},
          **{unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode(): number
             for number, name in enumerate(MONTHS_FR, start=1)}}


# -- numbers ------------------------------------------------------------------------------------

def _quantize(value, decimals: int):
    """Decimals (money in the drafts) round half up, as accountants do; floats keep Python's rounding."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return value


def number_fr(value, decimals: int = 0, *, fixed: bool = False, group: str = NARROW_NBSP) -> str:
    """12345.5 -> '12 346' ; (12345.5, 1) -> '12 345,5' ; (40, 2) -> '40' but (40, 2, fixed=True) -> '40,00'.

    Without ``fixed`` a whole number is written without decimals."""
    value = _quantize(value, decimals)
    if decimals == 0 or (not fixed and float(value).is_integer()):
        text = f"{round(value):,}"
    else:
        text = f"{value:,.{decimals}f}"
    return text.replace(",", group).replace(".", ",")


def shortest_fr(value) -> str:
    """The shortest writing of a published figure: 37.5 -> '37,5', 40.0 -> '40', Decimal('40.00') -> '40'."""
    text = f"{value.normalize():f}" if isinstance(value, Decimal) else f"{value:g}"
    return text.replace(".", ",")


def amount_fr(value, decimals: int = 2, *, fixed: bool = True, group: str = NARROW_NBSP,
              unit_space: str = " ") -> str:
    """185000 -> '185 000,00 €' ; (185000, 0) -> '185 000 €' ; '' for None."""
    if value is None:
        return ""
    return f"{number_fr(value, decimals, fixed=fixed, group=group)}{unit_space}€"


def percent_fr(value, decimals: int | None = None, *, fixed: bool = False, unit_space: str = " ") -> str:
    """30 -> '30 %', 37.5 -> '37,5 %' ; (40, 2, fixed=True) -> '40,00 %' ; '' for None."""
    if value is None:
        return ""
    text = shortest_fr(value) if decimals is None else number_fr(value, decimals, fixed=fixed)
    return f"{text}{unit_space}%"


def range_fr(low: float | None, high: float | None, fmt, at_least: str = "à partir de") -> str:
    """« de 20 % à 50 % », « jusqu'à 80 % », « à partir de 5 000 € » or '' ; ``fmt`` writes one value."""
    if low is not None and high is not None:
        return fmt(high) if low == high else f"de {fmt(low)} à {fmt(high)}"
    if high is not None:
        return f"jusqu'à {fmt(high)}"
    if low is not None:
        return f"{at_least} {fmt(low)}"
    return ""


# -- dates --------------------------------------------------------------------------------------

def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def date_fr(value, default: str = "") -> str:
    """A date, datetime or ISO string -> '31/01/2025' ; ``default`` when empty; an unreadable
    string is given back unchanged rather than hidden.

    Written field by field: ``strftime('%Y')`` does not pad years below 1000 on every libc."""
    if value is None or value == "":
        return default
    try:
        day = _as_date(value)
    except ValueError:
        return str(value)
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def datetime_fr(value, default: str = "") -> str:
    """A datetime or ISO timestamp -> '31/01/2025 à 14:05' (the clock time as stored) ; a date
    alone -> '31/01/2025' ; ``default`` when empty; an unreadable string is given back unchanged."""
    if value is None or value == "":
        return default
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date) or len(str(value).strip()) <= 10:
        return date_fr(value, default)
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            return str(value)
    return f"{date_fr(moment)} à {moment.hour:02d}:{moment.minute:02d}"


def long_date_fr(value) -> str:
    """'1er mars 2027', '15 mars 2027' ; '' for None."""
    if value is None or value == "":
        return ""
    day = _as_date(value)
    return f"{'1er' if day.day == 1 else day.day} {MONTHS_FR[day.month - 1]} {day.year}"


_YEAR_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*$|^\s*(?:\d{1,2}/)?(\d{1,2})/(\d{4})\s*$")


def parse_month(value) -> tuple[int, int] | None:
    """'2027-03', '2027-03-15', '03/2027', '15/03/2027' or a date -> (2027, 3); None if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year, value.month
    match = _YEAR_MONTH_RE.match(str(value))
    if not match:
        return None
    year, month = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
    year, month = int(year), int(month)
    return (year, month) if 1 <= month <= 12 and 1900 < year < 2200 else None


def month_year_fr(value) -> str:
    """'2027-03' (or anything ``parse_month`` reads) -> 'mars 2027' ; '' if unreadable."""
    parsed = parse_month(value)
    return f"{MONTHS_FR[parsed[1] - 1]} {parsed[0]}" if parsed else ""


# -- folding ------------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})


def strip_accents(text: str) -> str:
    """'Écoles numériques' -> 'Ecoles numeriques' (ligatures œ, æ spelt out); case kept."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in text if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes/dashes and collapse spaces: the key under
    which names and headings are compared."""
    text = strip_accents(text).replace("’", "'").replace("‘", "'")
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    return re.sub(r"\s+", " ", text).strip().lower()
