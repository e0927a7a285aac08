"""iCalendar (RFC 5545) file of the deadlines of the schemes matched to a plan.

One all-day VEVENT per scheme deadline, whatever the number of actions it serves (they are
listed in the description), with a VALARM reminder N days before. The UID depends only on
the plan and the scheme, so re-importing next week's file updates the events instead of
duplicating them; SEQUENCE grows with the scheme's stored versions so calendar applications
accept the update. Serialisation (CRLF, 75-octet folding, escaping) is the icalendar
library's.

Nothing in the past is written: no deadline before today, and a reminder that would fall
today or earlier is brought forward to tomorrow, or left out when the deadline is today. A
deadline beyond ``LAST_DEADLINE`` (exports write 9999-12-31 for « no end ») is no deadline.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from icalendar import Alarm, Calendar, Event

from aidenum.catalogue.formatting import date_fr

PRODID = "-//aidenum//Echeances des aides//FR"
DEFAULT_REMINDER_DAYS = 14
LAST_DEADLINE = dt.date(2099, 12, 31)


@dataclass
class Deadline:
    scheme: object                          # catalogue.model.Scheme
    actions: list[tuple[str, str]] = field(default_factory=list)   # (id, titre)
    sequence: int = 0


def collect_deadlines(plan, catalogue, matcher, today: dt.date, top: int = 20) -> tuple[list[Deadline], list]:
    """Open matched schemes with a deadline (one entry per scheme), and those without one."""
    by_scheme: dict[str, Deadline] = {}
    undated: dict[str, object] = {}
    for action in plan.actions:
        for match in matcher.match_action(plan.collectivite, action, top=top, include_closed=False, today=today):
            scheme = catalogue.get(match.scheme.id) or match.scheme
            status = scheme.status(today)
            if status == "closed":
                continue
            # a stale date (« date dépassée — à vérifier ») is no deadline to put in a calendar
            if status == "stale" or scheme.deadline is None or scheme.deadline > LAST_DEADLINE:
                undated[scheme.id] = scheme
                continue
            if scheme.deadline < today:
                continue
            entry = by_scheme.get(scheme.id)
            if entry is None:
                entry = by_scheme[scheme.id] = Deadline(scheme, sequence=max(len(catalogue.versions(scheme.id)) - 1, 0))
            if action.id not in [a for a, _ in entry.actions]:
                entry.actions.append((action.id, action.titre))
    deadlines = sorted(by_scheme.values(), key=lambda d: (d.scheme.deadline, d.scheme.title))
    return deadlines, list(undated.values())


def event_uid(plan_key: str, scheme_id: str) -> str:
    digest = hashlib.sha256(f"{plan_key}\n{scheme_id}".encode("utf-8")).hexdigest()[:24]
    return f"{digest}@aidenum"


def reminder_days_for(deadline: dt.date, today: dt.date, wanted: int) -> int | None:
    """Days before ``deadline`` of its reminder: ``wanted``, or fewer so that the reminder falls
    after today; None when even the deadline day's reminder would be past (deadline today)."""
    days = min(wanted, (deadline - today).days - 1)
    return days if days >= 0 else None


def build_calendar(deadlines: list[Deadline], plan_key: str, collectivite: str,
                   reminder_days: int = DEFAULT_REMINDER_DAYS, now: dt.datetime | None = None,
                   today: dt.date | None = None) -> bytes:
    """The .ics bytes; ``deadlines`` must not be empty (RFC 5545 wants one component at least)."""
    if not deadlines:
        raise ValueError("aucune échéance à inscrire au calendrier")
    stamp = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    today = today or stamp.date()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Échéances des aides – {collectivite}")
    for entry in deadlines:
        calendar.add_component(_event(entry, plan_key, reminder_days_for(entry.scheme.deadline, today, reminder_days),
                                      stamp))
    return calendar.to_ical()


def _event(entry: Deadline, plan_key: str, reminder_days: int | None, stamp: dt.datetime) -> Event:
    scheme = entry.scheme
    event = Event()
    event.add("uid", event_uid(plan_key, scheme.id))
    event.add("dtstamp", stamp)
    event.add("dtstart", scheme.deadline)                         # a date: VALUE=DATE, all day
    event.add("dtend", scheme.deadline + dt.timedelta(days=1))    # exclusive end (RFC 5545 3.6.1)
    event.add("sequence", entry.sequence)
    event.add("summary", f"Clôture : {scheme.title}")
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["Aides", "aidenum"])
    if scheme.url:
        event.add("url", scheme.url)
    event.add("description", _description(entry))
    if reminder_days is None:
        return event
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    when = {0: "Aujourd'hui", 1: "Demain"}.get(reminder_days, f"Dans {reminder_days} jours")
    alarm.add("description", f"{when} : clôture de « {scheme.title} »")
    alarm.add("trigger", dt.timedelta(days=-reminder_days))
    event.add_component(alarm)
    return event


def _description(entry: Deadline) -> str:
    scheme = entry.scheme
    lines = [f"Dispositif : {scheme.title} ({scheme.id})",
             f"Date limite : {date_fr(scheme.deadline)}",
             "Actions du plan concernées : " + ", ".join(a for a, _ in entry.actions)]
    lines += [f"  {a} – {titre}" for a, titre in entry.actions]
    if scheme.funders:
        lines.append("Financeur(s) : " + ", ".join(scheme.funders))
    if scheme.url:
        lines.append(f"Page du dispositif : {scheme.url}")
    if scheme.application_url and scheme.application_url != scheme.url:
        lines.append(f"Dépôt du dossier : {scheme.application_url}")
    lines.append("Date à vérifier sur la page du dispositif avant de déposer le dossier.")
    return "\n".join(lines)


def write_plan_calendar(plan, make_matcher, today: dt.date, output, reminder_days: int = DEFAULT_REMINDER_DAYS,
                        top: int = 20) -> str:
    """Write the .ics of ``plan``'s deadlines to ``output``; the French sentence saying what was written."""
    from pathlib import Path

    from .delivery import WatchError, check_day, open_catalogue
    from .digest import plan_key
    from aidenum.catalogue.files import atomic_write

    check_day(today, "--date")
    catalogue = open_catalogue()
    try:
        deadlines, undated = collect_deadlines(plan, catalogue, make_matcher(), today, top=top)
    finally:
        catalogue.close()
    if not deadlines:
        extra = f" ({len(undated)} dispositif(s) permanent(s) ou sans date limite)" if undated else ""
        raise WatchError(f"aucun dispositif retenu pour ce plan n'a de date limite à venir{extra} : "
                         "aucun fichier écrit")
    data = build_calendar(deadlines, plan_key(plan), plan.collectivite.nom, reminder_days, today=today)
    atomic_write(Path(output), data)
    message = f"{len(deadlines)} échéance(s) écrite(s) dans {output}, rappel {reminder_days} jour(s) avant."
    if undated:
        message += f" {len(undated)} dispositif(s) permanent(s) ou sans date limite non inscrit(s)."
    return message
