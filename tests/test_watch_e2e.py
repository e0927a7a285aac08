"""End to end with the real matcher (Whoosh index built from the catalogue): two weekly runs,
the digest of the example plan sent to a loopback SMTP server, and its calendar."""
from __future__ import annotations

import re
from email import message_from_bytes, policy

import icalendar
import pytest
from click.testing import CliRunner

from aidenum.catalogue.store import Catalogue
from aidenum.cli import cli
from conftest import ROOT
from aidenum.matcher.plan import load_plan
from watch_helpers import smtp  # noqa: F401  (fixture)
from watch_helpers import RUN1_AT, RUN2_AT, load_snapshot, loopback_smtp, week1, week2

PLAN = str(ROOT / "data" / "plans" / "plan-exemple.yaml")
TO = "chef.projet@loudeac-communaute.bzh"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def reported(text: str) -> dict[str, set[str]]:
    """Scheme ids per section heading of the plain-text digest, over all actions."""
    sections: dict[str, set[str]] = {}
    heading = None
    for line in text.splitlines():
        if re.match(r"^  \S", line):
            heading = line.strip()
        found = re.match(r"^    • .* \(([a-z]+:[^)\s]+)\) – ", line)
        if found and heading:
            sections.setdefault(heading, set()).add(found.group(1))
    return sections


def test_two_weekly_runs_digest_sent_and_calendar(smtp, tmp_path):
    catalogue = Catalogue()
    load_snapshot(catalogue, week1(), RUN1_AT)
    first = run("digest", PLAN, "--last-run", "--date", "2025-01-06", "-o", str(tmp_path / "semaine1.txt"))
    assert first.exit_code == 0, first.output
    load_snapshot(catalogue, week2(), RUN2_AT)

    result = run("digest", PLAN, "--last-run", "--date", "2025-01-13", "--envoyer", "--a", TO)
    assert result.exit_code == 0, result.output
    [envelope] = smtp.envelopes
    message = message_from_bytes(envelope.content, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "Résumé du 13/01/2025, depuis la veille du 06/01/2025" in text
    assert reported(text) == {
        "Nouveaux dispositifs": {"bdt:hubs-numerique-inclusif"},
        "Dispositifs modifiés": {"dsil:22-2025", "feder:bzh-numerique-pour-tous"},
        "Clôture dans moins de 30 jours": {"at:anssi-parcours-cyber"},
        "Clôturés sur la période": {"bdt:ami-lieux-innovants", "feder:bzh-services-numeriques"},
    }
    # the cybersecurity scheme closing soon is reported under the cybersecurity action
    a2 = text.split("\nA2 – ")[1].split("\nA3 – ")[0]
    assert "Parcours de cybersécurité des collectivités (at:anssi-parcours-cyber) – clôture le 30/01/2025" in a2
    assert "- Date de clôture : 31/01/2025 → 28/02/2025" in text
    assert "- Taux d'aide : jusqu'à 50 % → jusqu'à 60 %" in text
    for absent in ("dsil:01-2025", "feder:bzh-mediation-associations", "bdt:pret-long-terme", "at:cyber-2024"):
        assert absent not in text
    assert message.get_body(preferencelist=("html",)).get_content().count("<h2") == len(load_plan(PLAN).actions)

    again = run("digest", PLAN, "--last-run", "--date", "2025-01-13", "--envoyer", "--a", TO)
    assert again.exit_code == 0 and "déjà envoyé" in again.stderr
    assert len(smtp.envelopes) == 1

    out = tmp_path / "echeances.ics"
    calendar = run("calendar", PLAN, "-o", str(out), "--date", "2025-01-13")
    assert calendar.exit_code == 0, calendar.output
    events = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    summaries = {str(e["SUMMARY"]) for e in events}
    assert "Clôture : Parcours de cybersécurité des collectivités" in summaries
    assert "Clôture : DSIL 2025 – Ain" not in summaries
    assert all(e.decoded("DTSTART").year == 2025 for e in events)
