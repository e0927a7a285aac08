"""iCalendar export: RFC 5545 shape checked on the bytes and by parsing back with icalendar."""
from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from aidenum.catalogue.store import Catalogue
from aidenum.matcher.plan_readers import read_yaml
from aidenum.watch import calendar as ics
from aidenum.watch.digest import plan_key
from watch_helpers import DIGEST_DAY, PLAN_YAML, FakeMatcher, load_two_weeks

NOW = dt.datetime(2025, 1, 13, 9, 30, tzinfo=dt.timezone.utc)


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN_YAML, encoding="utf-8")
    return read_yaml(path)


@pytest.fixture
def deadlines(plan, referential):
    catalogue = Catalogue()
    load_two_weeks(catalogue)
    found, undated = ics.collect_deadlines(plan, catalogue, FakeMatcher(catalogue, referential), DIGEST_DAY)
    catalogue.close()
    return found, undated


def test_matched_open_deadlines_one_event_per_scheme(deadlines):
    found, undated = deadlines
    assert [(d.scheme.id, d.scheme.deadline.isoformat(), [a for a, _ in d.actions]) for d in found] == [
        ("at:anssi-parcours-cyber", "2025-01-30", ["A1"]),
        ("dsil:22-2025", "2025-02-28", ["A1", "A2"]),
        ("bdt:hubs-numerique-inclusif", "2025-04-30", ["A2"]),
        ("feder:bzh-numerique-pour-tous", "2025-06-30", ["A2"]),
    ]
    assert [s.id for s in undated] == ["bdt:pret-long-terme"]
    assert {d.scheme.id: d.sequence for d in found}["dsil:22-2025"] == 1


def test_calendar_parses_back(plan, deadlines):
    data = ics.build_calendar(deadlines[0], plan_key(plan), plan.collectivite.nom, reminder_days=14, now=NOW)
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"] == ics.PRODID
    events = calendar.walk("VEVENT")
    assert len(events) == 4
    dsil = next(e for e in events if "DSIL" in str(e["SUMMARY"]))
    assert str(dsil["SUMMARY"]) == "Clôture : Dotation de soutien à l'investissement local (DSIL) 2025 – Côtes-d'Armor"
    assert dsil.decoded("DTSTART") == dt.date(2025, 2, 28)
    assert dsil.decoded("DTEND") == dt.date(2025, 3, 1)
    assert dsil["DTSTART"].params["VALUE"] == "DATE"
    assert str(dsil["URL"]) == "https://www.cotes-darmor.gouv.fr/Actions-de-l-Etat/Collectivites-locales/DSIL-2025"
    description = str(dsil["DESCRIPTION"])
    assert "Actions du plan concernées : A1, A2" in description
    assert "  A2 – Développer la médiation numérique" in description
    assert "Page du dispositif : https://www.cotes-darmor.gouv.fr/" in description
    assert dsil.decoded("DTSTAMP") == NOW
    [alarm] = dsil.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == dt.timedelta(days=-14)
    assert str(alarm["DESCRIPTION"]) == ("Dans 14 jours : clôture de « Dotation de soutien à l'investissement "
                                         "local (DSIL) 2025 – Côtes-d'Armor »")


def test_crlf_and_75_octet_folding(plan, deadlines):
    data = ics.build_calendar(deadlines[0], plan_key(plan), plan.collectivite.nom, now=NOW)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)   # long descriptions were folded
    for line in lines:
        line.decode("utf-8")                              # no UTF-8 sequence cut by folding
    assert b"TRIGGER:-P14D" in data
    assert b"DTSTART;VALUE=DATE:20250228" in data


def test_uid_stable_per_plan_and_scheme(plan, deadlines):
    first = icalendar.Calendar.from_ical(ics.build_calendar(deadlines[0], plan_key(plan), "x", now=NOW))
    later = icalendar.Calendar.from_ical(ics.build_calendar(deadlines[0][1:], plan_key(plan), "x",
                                                            now=NOW + dt.timedelta(days=7)))
    uids = {str(e["SUMMARY"]): str(e["UID"]) for e in first.walk("VEVENT")}
    for event in later.walk("VEVENT"):
        assert uids[str(event["SUMMARY"])] == str(event["UID"])
    assert len(set(uids.values())) == 4
    assert ics.event_uid("autre-plan|commune|COM:22093", "dsil:22-2025") != ics.event_uid(plan_key(plan), "dsil:22-2025")


def test_no_deadline_no_calendar():
    with pytest.raises(ValueError, match="aucune échéance"):
        ics.build_calendar([], "k", "x")


def test_no_past_deadline_and_no_past_reminder(plan, deadlines):
    """Issue 12.3: a reminder that would fall today or before is brought forward to tomorrow,
    or left out when the deadline is today; past deadlines are never written."""
    found, _ = deadlines
    today = dt.date(2025, 1, 25)      # at:anssi-parcours-cyber closes on 30/01: 5 days left
    assert ics.reminder_days_for(dt.date(2025, 1, 30), today, 14) == 4
    assert ics.reminder_days_for(dt.date(2025, 1, 26), today, 14) == 0
    assert ics.reminder_days_for(dt.date(2025, 1, 25), today, 14) is None
    assert ics.reminder_days_for(dt.date(2025, 3, 1), today, 14) == 14
    parsed = icalendar.Calendar.from_ical(ics.build_calendar(found, plan_key(plan), "x", reminder_days=14,
                                                             now=NOW, today=today))
    for event in parsed.walk("VEVENT"):
        start = event.decoded("DTSTART")
        assert start >= today
        for alarm in event.walk("VALARM"):
            assert start + alarm.decoded("TRIGGER") > today


def test_past_and_unbounded_deadlines_are_not_inscribed(plan, referential):
    from watch_helpers import RUN1_AT, load_snapshot, week1
    records = week1()
    for record in records:
        if record["id"] == "dsil:22-2025":
            record["deadline"] = "9999-12-31"
    catalogue = Catalogue()
    load_snapshot(catalogue, records, RUN1_AT)
    found, undated = ics.collect_deadlines(plan, catalogue, FakeMatcher(catalogue, referential), dt.date(2025, 1, 6))
    assert "dsil:22-2025" in [s.id for s in undated]
    assert all(d.scheme.deadline >= dt.date(2025, 1, 6) for d in found)
    ics.build_calendar(found, plan_key(plan), "x", now=NOW)
