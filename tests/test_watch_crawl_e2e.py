"""The issue's "done when": `aidenum crawl` twice over changed pages of a loopback préfecture site,
then `aidenum digest` (real matcher, in a subprocess like the weekly job) shows exactly the
new, changed, closing and closed schemes for the example plan, and the e-mail reaches a
loopback SMTP server."""
from __future__ import annotations

import copy
import re
from email import message_from_bytes, policy

import pytest

from conftest import ROOT
from crawl_helpers import Mirror, crawl, demo_site, free_port, run_aidenum
from watch_helpers import loopback_smtp

PLAN = str(ROOT / "data" / "plans" / "plan-exemple.yaml")
TO = "chef.projet@loudeac-communaute.bzh"
COMMUNES_EPCI = ["Communes", "EPCI à fiscalité propre"]

WEEK1 = [
    {"slug": "dsil-2025-numerique-cotes-darmor", "title": "DSIL 2025 – développement du numérique",
     "window": "Les dossiers sont à déposer du 20 novembre 2024 au 31 janvier 2025 à 23h59.",
     "envelope": "L'enveloppe départementale s'élève à 5 355 989 €.",
     "who": COMMUNES_EPCI, "territory": "Côtes-d'Armor", "rate": "jusqu'à 80 %"},
    {"slug": "cybersecurite-collectivites-bretagne", "title": "Cybersécurité des collectivités bretonnes",
     "window": "Dépôt jusqu'au 15 mars 2025.", "envelope": "Crédits régionaux : 1 200 000 €.",
     "who": COMMUNES_EPCI, "territory": "Bretagne", "rate": "40 %"},
    {"slug": "wifi-public-cotes-darmor", "title": "Wifi public dans les bourgs",
     "window": "Les demandes doivent parvenir avant le 30 janvier 2025.", "envelope": "Enveloppe : 300 000 €.",
     "who": COMMUNES_EPCI, "territory": "Côtes-d'Armor", "rate": "50 %"},
    {"slug": "tiers-lieux-numeriques-bretagne", "title": "Tiers-lieux numériques et fablabs",
     "window": "Dépôt jusqu'au 30 septembre 2025.", "envelope": "Enveloppe : 2 000 000 €.",
     "who": COMMUNES_EPCI, "territory": "Bretagne", "rate": "30 %"},
    {"slug": "sig-intercommunal-2025", "title": "SIG intercommunal et données géographiques",
     "window": "Dépôt jusqu'au 10 janvier 2025.", "envelope": "Enveloppe : 450 000 €.",
     "who": COMMUNES_EPCI, "territory": "Bretagne", "rate": "50 %"},
    {"slug": "mediation-numerique-associations", "title": "Médiation numérique : conseillers numériques associatifs",
     "window": "Dépôt jusqu'au 30 juin 2025.", "envelope": "Enveloppe : 800 000 €.",
     "who": ["Associations"], "territory": "Bretagne", "rate": "50 %"},
]


def week2() -> list[dict]:
    schemes = {s["slug"]: s for s in copy.deepcopy(WEEK1)}
    schemes["dsil-2025-numerique-cotes-darmor"]["window"] = \
        "Les dossiers sont à déposer du 20 novembre 2024 au 28 février 2025 à 23h59."
    schemes["cybersecurite-collectivites-bretagne"]["rate"] = "60 %"
    schemes["mediation-numerique-associations"]["rate"] = "70 %"
    del schemes["tiers-lieux-numeriques-bretagne"]
    schemes["open-data-cotes-darmor"] = {
        "slug": "open-data-cotes-darmor", "title": "Ouverture des données publiques (open data)",
        "window": "Dépôt jusqu'au 30 avril 2025.", "envelope": "Enveloppe : 150 000 €.",
        "who": COMMUNES_EPCI, "territory": "Côtes-d'Armor", "rate": "50 %"}
    schemes["dsil-2025-numerique-ain"] = {
        "slug": "dsil-2025-numerique-ain", "title": "DSIL 2025 – développement du numérique (Ain)",
        "window": "Dépôt jusqu'au 31 mars 2025.", "envelope": "Enveloppe : 4 000 000 €.",
        "who": COMMUNES_EPCI, "territory": "Ain", "rate": "jusqu'à 80 %"}
    return list(schemes.values())


@pytest.fixture
def smtp():
    controller, sink = loopback_smtp()
    yield controller, sink
    controller.stop()


def crawl_site(home, schemes, port):
    with Mirror(demo_site(schemes), port=port) as mirror:
        result = crawl(home, "demo_prefecture", mirror.url("/aides"), demo=True)
    assert result.returncode == 0, result.stderr[-2000:]


def sections(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    heading = None
    for line in text.splitlines():
        if re.match(r"^  \S", line):
            heading = line.strip()
        item = re.match(r"^    • .* \(([a-z0-9]+:[^)\s]+)\) – ", line)
        if item and heading:
            found.setdefault(heading, set()).add(item.group(1))
    return found


def test_crawl_twice_then_digest_by_mail(aidenum_home, smtp, tmp_path):
    controller, sink = smtp
    port = free_port()
    crawl_site(aidenum_home, WEEK1, port)
    first = run_aidenum(["digest", PLAN, "--last-run", "--date", "2025-01-06", "-o", str(tmp_path / "semaine1.txt")], aidenum_home)
    assert first.returncode == 0, first.stderr
    crawl_site(aidenum_home, week2(), port)

    env = {"AIDENUM_SMTP_HOST": "127.0.0.1", "AIDENUM_SMTP_PORT": str(controller.port),
           "AIDENUM_SMTP_FROM": "veille@loudeac-communaute.bzh"}
    second = run_aidenum(["digest", PLAN, "--last-run", "--date", "2025-01-13", "--envoyer", "--a", TO], aidenum_home, env=env)
    assert second.returncode == 0, second.stderr
    [envelope] = sink.envelopes
    message = message_from_bytes(envelope.content, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert sections(text) == {
        "Nouveaux dispositifs": {"demo:open-data-cotes-darmor"},
        "Dispositifs modifiés": {"demo:dsil-2025-numerique-cotes-darmor", "demo:cybersecurite-collectivites-bretagne"},
        "Clôture dans moins de 30 jours": {"demo:wifi-public-cotes-darmor"},
        "Clôturés sur la période": {"demo:tiers-lieux-numeriques-bretagne", "demo:sig-intercommunal-2025"},
    }, text
    assert "- Date de clôture : 31/01/2025 → 28/02/2025" in text
    assert "- Taux d'aide : jusqu'à 40 % → jusqu'à 60 %" in text
    assert "(Ain)" not in text and "associatifs" not in text

    again = run_aidenum(["digest", PLAN, "--last-run", "--date", "2025-01-13", "--envoyer", "--a", TO], aidenum_home, env=env)
    assert again.returncode == 0 and "déjà envoyé" in again.stderr
    assert len(sink.envelopes) == 1
