"""Parsing of French prose as printed on funding pages: dates, amounts, rates, text clean-up.

Every function returns None (or an empty value) when it finds nothing, never a guess.
"""
from __future__ import annotations

import datetime as dt
import html
import re

from .formatting import MONTHS, number_fr, range_fr  # noqa: F401  (re-exported: writers live in formatting)

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_RE = r"(1er|\d{1,2})"
_DATE_RE = re.compile(rf"\b{_DAY_RE}\s+({_MONTH_RE})(?:\s+(\d{{4}}))?\b", re.IGNORECASE)
_NUMERIC_DATE_RE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_SPACES = "\u00a0\u202f\u2009 "


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, default_year: int | None = None) -> list[dt.date]:
    """Every date written in ``text`` ("30 avril 2025", "1er mars", "31/01/2025", "2025-01-31").

    A date without a year takes ``default_year``; without one it is skipped. In a range
    "du 20 novembre au 31 janvier 2025" the first date takes the year of the second, one year
    earlier when its month comes after."""
    return [date for date, _, _ in find_dates_at(text, default_year)]


def find_dates_at(text: str, default_year: int | None = None) -> list[tuple[dt.date, int, int]]:
    """``find_dates`` with where each date starts and ends in ``text`` (to read the words before it)."""
    found: list[tuple[int, int, dt.date | None, tuple[int, int] | None]] = []
    for match in _DATE_RE.finditer(text or ""):
        day = 1 if match.group(1).lower() == "1er" else int(match.group(1))
        month = MONTHS[match.group(2).lower()]
        year = int(match.group(3)) if match.group(3) else None
        found.append((match.start(), match.end(), _make_date(year, month, day) if year else None, (month, day)))
    for match in _NUMERIC_DATE_RE.finditer(text or ""):
        found.append((match.start(), match.end(),
                      _make_date(int(match.group(3)), int(match.group(2)), int(match.group(1))), None))
    for match in _ISO_DATE_RE.finditer(text or ""):
        found.append((match.start(), match.end(), _make_date(*map(int, match.groups())), None))
    found.sort(key=lambda item: item[0])
    dates: list[tuple[dt.date, int, int]] = []
    for index, (start, end, date, month_day) in enumerate(found):
        if date is None and month_day:
            following = next((d for _, _, d, _md in found[index + 1:] if d), None)
            year = following.year if following else default_year
            if following and month_day[0] > following.month:
                year -= 1
            date = _make_date(year, *month_day) if year else None
        if date:
            dates.append((date, start, end))
    return dates


def parse_french_date(text: str, default_year: int | None = None) -> dt.date | None:
    dates = find_dates(text, default_year)
    return dates[0] if dates else None


def parse_window(text: str, default_year: int | None = None) -> tuple[dt.date | None, dt.date | None]:
    """(start, end) of a campaign window: "du 20 novembre 2024 au 31 janvier 2025 à 23h59",
    "avant le 30 avril", "jusqu'au 15 mars 2025". A single date is the deadline."""
    dates = find_dates(text, default_year)
    if not dates:
        return None, None
    if len(dates) == 1:
        if re.search(r"\b(à partir|depuis|dès|ouverture|ouvert le)\b", text, re.IGNORECASE):
            return dates[0], None
        return None, dates[0]
    return dates[0], dates[-1]


_AMOUNT_RE = re.compile(
    r"(\d{1,3}(?:[" + _SPACES + r".]\d{3})+|\d+)(?:[,.](\d+))?\s*"
    r"(milliards?|mds?|md€|millions?|m€|meur|k€|keur|000\s*€)?\s*(?:d['’]\s*)?(€|euros?|eur)?",
    re.IGNORECASE)
_MULTIPLIERS = {"milliard": 1e9, "milliards": 1e9, "md": 1e9, "mds": 1e9, "md€": 1e9,
                "million": 1e6, "millions": 1e6, "m€": 1e6, "meur": 1e6, "k€": 1e3, "keur": 1e3}


