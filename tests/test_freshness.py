"""Issue 12.3, « fresh status »: one rule for the status a scheme shows on a day (catalogue.status),
used by the listings, the matcher's filters, the reports, the digest and the calendar; the shipped
snapshot shows no ended scheme as open; reports give the date of each source's data."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aidenum.catalogue import status as statuses
from aidenum.catalogue.importers import Filters, select
from aidenum.catalogue.model import Scheme
from aidenum.catalogue.normalise import find_dates_at
from aidenum.catalogue.store import Catalogue
from aidenum.cli import cli
from aidenum.matcher import filters

TODAY = dt.date(2026, 12, 2)
SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "catalogue.jsonl"


def scheme(**fields) -> Scheme:
    values = {"id": "at:x", "source": "at", "title": "Aide aux équipements numériques", **fields}
    return Scheme(**values)


def status(item: Scheme, today: dt.date = TODAY) -> str:
    return item.status(today)


# -- the rule ----------------------------------------------------------------------------------

def test_a_past_deadline_closes_whatever_the_recurrence():
    for recurrence in ("ongoing", "recurring", "oneoff", ""):
        item = scheme(recurrence=recurrence, deadline=dt.date(2023, 6, 1))
        assert status(item) == "closed", recurrence
        assert item.status_detail(TODAY).reason == "clôturée le 01/06/2023"
    assert status(scheme(recurrence="ongoing", deadline=dt.date(2023, 6, 1)), dt.date(2023, 1, 2)) == "open"
    assert status(scheme(deadline=TODAY + dt.timedelta(days=10))) == "closing-soon"
    assert status(scheme(deadline=TODAY)) == "closing-soon"          # the deadline day is still open


@pytest.mark.parametrize("text, end", [
    ("Les dossiers sont à déposer jusqu'au 30 juin 2023.", dt.date(2023, 6, 30)),
    ("Candidatures avant le 15/03/2022 sur la plateforme.", dt.date(2022, 3, 15)),
    ("La date limite pour le dépôt d'un projet est le 28 décembre 2022.", dt.date(2022, 12, 28)),
    ("Clôture de l'appel : 1er octobre 2024", dt.date(2024, 10, 1)),
    ("Dépôt au plus tard le 2024-05-31.", dt.date(2024, 5, 31)),
    # two waves: the call ends with the last one
    ("Première relève avant le 15 mars 2022, seconde jusqu'au 30 septembre 2022.", dt.date(2022, 9, 30)),
])
def test_a_closing_date_in_the_text_ends_a_call(text, end):
    item = scheme(description=text)
    assert statuses.split_evidence(statuses.end_evidence(item))[0] == end
    assert status(item, end) == "open" and status(item, end + dt.timedelta(days=1)) == "closed"
    assert "d'après son texte" in item.status_detail(TODAY).reason


def test_a_date_that_is_no_closing_date_ends_nothing():
    for text in ("Une hausse jusqu'à 50 000 € en 2026 a été annoncée le 27 juin 2023.",
                 "Dispositif ouvert à partir du 1er janvier 2021.", "Créé le 12/05/2019 par la Région.",
                 "Programme pluriannuel 2019-2023 de l'établissement."):
        item = scheme(description=text)
        assert statuses.end_evidence(item) == statuses.NO_EVIDENCE, text
        assert status(item) == "open"


def test_a_permanent_or_recurring_scheme_whose_stated_date_passed_is_stale_not_open():
    for recurrence in ("ongoing", "recurring"):
        item = scheme(recurrence=recurrence, description="Dépôt des demandes avant le 18 mai 2022.")
        assert status(item) == "stale"
        assert "avant le 18 mai 2022" in item.status_detail(TODAY).reason
        assert status(item, dt.date(2022, 5, 1)) == "open"


def test_recovery_plan_programmes_ended_with_the_plan():
    for fields in ({"title": "Plan de relance Très Haut Débit"},
                   {"funders": ["État (PIA4 / France Relance)"]},
                   {"title": "Cybersécurité des collectivités", "programmes": ["France Relance"]}):
        item = scheme(recurrence="ongoing", **fields)
        assert status(item, dt.date(2022, 6, 1)) == "open"
        assert status(item) == "closed"
        assert "plan de relance 2020-2022" in item.status_detail(TODAY).reason
    # the word alone is no programme: « une relance locale rapide » says nothing of an end
    assert status(scheme(title="Financer des équipements publics pour une relance locale rapide")) == "open"


def test_the_stored_evidence_gives_its_end_first():
    item = scheme(title="Appel à projets 2024 (lancé le 15/01/2023)")
    assert statuses.end_evidence(item) == "2024-12-31 Appel à projets 2024 (lancé le 15/01/2023)"
    assert status(item, dt.date(2024, 6, 1)) == "open"    # the launch date in the title is no end
    assert statuses.split_evidence("n'importe quoi") == (None, "")


def test_a_call_named_with_a_past_year_is_over():
    call = scheme(title="Appel à projets 2023 « Numérique inclusif »")
    assert status(call, dt.date(2023, 12, 31)) == "open" and status(call) == "closed"
    assert status(scheme(title="AMI Tiers-lieux 2024", recurrence="recurring")) == "stale"
    # a call of a 2021-2027 programme runs to the programme's end; a year in a scheme that is no call is no end
    assert status(scheme(title="Numérique pour tous (FEDER Bretagne 2021-2027)", is_call_for_project=True)) == "open"
    assert status(scheme(title="Prêts 2023 de la Banque des Territoires")) == "open"


def test_the_french_date_reader_gives_where_each_date_is():
    text = "du 20 novembre au 31 janvier 2025, puis avant le 15/03/2025"
    found = find_dates_at(text)
    assert [d for d, _, _ in found] == [dt.date(2024, 11, 20), dt.date(2025, 1, 31), dt.date(2025, 3, 15)]
    assert [text[start:end] for _, start, end in found] == ["20 novembre", "31 janvier 2025", "15/03/2025"]


# -- one rule everywhere -------------------------------------------------------------------------

def test_filters_exclude_closed_and_keep_stale_with_the_warning(referential):
    applicant = filters.Applicant("commune", "COM:35238", "Rennes")
    stale = scheme(id="at:stale", recurrence="recurring", description="Dossiers avant le 18 mai 2022.")
    verdict = filters.check(stale, applicant, referential, TODAY)
    assert verdict.ok
    assert any(n.startswith("attention : date dépassée — à vérifier (le texte indique « avant le 18 mai 2022 »")
               for n in verdict.notes)
    ended = scheme(id="at:ended", description="Candidatures jusqu'au 30 juin 2023.")
    assert filters.check(ended, applicant, referential, TODAY).reason == \
        "exclue : clôturée d'après son texte (« jusqu'au 30 juin 2023 »)"


def test_a_listing_without_long_texts_shows_the_status_of_the_full_record():
    """The store reads the texts when it stores a scheme: `catalogue list` (long texts not
    decoded) and the matcher's filters give the status `catalogue show` gives."""
    with Catalogue() as catalogue:
        with catalogue.run("at") as run:
            run.upsert(scheme(id="at:ended", description="Candidatures jusqu'au 30 juin 2023."))
            run.upsert(scheme(id="at:stale", recurrence="ongoing", description="Dépôt avant le 18 mai 2022."))
            run.upsert(scheme(id="at:open", description="Aide permanente."))
        light = {s.id: s.status(TODAY) for s in catalogue.all(without=("raw", "description", "eligibility"))}
        full = {s.id: s.status(TODAY) for s in catalogue.all()}
        assert light == full == {"at:ended": "closed", "at:open": "open", "at:stale": "stale"}
        open_only = [s.id for s in select(catalogue, Filters(open_only=True, today=TODAY), without=("description",))]
        assert open_only == ["at:open"]                   # « ouverts » leaves out the stale date too
        assert [s.id for s in select(catalogue, Filters(status="stale", today=TODAY))] == ["at:stale"]


