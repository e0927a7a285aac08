"""The status a scheme shows on a given day — the one rule every listing, report and page uses.

``status_of(scheme, today)`` gives one of:

- ``closed`` (« clôturé »): removed from its source or archived; its deadline is past, whatever its
  recurrence says; or its texts say it ended — a programme of the 2020-2022 recovery plan, or
  (for a one-off call or a scheme that states no recurrence) a closing date stated in its text
  (« jusqu'au 30 juin 2023 », « date limite de dépôt : 15/03/2022 ») or the year of a call
  (« Appel à projets 2023 ») that is past;
- ``stale`` (« date dépassée — à vérifier »): a permanent or recurring scheme whose text states a
  closing date or a call year that is past. The next session may be open, the catalogue does not
  know: it is not shown as open (``--ouverts`` and « ouvert » filters leave it out), but it is
  still matched, with that warning, so a real recurring scheme is never silently lost;
- ``closing-soon`` (« clôture proche »): deadline within ``CLOSING_SOON_DAYS``;
- ``open`` (« ouvert »).

Only the latest end the texts state counts (a first wave « avant le 15/03/2022 » followed by a
second « jusqu'au 30 septembre 2022 » ends in September). The texts are read when the scheme is
stored (``end_evidence``, kept in ``Scheme.end_evidence``) so a listing that does not decode long
texts shows the same status as the full record.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .formatting import date_fr
from .normalise import find_dates_at

CLOSING_SOON_DAYS = 30
# Stored in ``Scheme.end_evidence`` when the texts were read and state no end.
NO_EVIDENCE = "-"
# Words that make the date right after them a closing date. A date after « à partir du »,
# « depuis le » or « le » alone is a start, an event or a publication, not an end.
_CLOSING_CUE_RE = re.compile(
    r"\b(?:jusqu['’]\s?(?:au|à|a)(?:\s+(?:la\s+)?fin(?:\s+d[eu'’])?)?|avant\s+(?:le|la\s+fin\s+d[eu'’]|fin)?"
    r"|au\s+plus\s+tard\s+(?:le|au|fin|à\s+la\s+fin\s+d[eu'’])?|(?:date\s+)?limite[^.;:\d\n]{0,45}?(?:est\s+)?(?:le|au|:|fixée?\s+au)?"
    r"|cl[ôo]tur\w*[^.;:\d\n]{0,30}?(?:le|au|:)?|se\s+(?:termine|clôt|clot|ferme)\w*\s+(?:le|au|fin)?"
    r"|ferm\w+\s+(?:le|au)|prolong\w*\s+jusqu['’]\s?(?:au|à))\s*(?:la\s+)?$",
    re.IGNORECASE)
_CUE_WINDOW = 80  # characters read before a date for its cue
# Where a cue may start, searched in the lower-cased text (much faster than a case-blind search),
# and only in texts that write a year of this century: no year, no dated end.
_CUE_START_RE = re.compile(r"jusqu|avant|plus\s+tard|limite|cl[ôo]tur|termin|cl[ôo]t|ferm|prolong")
_ANY_YEAR_RE = re.compile(r"20\d\d")
# France Relance, the State's 2020-2022 recovery plan: its calls and offers ended with it.
_RECOVERY_PLAN_RE = re.compile(r"\b(?:france\s+relance|plan\s+de\s+relance)\b", re.IGNORECASE)
RECOVERY_PLAN_END = dt.date(2022, 12, 31)
# A call named with its year (« Appel à projets 2023 », « DETR 2025 (campagne) »): over at the
# end of the latest year its title names (« 2021-2027 » runs to 2027).
_CALL_WORDS_RE = re.compile(
    r"\b(?:appels?\s+à\s+(?:projets?|candidatures?|propositions?|manifestations?\s+d['’]intérêt)|aap|ami"
    r"|campagne|session|édition|millésime)\b", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<![\d/.-])(20\d\d)(?:\s*[-–]\s*(20\d\d))?(?![\d/.-]?\d)")
PERMANENT = ("ongoing", "recurring")


@dataclass(frozen=True)
class Status:
    code: str          # open | closing-soon | stale | closed (keys of vocabularies.STATUSES)
    reason: str = ""   # French, why closed (to follow « exclue : »: « clôturée le 01/06/2023 ») or stale


def end_evidence(scheme) -> str:
    """The latest end the scheme's texts state: « AAAA-MM-JJ » then the excerpt that says it
    (« 2023-06-30 jusqu'au 30 juin 2023 », « 2022-12-31 France Relance »), or ``NO_EVIDENCE``."""
    candidates = []
    for text in (scheme.title, scheme.name_initial, scheme.description, scheme.eligibility):
        candidates += _closing_dates(text or "")
    for text in (scheme.title, scheme.name_initial, *scheme.programmes, *scheme.funders):
        match = _RECOVERY_PLAN_RE.search(text or "")
        if match:
            candidates.append((RECOVERY_PLAN_END, match.group(0)))
    for text in (scheme.title, scheme.name_initial):
        if text and (scheme.is_call_for_project or _CALL_WORDS_RE.search(text)):
            years = _years(text)
            if years:
                candidates.append((dt.date(max(years), 12, 31), " ".join(text[:120].split())))
    if not candidates:
        return NO_EVIDENCE
    day, excerpt = max(candidates, key=lambda c: c[0])
    return f"{day.isoformat()} {excerpt}"


def split_evidence(evidence: str) -> tuple[dt.date | None, str]:
    """(end date, excerpt) of an ``end_evidence`` value; (None, "") when it states no end."""
    if not evidence or evidence == NO_EVIDENCE:
        return None, ""
    try:
        return dt.date.fromisoformat(evidence[:10]), evidence[11:]
    except ValueError:  # not written by ``end_evidence``: read nothing rather than guess
        return None, ""


def _closing_dates(text: str) -> list[tuple[dt.date, str]]:
    """(date, excerpt) of each date right after a closing cue. Dates are read only near a cue
    word of a text that writes a year: reading every date of every description would make
    storing a scheme markedly slower (bench/bench_status.py)."""
    if not _ANY_YEAR_RE.search(text):
        return []
    lowered = text.lower()
    if len(lowered) != len(text):  # a rare letter whose lower case is longer: positions would shift
        lowered = text
    found: dict[int, tuple[dt.date, str]] = {}
    for hint in _CUE_START_RE.finditer(lowered):
        window_start = max(0, hint.start() - 10)   # « date limite », « au plus tard » start before the hint
        window = text[window_start:hint.start() + _CUE_WINDOW + 30]
        for day, start, end in find_dates_at(window):
            cue = _CLOSING_CUE_RE.search(window[:start])
            if cue and window_start + start not in found:
                found[window_start + start] = (day, " ".join(window[cue.start():end].split()))
    return list(found.values())


def _years(text: str) -> list[int]:
    return [int(year) for pair in _YEAR_RE.findall(text) for year in pair if year]


def stated_end(scheme) -> tuple[dt.date | None, str]:
    """(end date, excerpt) the scheme's texts state: the stored reading, or a fresh one when the
    scheme was never stored (or stored in another shape)."""
    ended, excerpt = split_evidence(scheme.end_evidence)
    if ended is None and scheme.end_evidence != NO_EVIDENCE:
        ended, excerpt = split_evidence(end_evidence(scheme))
    return ended, excerpt


def status_of(scheme, today: dt.date | None = None) -> Status:
    """The status ``scheme`` shows on ``today`` (see the module's docstring)."""
    today = today or dt.date.today()
    if scheme.closed_at:
        return Status("closed", f"retirée de sa source le {date_fr(scheme.closed_at[:10])} (clôturée)")
    if scheme.archived:
        return Status("closed", "archivée par la source")
    if scheme.deadline is not None and scheme.deadline < today:
        return Status("closed", f"clôturée le {date_fr(scheme.deadline)}")
    ended, evidence = stated_end(scheme)
    if ended is not None and ended < today:
        if _RECOVERY_PLAN_RE.fullmatch(evidence):
            return Status("closed", f"clôturée : programme du plan de relance 2020-2022 (« {evidence} »)")
        if scheme.recurrence in PERMANENT:
            return Status("stale", f"le texte indique « {evidence} », la session suivante n'est pas connue")
        return Status("closed", f"clôturée d'après son texte (« {evidence} »)")
    if scheme.deadline is not None and (scheme.deadline - today).days <= CLOSING_SOON_DAYS:
        return Status("closing-soon")
    return Status("open")
