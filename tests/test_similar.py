"""Similar funded projects (matcher/similar.py): text, proximity and recency, evidence per
dispositif, rate proposals. Real excerpts for the text (titles as préfectures typed them); small
DGCL-shaped files written here where a test needs places and rates it controls."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from aidenum.catalogue.laureates import LaureateStore
from aidenum.catalogue.model import Scheme
from aidenum.matcher import similar as similar_module
from aidenum.matcher.plans.model import Collectivite
from aidenum.matcher.similar import SimilarProjects, normalise, terms
from tests.conftest import SHARED_DATA

LAUREATES = SHARED_DATA / "laureates"
HEADER = ("exercice;dispositif;programme;beneficiaire_type;beneficiaire_siren;beneficiaire_dep;beneficiaire_nom;"
          "beneficiaire_code_insee;intitule;cout_ht;subvention;taux")
# Communes of the referential: Reyrieux and Frans share the CC Dombes Saône Vallée (200042497),
# Belley is elsewhere in the Ain, Vienne in the Isère (same région), Évreux in the Eure.
REYRIEUX, FRANS, BELLEY, VIENNE, EVREUX = ("01322", "Reyrieux"), ("01166", "Frans"), ("01034", "Belley"), \
    ("38544", "Vienne"), ("27229", "Evreux")
VIDEO = "Installation d'un système de vidéoprotection"


def dgcl_row(year, dispositif, commune, title, cost, rate) -> str:
    insee, name = commune
    grant = cost * rate
    return (f"{year};{dispositif};119;commune;;0{insee[:2]};{name};{insee};{title};"
            f"{str(float(cost)).replace('.', ',')};{str(float(grant)).replace('.', ',')};"
            f"{str(rate).replace('.', ',')}")


def write_dgcl(path, rows: list[str]):
    path.write_bytes(("\ufeff" + "\n".join([HEADER, *rows]) + "\n").encode("utf-8"))
    return path


def load(home, *files) -> SimilarProjects:
    with LaureateStore(home / "laureates.sqlite") as store:
        for path in files:
            store.import_file(path)
    similar = SimilarProjects.open(home)
    assert similar is not None
    return similar


@pytest.fixture
def real(aidenum_home):
    similar = load(aidenum_home, *sorted(LAUREATES.glob("dgcl-*.csv")))
    yield similar
    similar.close()


# -- text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, written", [
    ("INSTALLATION D'UN SYSTEME DE VIDEO PROTECTION", "installation d'un système de vidéoprotection"),
    ("Video-surveillance", "vidéoprotection"),
    ("Acquisition de 2 TNI", "acquisition de deux tableaux numériques interactifs"),
    ("WI-FI public", "wifi public"),
])
def test_titles_in_capitals_without_accents_or_abbreviated_analyse_like_typed_text(typed, written):
    meaningful = set(terms(written)) - set(terms("deux"))
    assert meaningful and meaningful <= set(terms(typed)) | set(terms("2"))


def test_normalise_folds_case_and_accents():
    assert normalise("VIDÉO PROTECTION") == normalise("video-protection") == "videoprotection"


def test_real_capital_titles_are_found_from_a_typed_query(real):
    found = real.search("vidéoprotection", "DEP:70", top=20)
    capitals = [p for p in found if p.title.isupper()]  # Haute-Saône 2018: « VIDEO PROTECTION », capitals
    assert capitals and all(p.departement == "70" for p in capitals[:3])
    assert found[0].proximity == "département"


def test_real_abbreviated_titles_are_found(real):
    found = real.search("tableau numérique interactif pour l'école", "DEP:78", top=10)
    assert any(" TNI " in f" {p.title} " or " tni " in f" {p.title} " for p in found)


# -- proximity and recency ----------------------------------------------------------------------

def test_proximity_commune_then_epci_then_departement_then_region_then_france(tmp_path, aidenum_home):
    # written in the reverse of the expected order, so the file order cannot produce it
    rows = [dgcl_row(2023, "DETR", place, VIDEO, 20000, 0.3) for place in (EVREUX, VIENNE, BELLEY, FRANS, REYRIEUX)]
    similar = load(aidenum_home, write_dgcl(tmp_path / "dgcl-2023.csv", rows))
    found = similar.search(VIDEO, "COM:01322")
    assert [(p.place, p.proximity) for p in found] == [
        ("Reyrieux (01)", "commune"), ("Frans (01)", "intercommunalité"), ("Belley (01)", "département"),
        ("Vienne (38)", "région"), ("Évreux (27)", "France")]
    scores = [p.score for p in found]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 5
    # without an applicant every project is « France » and the similarity alone orders
    assert {p.proximity for p in similar.search(VIDEO)} == {"France"}
    similar.close()


def test_an_applicant_epci_or_collectivite_is_located(tmp_path, aidenum_home):
    rows = [dgcl_row(2023, "DETR", place, VIDEO, 20000, 0.3) for place in (EVREUX, BELLEY, FRANS)]
    similar = load(aidenum_home, write_dgcl(tmp_path / "dgcl-2023.csv", rows))
    assert similar.search(VIDEO, "EPCI:200042497")[0].proximity == "intercommunalité"
    ain = Collectivite(nom="Département de l'Ain", type="department", territory="DEP:01",
                       departement="01", region="84")
    assert [p.proximity for p in similar.search(VIDEO, ain)] == ["département", "département", "France"]
    similar.close()


def test_recency_a_recent_project_before_an_older_one(tmp_path, aidenum_home):
    older = write_dgcl(tmp_path / "dgcl-2018.csv", [dgcl_row(2018, "DETR", BELLEY, VIDEO, 20000, 0.3)])
    recent = write_dgcl(tmp_path / "dgcl-2023.csv", [dgcl_row(2023, "DETR", BELLEY, VIDEO, 20000, 0.3)])
    similar = load(aidenum_home, older, recent)
    first, second = similar.search(VIDEO, "DEP:01")
    assert (first.year, second.year) == (2023, 2018)
    assert second.score / first.score == pytest.approx(similar_module.RECENCY_PER_YEAR ** 5)
    # evidence from earlier years only (the year split of the measures)
    assert [p.year for p in similar.search(VIDEO, "DEP:01", before_year=2023)] == [2018]
    assert similar.search(VIDEO, "DEP:01", before_year=2018) == []
    similar.close()


def test_closer_text_beats_a_loose_one(real):
    found = real.search("extension de la vidéoprotection", "DEP:01", top=30)
    assert found and all("vid" in p.title.lower() for p in found[:5])
    assert all(found[i].score >= found[i + 1].score for i in range(len(found) - 1))


# -- evidence per dispositif --------------------------------------------------------------------

@pytest.fixture
def ain(tmp_path, aidenum_home):
    """Five DETR vidéoprotection projects in the Ain (rates 20…40 %), two DSIL in the Ain and two
    in the Isère (same région), one DSIL far away."""
    rows = [dgcl_row(2023, "DETR", place, VIDEO, cost, rate) for place, cost, rate in (
        (REYRIEUX, 10000, 0.2), (FRANS, 20000, 0.25), (BELLEY, 30000, 0.3), (REYRIEUX, 40000, 0.35),
        (BELLEY, 50000, 0.4))]
    rows += [dgcl_row(2023, "DSIL", place, VIDEO, 100000, rate) for place, rate in (
        (BELLEY, 0.85), (FRANS, 0.9), (VIENNE, 0.95), (VIENNE, 0.9), (EVREUX, 0.1))]
    similar = load(aidenum_home, write_dgcl(tmp_path / "dgcl-2023.csv", rows))
    yield similar
    similar.close()


def test_evidence_counts_median_and_interquartile_range_per_dispositif(ain):
    evidence = ain.evidence(VIDEO, "COM:01322")
    detr = evidence["DETR"]
    assert (detr.count, detr.scope, detr.years) == (5, "DEP:01", [2023])
    assert (detr.q1_rate, detr.median_rate, detr.q3_rate) == (25.0, 30.0, 35.0)
    # grants 2 000, 5 000, 9 000, 14 000, 20 000
    assert (detr.q1_grant, detr.median_grant, detr.q3_grant) == (5000, 9000, 14000)
    assert detr.sentence == "5 projets comparables financés par la DETR dans l'Ain en 2023, taux médian 30\u00a0%"


def test_evidence_widens_to_the_region_when_the_departement_has_too_few(ain):
    dsil = ain.evidence(VIDEO, "COM:01322")["DSIL"]
    assert (dsil.count, dsil.scope, dsil.place_label) == (4, "REG:84", "en Auvergne-Rhône-Alpes")
    assert dsil.median_rate == 90.0  # Évreux's 10 % is not in the région


def test_evidence_as_dict_is_the_documented_json(ain):
    payload = ain.evidence(VIDEO, "COM:01322")["DETR"].as_dict()
    assert list(payload) == ["dispositif", "count", "median_rate", "q1_rate", "q3_rate", "median_grant",
                             "q1_grant", "q3_grant", "scope", "place_label", "years", "sentence"]


def test_real_evidence_names_the_departement(real):
    evidence = real.evidence("vidéoprotection", "COM:01032")
    assert "DETR" in evidence
    detr = evidence["DETR"]
    # the excerpts hold few Ain projects: the département if three are comparable, else the région
    assert (detr.scope, detr.place_label) in {("DEP:01", "dans l'Ain"), ("REG:84", "en Auvergne-Rhône-Alpes")}
    assert detr.count >= 3 and detr.sentence.startswith(f"{detr.count} projets comparables financés par la DETR "
                                                        f"{detr.place_label} en ")
    assert detr.q1_rate <= detr.median_rate <= detr.q3_rate
    assert all(p.similarity <= 1.0 for p in real.search("vidéoprotection", "COM:01032", top=100))


# -- rate proposals -----------------------------------------------------------------------------

def test_rate_proposal_is_the_observed_median_with_its_basis(ain):
    proposal = ain.rate_proposal(VIDEO, "COM:01322", "DETR")
    assert proposal.rate == Decimal(30) and proposal.capped_by is None
    assert proposal.basis == ("proposition : 30\u00a0%, taux médian de 5 projets comparables financés par la DETR "
                              "dans l'Ain en 2023 — à confirmer")


def test_rate_proposal_capped_by_the_scheme_ceiling(ain):
    proposal = ain.rate_proposal(VIDEO, "COM:01322", "DETR", ceiling=25)
    assert proposal.rate == Decimal(25) and proposal.observed == 30.0
    assert "taux médian observé 30\u00a0%, plafonné au taux maximal du dispositif (25\u00a0%)" in proposal.basis


def test_rate_proposal_capped_by_the_80_percent_rule(ain):
    proposal = ain.rate_proposal(VIDEO, "COM:01322", "DSIL")
    assert proposal.observed == 90.0 and proposal.rate == Decimal(80)
    assert "plafonné à 80\u00a0% : aides publiques limitées à 80 % du coût HT" in proposal.basis
    chef = Collectivite(nom="Reyrieux", type="commune", territory="COM:01322", chef_de_file=True)
    assert ain.rate_proposal(VIDEO, chef, "DSIL").rate == Decimal(70)


def test_no_evidence_no_proposal_and_the_draft_amount_stays_to_complete(ain):
    from aidenum.drafting.financing import build_plan
    from aidenum.drafting.proposals import RateProposer
    assert ain.rate_proposal("Rénovation de la toiture du gymnase", "COM:01322", "DETR") is None
    assert ain.rate_proposal(VIDEO, "COM:01322", "DSID") is None
    detr = Scheme.from_dict({"id": "detr:01-2024", "source": "detr", "title": "DETR 2024 (Ain)",
                             "url": "https://www.ain.gouv.fr/detr", "programmes": ["DETR"],
                             "aid_types": ["grant"], "perimeter": "DEP:01"})
    reyrieux = Collectivite(nom="Reyrieux", type="commune", territory="COM:01322", departement="01", region="84")
    plan_action = type("A", (), {"text": "Rénovation de la toiture du gymnase"})()
    proposals = RateProposer(ain).for_schemes(type("P", (), {"collectivite": reyrieux})(), plan_action, [detr])
    assert proposals == {}
    line = build_plan(100000, [detr], proposals=proposals).grants[0]
    assert line.amount is None and line.origin != "proposal"


def test_stated_figures_win_over_the_proposal(ain):
    from aidenum.drafting.financing import Stated, build_plan
    from aidenum.drafting.proposals import RateProposer
    detr = Scheme.from_dict({"id": "detr:01-2024", "source": "detr", "title": "DETR 2024 (Ain)",
                             "url": "https://www.ain.gouv.fr/detr", "programmes": ["DETR"],
                             "aid_types": ["grant"], "perimeter": "DEP:01"})
    reyrieux = Collectivite(nom="Reyrieux", type="commune", territory="COM:01322", departement="01", region="84")
    plan_action = type("A", (), {"text": VIDEO})()
    proposals = RateProposer(ain).for_schemes(type("P", (), {"collectivite": reyrieux})(), plan_action, [detr])
    assert proposals["detr:01-2024"].rate == Decimal("30.00")
    proposed = build_plan(100000, [detr], proposals=proposals).grants[0]
    assert (proposed.origin, proposed.amount) == ("proposal", Decimal("30000.00"))
    assert "taux médian de 5 projets comparables" in " ".join(proposed.notes)
    stated = build_plan(100000, [detr], proposals=proposals,
                        stated=[Stated("DETR", rate=Decimal(35), source="option")]).grants[0]
    assert (stated.origin, stated.applied_rate, stated.amount) == ("stated", Decimal(35), Decimal("35000.00"))


# -- index and threads --------------------------------------------------------------------------

def test_index_is_rebuilt_only_when_the_store_changes(tmp_path, aidenum_home):
    path = write_dgcl(tmp_path / "dgcl-2023.csv", [dgcl_row(2023, "DETR", BELLEY, VIDEO, 20000, 0.3)])
    similar = load(aidenum_home, path)
    assert similar.ensure_index() is None
    similar.close()
    write_dgcl(tmp_path / "dgcl-2019.csv", [dgcl_row(2019, "DSIL", FRANS, VIDEO, 20000, 0.5)])
    with LaureateStore(aidenum_home / "laureates.sqlite") as store:
        store.import_file(tmp_path / "dgcl-2019.csv")
    reopened = SimilarProjects.open(aidenum_home)
    assert {p.dispositif for p in reopened.search(VIDEO)} == {"DETR", "DSIL"}
    assert reopened.ensure_index() is None
    reopened.close()


def test_no_laureates_no_look_up(aidenum_home):
    assert SimilarProjects.open(aidenum_home) is None


def test_concurrent_look_ups_from_threads_give_the_same_answers(real):
    """The web app (waitress threads) shares one SimilarProjects."""
    queries = [("vidéoprotection", "DEP:01"), ("tableau numérique interactif", "DEP:78"),
               ("vidéoprotection", "DEP:70"), ("informatique école", "COM:01032")]
    expected = {q: [p.id for p in real.search(*q, top=5)] for q in queries}
    real._cache.clear()
    failures: list[BaseException] = []
    results: list[tuple] = []

    def work(index: int) -> None:
        try:
            for round_ in range(6):
                query = queries[(index + round_) % len(queries)]
                found = real.search(*query, top=5)
                evidence = real.evidence(*query)
                results.append((query, [p.id for p in found], bool(evidence)))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert len(results) == 36
    assert all(ids == expected[query] for query, ids, _ in results)