# -- the shipped snapshot --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped() -> list[Scheme]:
    return [Scheme.from_dict(json.loads(line)) for line in SNAPSHOT.read_text(encoding="utf-8").splitlines()]


def _data_day(item: Scheme) -> dt.date | None:
    if not item.data_date:
        return None
    return dt.date.fromisoformat(item.data_date + ("-01" if len(item.data_date) == 7 else ""))


def test_no_shipped_scheme_with_a_past_end_shows_as_open(shipped):
    assert len(shipped) > 400
    for item in shipped:
        for day in filter(None, (TODAY, _data_day(item))):
            shown = item.status(day)
            ended = statuses.split_evidence(statuses.end_evidence(item))[0]
            if item.deadline and item.deadline < day:
                assert shown == "closed", (item.id, day)
            if ended and ended < day:
                assert shown in ("closed", "stale"), (item.id, day)


def test_shipped_schemes_named_in_issue_12_are_not_open(shipped):
    by_id = {s.id: s for s in shipped}
    for scheme_id in ("at:0982-cofinancer-des-etudes-pour-preparer-laction-f", "at:obtenir-financement-pvd-habitat",
                      "bdt:bdt-thd-relance", "bdt:bdt-france-services-ami", "bdt:cnfs", "cnfs:national"):
        assert by_id[scheme_id].status(TODAY) == "closed", scheme_id
    # the Conseiller numérique fact sheet says the end of new posts, with the page that says it
    cnfs = by_id["bdt:cnfs"]
    assert cnfs.deadline == dt.date(2025, 5, 14) == by_id["cnfs:national"].deadline
    assert "attribution de nouveaux postes par l'ANCT est suspendue" in cnfs.description
    assert "https://aide.conseiller-numerique.gouv.fr/fr/article/budget-2025" in cnfs.description


