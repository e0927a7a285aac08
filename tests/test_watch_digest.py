"""Digest assembly and rendering over two weekly catalogue runs, with a stand-in matcher that
applies the real hard eligibility filters."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from aidenum.catalogue.model import Scheme
from aidenum.catalogue.store import Catalogue
from aidenum.matcher.plan_readers import read_yaml
from aidenum.watch import digest as digests
from aidenum.watch import render
from watch_helpers import DIGEST_DAY, PLAN_YAML, RUN1_AT, RUN2_AT, FakeMatcher, load_snapshot, load_two_weeks, week1


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN_YAML, encoding="utf-8")
    return read_yaml(path)


@pytest.fixture
def two_weeks():
    catalogue = Catalogue()
    load_two_weeks(catalogue)
    yield catalogue
    catalogue.close()


def by_category(digest):
    """{action id: {category: [scheme ids]}}"""
    return {a.id: {key: sorted(i.scheme.id for i in items) for key, _, items in a.groups()} for a in digest.actions}


def build(plan, catalogue, referential, period, today=DIGEST_DAY):
    return digests.build_digest(plan, catalogue, FakeMatcher(catalogue, referential), period, today,
                                perimeter_label=referential.label)


def test_digest_shows_exactly_new_changed_closing_and_closed(plan, two_weeks, referential):
    digest = build(plan, two_weeks, referential, digests.period_since(two_weeks, dt.date(2025, 1, 7)))
    assert by_category(digest) == {
        "A1": {"changed": ["dsil:22-2025"],
               "closing": ["at:anssi-parcours-cyber"],
               "closed": ["feder:bzh-services-numeriques"]},
        "A2": {"new": ["bdt:hubs-numerique-inclusif"],
               "changed": ["dsil:22-2025", "feder:bzh-numerique-pour-tous"],
               "closed": ["bdt:ami-lieux-innovants", "feder:bzh-services-numeriques"]},
    }
    reported = {i.scheme.id for a in digest.actions for i in a.items}
    # another territory (Ain), another beneficiary (associations only), nothing new, closed before
    assert not reported & {"dsil:01-2025", "feder:bzh-mediation-associations", "bdt:pret-long-terme", "at:cyber-2024"}
    assert digest.counts() == {"new": 1, "changed": 2, "reopened": 0, "closing": 1, "closed": 2, "ineligible": 0}
    items = {i.scheme.id: i for a in digest.actions for i in a.items}
    assert [c.sentence for c in items["dsil:22-2025"].changes] == [
        "Date de clôture : 31/01/2025 → 28/02/2025",
        "Description : ajouté « Les dossiers déposés hors délai ne seront pas instruits. »"]
    assert items["dsil:22-2025"].topics == ["calendrier", "texte"]
    assert [c.sentence for c in items["feder:bzh-numerique-pour-tous"].changes] == [
        "Taux d'aide : jusqu'à 50 % → jusqu'à 60 %"]
    assert items["at:anssi-parcours-cyber"].days_left == 17
    assert items["bdt:ami-lieux-innovants"].reason == "retiré de sa source le 13/01/2025"
    assert items["feder:bzh-services-numeriques"].reason == "date limite du 10/01/2025 passée"


def test_matcher_is_asked_for_closed_schemes_too(plan, two_weeks, referential):
    matcher = FakeMatcher(two_weeks, referential)
    digests.build_digest(plan, two_weeks, matcher, digests.period_since(two_weeks, dt.date(2025, 1, 7)), DIGEST_DAY)
    assert matcher.calls == [("A1", 20, True, DIGEST_DAY), ("A2", 20, True, DIGEST_DAY)]


def test_since_the_first_crawl_everything_is_new(plan, two_weeks, referential):
    digest = build(plan, two_weeks, referential, digests.period_since(two_weeks, dt.date(2025, 1, 6)))
    counts = digest.counts()
    assert counts["changed"] == 0 and counts["new"] == 5


def test_empty_digest_says_nothing_to_report(plan, referential):
    catalogue = Catalogue()
    load_snapshot(catalogue, [r for r in week1() if r["id"] == "bdt:pret-long-terme"], RUN1_AT)
    previous = {"id": "x", "date": "2025-01-06", "since": "2024-12-30", "after_run": None,
                "until_run": digests.last_run_id(catalogue)}
    digest = build(plan, catalogue, referential, digests.period_last_run(catalogue, previous, DIGEST_DAY))
    assert digest.empty and digest.summary_fr() == "rien à signaler"
    for fmt in ("terminal", "markdown", "html"):
        text = render.render(digest, fmt)
        assert "Rien à signaler" in text
        assert "A1" not in text
    assert render.subject(digest).endswith("13/01/2025 : rien à signaler")


def test_first_digest_is_a_baseline(plan, two_weeks, referential):
    """Issue 12.3: the first digest of a plan sets the starting point and says so; it does not
    list the whole catalogue as new, only what closes soon."""
    period = digests.period_last_run(two_weeks, None, DIGEST_DAY)
    assert period.baseline and period.since == DIGEST_DAY
    assert period.note.startswith("Première veille pour ce plan : ce résumé sert de point de départ.")
    digest = build(plan, two_weeks, referential, period)
    assert {i.category for a in digest.actions for i in a.items} == {"closing"}
    assert digest.counts()["new"] == digest.counts()["changed"] == 0
    record = digest.record()
    assert record["baseline"] is True
    assert "dsil:22-2025" in record["matched"]["A1"]
    text = render.render(digest, "terminal")
    assert "point de départ de la veille de ce plan" in text and "Première veille pour ce plan" in text


def test_no_longer_eligible_is_reported(plan, referential):
    """A scheme matched last time that the collectivité may no longer apply to (its territory
    narrowed to another département) is reported « plus éligible », with the reason."""
    catalogue = Catalogue()
    load_snapshot(catalogue, week1(), RUN1_AT)
    first = build(plan, catalogue, referential, digests.period_last_run(catalogue, None, dt.date(2025, 1, 6)),
                  today=dt.date(2025, 1, 6))
    assert "feder:bzh-numerique-pour-tous" in first.record()["matched"]["A2"]
    moved = [dict(r, perimeter="DEP:35") if r["id"] == "feder:bzh-numerique-pour-tous" else r for r in week1()]
    load_snapshot(catalogue, moved, RUN2_AT)
    previous = first.record()
    period = digests.period_last_run(catalogue, previous, DIGEST_DAY)
    second = digests.build_digest(plan, catalogue, FakeMatcher(catalogue, referential), period, DIGEST_DAY,
                                  perimeter_label=referential.label, previous=previous, referential=referential)
    [item] = [i for a in second.actions for i in a.items if i.category == "ineligible"]
    assert item.scheme.id == "feder:bzh-numerique-pour-tous"
    assert item.reason.startswith("territoire ") and "hors de Loudéac" in item.reason
    assert second.counts()["ineligible"] == 1
    assert "1 plus éligible" in second.summary_fr()
    text = render.render(second, "terminal")
    assert "Plus éligibles pour la collectivité" in text and "plus éligible : territoire" in text
    # merely ranked lower, or closed, is not « plus éligible »
    assert not [i for a in first.actions for i in a.items if i.category == "ineligible"]


def test_period_after_previous_digest_and_repeat(two_weeks):
    last = digests.last_run_id(two_weeks)
    previous = {"id": "d1", "date": "2025-01-06", "since": "2024-12-30", "after_run": None, "until_run": 4}
    period = digests.period_last_run(two_weeks, previous, DIGEST_DAY)
    assert (period.since, period.after_run, period.until_run) == (dt.date(2025, 1, 6), 4, last)
    assert period.label == "depuis la veille du 06/01/2025" and not period.note
    # asked again the same day with no new run: the very same period
    again = {"id": "d2", "date": "2025-01-13", "since": "2025-01-06", "after_run": 4, "until_run": last}
    repeat = digests.period_last_run(two_weeks, again, DIGEST_DAY)
    assert (repeat.since, repeat.after_run, repeat.until_run) == (dt.date(2025, 1, 6), 4, last)
    assert "même résumé" in repeat.note


def test_digest_id_is_stable_and_content_bound(plan, two_weeks, referential):
    period = digests.period_since(two_weeks, dt.date(2025, 1, 7))
    first = build(plan, two_weeks, referential, period)
    assert build(plan, two_weeks, referential, period).id == first.id
    assert build(plan, two_weeks, referential, period, today=dt.date(2025, 1, 14)).id != first.id


def test_a_scheme_reopened(plan, referential):
    catalogue = Catalogue()
    records = [r for r in week1() if r["source"] == "bdt"]
    load_snapshot(catalogue, records, RUN1_AT)
    load_snapshot(catalogue, [r for r in records if r["id"] != "bdt:ami-lieux-innovants"], RUN1_AT + dt.timedelta(days=3))
    load_snapshot(catalogue, records, RUN1_AT + dt.timedelta(days=7))
    digest = build(plan, catalogue, referential, digests.period_since(catalogue, dt.date(2025, 1, 7)))
    assert by_category(digest)["A2"] == {"reopened": ["bdt:ami-lieux-innovants"]}


def test_render_formats(plan, two_weeks, referential):
    digest = build(plan, two_weeks, referential, digests.period_since(two_weeks, dt.date(2025, 1, 7)))
    text = render.render(digest, "terminal", catalogue_updated="2025-01-13T08:00:00")
    assert "Bilan : 1 nouveau, 2 modifiés, 1 clôture proche, 2 clôturés." in text
    assert "- Date de clôture : 31/01/2025 → 28/02/2025" in text
    assert "Parcours de cybersécurité des collectivités (at:anssi-parcours-cyber) – clôture le 30/01/2025 " \
           "(dans 17 jours)" in text
    assert "catalogue mis à jour le 13/01/2025\nDonnées Aides-territoires" in text
    markdown = render.render(digest, "markdown")
    assert "## A1 – Renforcer la cybersécurité des systèmes d'information des communes" in markdown
    assert "- [AMI Hubs pour un numérique inclusif](https://www.caissedesdepots.fr/node/784)" in markdown
    html = render.render(digest, "html")
    assert "<li>Taux d&#39;aide : jusqu&#39;à 50 % → jusqu&#39;à 60 %</li>" in html
    assert html.count("<h2") == 2
    assert render.subject(digest) == ("Veille des aides – Loudéac Communauté - Bretagne Centre – 13/01/2025 : "
                                      "1 nouveau, 2 modifiés, 1 clôture proche, 2 clôturés")


def test_html_and_markdown_escape_scheme_text(plan, referential):
    catalogue = Catalogue()
    record = dict(week1()[0], title="Numérique & <b>cybersécurité</b> [DSIL] *2025*", deadline="2025-01-20")
    load_snapshot(catalogue, [record], RUN1_AT)
    digest = build(plan, catalogue, referential, digests.period_since(catalogue, dt.date(2025, 1, 7)))
    assert digest.counts()["closing"] == 1
    html = render.render(digest, "html")
    assert "Numérique &amp; &lt;b&gt;cybersécurité&lt;/b&gt;" in html and "<b>" not in html
    markdown = render.render(digest, "markdown")
    assert r"Numérique & \<b\>cybersécurité\</b\> \[DSIL\] \*2025\*" in markdown


@pytest.mark.parametrize("url, link", [
    ("https://fr.wikipedia.org/wiki/DETR_(dotation)", "(https://fr.wikipedia.org/wiki/DETR_%28dotation%29)"),
    ("https://www.exemple.fr/a)](javascript:alert(1)", "(https://www.exemple.fr/a%29]%28javascript:alert%281%29)"),
    ("https://www.exemple.fr/é<x>", "(https://www.exemple.fr/%C3%A9%3Cx%3E)"),
])
def test_markdown_links_escape_their_address(plan, referential, url, link):
    """Issue 15.10: a parenthesis, space or bracket in an address must not end the link."""
    catalogue = Catalogue()
    load_snapshot(catalogue, [dict(week1()[0], url=url, deadline="2025-01-20")], RUN1_AT)
    digest = build(plan, catalogue, referential, digests.period_since(catalogue, dt.date(2025, 1, 7)))
    markdown = render.render(digest, "markdown")
    assert f"]{link} (`dsil:22-2025`)" in markdown


def test_markdown_drops_links_that_are_not_web_addresses():
    assert render.md_url("javascript:alert(1)") == ""
    assert render.md_url("https://aides-territoires.beta.gouv.fr/aides/x/") == "https://aides-territoires.beta.gouv.fr/aides/x/"


def test_unknown_format():
    with pytest.raises(ValueError, match="format inconnu « pdf »"):
        render.render(None, "pdf")


def test_plan_key_ignores_the_file(plan, tmp_path):
    other = tmp_path / "ailleurs" / "mon-plan.yml"
    other.parent.mkdir()
    other.write_text(PLAN_YAML.replace("Développer la médiation", "Étendre la médiation"), encoding="utf-8")
    assert digests.plan_key(read_yaml(other)) == digests.plan_key(plan)
    assert re.fullmatch(r"loudeac-communaute-bretagne-centre\|epci\|EPCI:200067460", digests.plan_key(plan))


def test_changed_and_changed_back_is_not_reported(plan, referential):
    catalogue = Catalogue()
    record = week1()[1]   # FEDER, deadline 30/06/2025
    load_snapshot(catalogue, [record], RUN1_AT)
    load_snapshot(catalogue, [dict(record, rate_max=60.0)], RUN1_AT + dt.timedelta(days=2))
    load_snapshot(catalogue, [record], RUN1_AT + dt.timedelta(days=4))
    digest = build(plan, catalogue, referential, digests.period_since(catalogue, dt.date(2025, 1, 7)))
    assert digest.empty
    assert Scheme.from_dict(record).rate_max == 50.0
