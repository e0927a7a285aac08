"""How old the data of each source is, said in the reports (issue 12).

Every scheme knows the date of its data: ``Scheme.data_date`` when the source gives it (the date
facts were read on a page, a feed's timestamp, the month of an export), otherwise the date it was
last collected (``last_seen``). A report groups the schemes it shows by source and gives, for each,
the oldest of these dates — « données Aides-territoires de novembre 2022 » — with a warning when
it is older than six months.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from .formatting import date_fr, month_year_fr
from .model import SOURCES, Scheme

# Funding rules change at least yearly (DETR categories, calls, rates): data older than half a
# year has probably been superseded somewhere. Six months is the threshold issue 12 asks for.
STALE_AFTER_DAYS = 183


@dataclass(frozen=True)
class SourceDate:
    labels: tuple[str, ...]   # the sources sharing this date
    date: dt.date | None      # None: the source says nothing and the scheme was never collected
    month_only: bool          # the source gives a month ("2022-11"), not a day
    collected: bool           # the source gives no date: this is when aidenum last collected or imported it

    def is_stale(self, today: dt.date) -> bool:
        return is_stale(self.date, today)

    def sentence(self, today: dt.date) -> str:
        """« Données Aides-territoires de novembre 2022 — plus de six mois : … »"""
        names = ", ".join(self.labels)
        if self.date is None:
            return f"Données {names} : date inconnue — à vérifier sur la page de chaque dispositif."
        if self.collected:
            text = (f"Données {names} : date non indiquée par la source (dernière collecte ou import le "
                    f"{date_fr(self.date)})")
        elif self.month_only:
            text = f"Données {names} de {month_year_fr(self.date)}"
        else:
            text = f"Données {names} du {date_fr(self.date)}"
        if self.is_stale(today):
            text += (" — plus de six mois : conditions, montants et dates ont pu changer, vérifiez-les sur la "
                     "page de chaque dispositif")
        return text + "."


def is_stale(date: dt.date | None, today: dt.date) -> bool:
    """Data of ``date`` is older than six months on ``today``."""
    return date is not None and (today - date).days > STALE_AFTER_DAYS


def data_date_of(scheme: Scheme) -> tuple[dt.date | None, bool, bool]:
    """(date, month_only, collected) of one scheme's data."""
    if scheme.data_date:
        if len(scheme.data_date) == 7:
            return dt.date.fromisoformat(scheme.data_date + "-01"), True, False
        return dt.date.fromisoformat(scheme.data_date), False, False
    if scheme.last_seen:
        return dt.date.fromisoformat(scheme.last_seen[:10]), False, True
    return None, False, False


def source_dates(schemes: Iterable[Scheme]) -> list[SourceDate]:
    """The oldest date of each source's data among ``schemes``, sources of the same date together,
    oldest first."""
    oldest: dict[str, tuple] = {}
    for scheme in schemes:
        date, month_only, collected = data_date_of(scheme)
        known = oldest.get(scheme.source)
        if known is None or (date is not None and (known[0] is None or date < known[0])):
            oldest[scheme.source] = (date, month_only, collected)
    grouped: dict[tuple, list[str]] = {}
    for source in sorted(oldest):
        grouped.setdefault(oldest[source], []).append(SOURCES.get(source, source))
    return [SourceDate(tuple(labels), *key)
            for key, labels in sorted(grouped.items(), key=lambda item: (item[0][0] or dt.date.min, item[1]))]


def freshness_lines(schemes: Iterable[Scheme], today: dt.date) -> list[str]:
    return [item.sentence(today) for item in source_dates(schemes)]


def source_data_date(schemes: Iterable[Scheme], source: str) -> str | None:
    """The oldest data date of ``source`` as ISO text (« 2022-11 », « 2026-12-02 »), for credits."""
    dates = [data_date_of(s) for s in schemes if s.source == source]
    dates = [(d, month_only) for d, month_only, _ in dates if d is not None]
    if not dates:
        return None
    day, month_only = min(dates)
    return day.isoformat()[:7] if month_only else day.isoformat()