# -- data dates in the outputs -----------------------------------------------------------------------

def _import(records: list[Scheme], tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in records), encoding="utf-8")
    result = CliRunner().invoke(cli, ["catalogue", "import", str(path)])
    assert result.exit_code == 0, result.output


def test_catalogue_list_says_the_date_of_each_source(tmp_path):
    _import([scheme(id="at:old", data_date="2022-11", perimeter="FR"),
             scheme(id="at:ended", data_date="2022-11", description="Candidatures jusqu'au 30 juin 2023.")], tmp_path)
    result = CliRunner().invoke(cli, ["catalogue", "list"])
    assert result.exit_code == 0, result.output
    assert "Données Aides-territoires de novembre 2022 — plus de six mois" in result.output
    as_json = json.loads(CliRunner().invoke(cli, ["catalogue", "list", "--format", "json"]).output)
    reasons = {item["id"]: (item["status"], item["status_reason"]) for item in as_json}
    assert reasons["at:ended"] == ("closed", "clôturée d'après son texte (« jusqu'au 30 juin 2023 »)")
    shown = CliRunner().invoke(cli, ["catalogue", "show", "at:ended"]).output
    assert "Statut : clôturé — clôturée d'après son texte (« jusqu'au 30 juin 2023 »)" in shown


# -- calendar, digest, match ---------------------------------------------------------------------

@pytest.fixture
def watch_plan(tmp_path):
    from aidenum.matcher.plan_readers import read_yaml
    from watch_helpers import PLAN_YAML
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN_YAML, encoding="utf-8")
    return read_yaml(path)


def test_a_stale_date_is_no_calendar_deadline(watch_plan, referential):
    from aidenum.watch import calendar as ics
    from watch_helpers import RUN1_AT, FakeMatcher, load_snapshot, week1
    records = week1()
    for record in records:
        if record["id"] == "dsil:22-2025":   # a recurring scheme whose text gives a passed date
            record["deadline"] = "2025-02-28"
            record["description"] += " Dépôt des dossiers avant le 15 décembre 2024."
    with Catalogue() as catalogue:
        load_snapshot(catalogue, records, RUN1_AT)
        assert catalogue.get("dsil:22-2025").status(dt.date(2025, 1, 6)) == "stale"
        found, undated = ics.collect_deadlines(watch_plan, catalogue, FakeMatcher(catalogue, referential),
                                               dt.date(2025, 1, 6))
    assert "dsil:22-2025" not in [d.scheme.id for d in found]
    assert "dsil:22-2025" in [s.id for s in undated]
    assert all(d.scheme.deadline >= dt.date(2025, 1, 6) for d in found)