def find_amounts(text: str) -> list[float]:
    """Euro amounts in ``text``: "5 355 989 €", "375,51 M€", "1,63 milliards d'euros", "50 k€".

    A bare number with no unit and no euro sign is not an amount."""
    amounts = []
    for match in _AMOUNT_RE.finditer(text or ""):
        whole, decimals, scale, currency = match.groups()
        if not scale and not currency:
            continue
        digits = re.sub(r"[" + _SPACES + r".]", "", whole)
        value = float(f"{digits}.{decimals}" if decimals else digits)
        scale_key = (scale or "").lower().replace(" ", "")
        if scale_key.startswith("000"):
            value *= 1000
        else:
            value *= _MULTIPLIERS.get(scale_key, 1)
        amounts.append(round(value, 2))
    return amounts


def parse_amount(text: str) -> float | None:
    amounts = find_amounts(text)
    return amounts[0] if amounts else None


_RATE_RE = re.compile(r"(\d{1,3}(?:[,.]\d+)?)\s*%")


def find_rates(text: str) -> list[float]:
    """Percentages in ``text`` ("80 %", "jusqu'à 50%", "12,5 %"), only those ≤ 100."""
    rates = []
    for match in _RATE_RE.finditer(text or ""):
        value = float(match.group(1).replace(",", "."))
        if value <= 100:
            rates.append(value)
    return rates


def clean_text(text: str | None) -> str:
    """Strip tags, decode entities, drop debug noise, collapse white space."""
    if not text:
        return ""
    text = re.sub(r"<br\s*/?>|</p>|</li>|</h\d>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]+>", " ", text)
    text = html.unescape(text)
    text = re.sub(r'string\(\d+\)\s*"[^"]*"\s*(NULL)?', " ", text)  # PHP var_dump left on a page
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    text = _BLANKS_RE.sub(" ", text)  # once for the whole text: same result as line by line, faster
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()


_BLANKS_RE = re.compile(r"[ \t]+")


# Terminal escape sequences (ESC [ … letter) first, then every other C0/C1 control character and DEL;
# tab, line feed and carriage return are text. A NUL or an ESC from a source would otherwise reach
# the terminal (colours, cursor moves), the HTML report and the CSV export.
_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# What, in JSON text, can decode to a character that ``strip_controls`` removes: that character
# itself (JSON strings may hold DEL and C1 characters raw) or an escape: \b, \f, \u0000-\u001f,
# \u007f-\u009f (either case). It may also find one where nothing would be removed (\u000a, an
# escaped backslash). One ``in`` per character is several times faster than a regex character class.
_CONTROL_CHARS = tuple(char for char in map(chr, range(0x100)) if _CONTROL_RE.match(char))
_CONTROL_ESCAPE_RE = re.compile(r"\\(?:[bf]|u00(?:[0189]|7[fF]))")


def may_hold_controls(json_text: str) -> bool:
    """False when no string decoded from ``json_text`` can hold a character ``strip_controls``
    removes (then the decoded texts need no stripping)."""
    if _CONTROL_ESCAPE_RE.search(json_text):
        return True
    return any(char in json_text for char in _CONTROL_CHARS)


def strip_controls(text: str) -> str:
    """``text`` without control characters and terminal escape sequences (tab and newlines kept)."""
    if not _CONTROL_RE.search(text):
        return text
    return _CONTROL_RE.sub("", _ANSI_RE.sub("", text))


def strip_tracking(url: str) -> str:
    """Remove utm_*, xtor, fbclid and similar tracking parameters from a URL."""
    if "?" not in url:
        return url
    base, _, query = url.partition("?")
    fragment = ""
    if "#" in query:
        query, _, fragment = query.partition("#")
    kept = [p for p in query.split("&") if p and not re.match(r"(utm_[a-z]+|xtor|fbclid|gclid|mc_[a-z]+)=", p, re.I)]
    return base + ("?" + "&".join(kept) if kept else "") + ("#" + fragment if fragment else "")
