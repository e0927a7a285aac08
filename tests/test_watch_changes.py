"""What changed: the period's change log folded per scheme, and field-by-field diffs in French."""
from __future__ import annotations

from aidenum.catalogue.store import Catalogue
from aidenum.watch.changes import catalogue_events, diff_versions, topics_of, version_before
from watch_helpers import RUN1_AT, RUN2_AT, load_snapshot, load_two_weeks, week1, week2

BASE = {"id": "dsil:22-2025", "title": "DSIL 2025", "deadline": "2025-01-31", "rate_max": 40.0,
        "beneficiaries": ["commune", "epci"], "perimeter": "DEP:22",
        "description": "La DSIL finance l'investissement. Thématique : numérique."}


def changed(**fields):
    return {**BASE, **fields}


def sentences(changes):
    return [c.sentence for c in changes]


def test_identical_versions_have_no_change():
    assert diff_versions(BASE, dict(BASE)) == []
    # whitespace and list order are not changes
    assert diff_versions(BASE, changed(description="La DSIL  finance l'investissement.\nThématique : numérique.",
                                       beneficiaries=["epci", "commune"])) == []


def test_deadline_moved():
    changes = diff_versions(BASE, changed(deadline="2025-02-28"))
    assert sentences(changes) == ["Date de clôture : 31/01/2025 → 28/02/2025"]
    assert topics_of(changes) == ["calendrier"]


def test_deadline_removed():
    assert sentences(diff_versions(BASE, changed(deadline=None))) == ["Date de clôture : 31/01/2025 → aucune"]


def test_rate_and_amount():
    changes = diff_versions(BASE, changed(rate_min=20.0, rate_max=60.0, amount_max=250000.0))
    assert sentences(changes) == ["Taux d'aide : jusqu'à 40 % → de 20 % à 60 %",
                                  "Montant : non précisé → jusqu'à 250\u202f000 €"]
    assert topics_of(changes) == ["taux", "montant"]
    assert sentences(diff_versions(changed(rate_max=37.5), BASE)) == ["Taux d'aide : jusqu'à 37,5 % → jusqu'à 40 %"]


def test_beneficiaries_in_french():
    changes = diff_versions(BASE, changed(beneficiaries=["commune", "association", "public-org"]))
    assert sentences(changes) == ["Bénéficiaires : ajoutés Associations, Établissements publics (écoles, "
                                  "bibliothèques…) / Services de l'État ; retiré Intercommunalités / Pays"]
    assert topics_of(changes) == ["éligibilité"]


def test_perimeter_uses_territory_labels(referential):
    changes = diff_versions(BASE, changed(perimeter="REG:53"), referential.label)
    assert sentences(changes) == ["Territoire : Côtes-d'Armor (département) → Bretagne (région)"]


def test_text_change_quotes_the_sentence():
    changes = diff_versions(BASE, changed(description="La DSIL finance l'investissement. "
                                                      "Thématique : numérique et téléphonie mobile."))
    assert sentences(changes) == ["Description : « Thématique : numérique. » → "
                                  "« Thématique : numérique et téléphonie mobile. »"]
    added = diff_versions(BASE, changed(eligibility="Communes de moins de 2 000 habitants."))
    assert sentences(added) == ["Critères d'éligibilité : ajouté « Communes de moins de 2 000 habitants. »"]


def test_big_text_rewrite_is_summarised():
    rewrite = " ".join(f"Phrase nouvelle numéro {i}." for i in range(8))
    [change] = diff_versions(BASE, changed(description=rewrite))
    assert change.sentence == ("Description : texte modifié (8 phrase(s) ajoutée(s) ou réécrite(s), "
                               "2 retirée(s))")


def test_long_sentence_is_cut():
    long = "Le dispositif finance " + "des équipements numériques, " * 20 + "sans exception."
    [change] = diff_versions(BASE, changed(eligibility=long))
    assert change.sentence.endswith("… »")
    assert len(change.sentence) < 220


def rows(*events):
    return [(sid, change, f"2025-01-{day:02d}T08:00:00", run) for sid, change, day, run in events]


def test_events_are_folded_per_scheme():
    log = rows(("a", "new", 6, 1), ("a", "changed", 13, 2),          # new then changed: new
               ("b", "changed", 6, 1), ("b", "changed", 13, 2),      # changed twice
               ("c", "changed", 6, 1), ("c", "closed", 13, 2),       # changed then gone: closed
               ("d", "closed", 6, 1), ("d", "reopened", 13, 2),      # back: reopened
               ("e", "closed", 6, 1), ("e", "changed", 13, 2),       # back with changes: reopened
               ("f", "unchanged", 13, 2))
    events = catalogue_events(log)
    assert {k: e.kind for k, e in events.items()} == {"a": "new", "b": "changed", "c": "closed",
                                                      "d": "reopened", "e": "reopened"}
    assert events["b"].run_ids == [1, 2] and events["b"].at == "2025-01-13T08:00:00"


def test_events_after_a_watermark():
    log = rows(("a", "new", 6, 1), ("a", "changed", 13, 2), ("b", "new", 13, 2))
    events = catalogue_events(log, after_run=1)
    assert {k: e.kind for k, e in events.items()} == {"a": "changed", "b": "new"}


def test_store_change_log_of_two_weekly_crawls():
    catalogue = Catalogue()
    load_two_weeks(catalogue)
    runs = catalogue.runs()
    week1_last = max(r["id"] for r in runs if r["started_at"].startswith("2025-01-06"))
    events = catalogue_events(catalogue.changes_since("2025-01-07"))
    assert {k: e.kind for k, e in events.items()} == {
        "dsil:22-2025": "changed", "feder:bzh-numerique-pour-tous": "changed",
        "feder:bzh-mediation-associations": "changed", "bdt:hubs-numerique-inclusif": "new",
        "dsil:01-2025": "new", "bdt:ami-lieux-innovants": "closed"}
    assert events == catalogue_events(catalogue.changes_since(""), after_run=week1_last)
    versions = catalogue.versions("dsil:22-2025")
    assert [v["data"]["deadline"] for v in versions] == ["2025-01-31", "2025-02-28"]
    assert version_before(versions, run_id=week1_last)["deadline"] == "2025-01-31"
    assert version_before(versions, at="2025-01-07")["deadline"] == "2025-01-31"
    assert version_before(versions, at="2025-01-06") is None


def test_reloading_the_same_week_changes_nothing():
    catalogue = Catalogue()
    load_snapshot(catalogue, week1(), RUN1_AT)
    load_snapshot(catalogue, week1(), RUN2_AT)
    assert catalogue_events(catalogue.changes_since("2025-01-07")) == {}