def test_digest_says_the_date_of_each_source_in_every_format(watch_plan, referential):
    from aidenum.watch import digest as digests
    from aidenum.watch import render
    from watch_helpers import DIGEST_DAY, FakeMatcher, load_two_weeks
    with Catalogue() as catalogue:
        load_two_weeks(catalogue)
        period = digests.period_since(catalogue, dt.date(2025, 1, 7))
        digest = digests.build_digest(watch_plan, catalogue, FakeMatcher(catalogue, referential), period, DIGEST_DAY,
                                      perimeter_label=referential.label)
    for fmt in ("terminal", "markdown", "html"):
        text = render.render(digest, fmt)
        # the test records carry no date: the digest says when aidenum collected them
        assert "date non indiquée par la source (dernière collecte ou import le 13/01/2025)" in text, fmt


def test_match_json_gives_each_match_its_status_reason_and_data_date(aidenum_home, tmp_path):
    from matcher_helpers import fill_catalogue, plan_yaml
    fill_catalogue(aidenum_home)
    result = CliRunner().invoke(cli, ["match", str(plan_yaml(tmp_path / "plan.yaml")), "--format", "json",
                                      "--date", "2026-11-22"])
    assert result.exit_code == 0, result.output
    matches = [m for a in json.loads(result.stdout)["actions"] for m in a["matches"]]
    assert matches
    for match in matches:
        assert {"status", "status_reason", "data_date", "data_date_is_collection", "data_stale"} <= set(match)
        if match["data_date"]:
            assert match["data_stale"] == ((dt.date(2026, 11, 22) - dt.date.fromisoformat(
                match["data_date"] + ("-01" if len(match["data_date"]) == 7 else ""))).days > 183)
    text = CliRunner().invoke(cli, ["match", str(tmp_path / "plan.yaml"), "--date", "2026-11-22"]).output
    assert "Données " in text


def test_digest_reports_a_call_whose_stated_end_fell_in_the_period(watch_plan, referential):
    from aidenum.watch import digest as digests
    from watch_helpers import DIGEST_DAY, RUN1_AT, FakeMatcher, load_snapshot, week1
    records = week1()
    for record in records:
        if record["id"] == "dsil:22-2025":
            record.update(deadline=None, recurrence="oneoff")
            record["description"] += " Dépôt des dossiers jusqu'au 10 janvier 2025."
    with Catalogue() as catalogue:
        load_snapshot(catalogue, records, RUN1_AT)
        period = digests.period_since(catalogue, dt.date(2025, 1, 7))
        digest = digests.build_digest(watch_plan, catalogue, FakeMatcher(catalogue, referential), period, DIGEST_DAY,
                                      perimeter_label=referential.label)
    closed = {i.scheme.id: i.reason for a in digest.actions for i in a.items if i.category == "closed"}
    assert closed["dsil:22-2025"] == "fin indiquée par son texte (« jusqu'au 10 janvier 2025 ») passée"


def test_coverage_says_a_family_whose_only_record_has_a_stale_date(referential):
    from aidenum.catalogue import coverage
    stale = scheme(id="fipd:x", source="fipd", programmes=["FIPD"], recurrence="recurring", perimeter="FR",
                   beneficiaries=["commune"], description="Dossiers avant le 31 janvier 2025.")
    applicant = filters.Applicant("commune", "COM:48095", "Mende")
    family = next(f for f in coverage.of_applicant([stale], applicant, referential, TODAY).families if f.family == "FIPD")
    assert (family.status, family.detail) == ("present", "date dépassée — à vérifier")
