"""Evaluation: metrics on hand-computed examples, independent hard-filter checks, gold loading,
and ``aidenum eval`` end to end on a tiny catalogue and gold set."""
from __future__ import annotations

import datetime as dt
import json
import math
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from aidenum.catalogue.model import Scheme
from aidenum.cli import cli
from conftest import ROOT
from aidenum.matcher.evaluate import (Gold, evaluate, load_gold, ndcg_at_k, recall_at_k, reciprocal_rank,
                              report_json, report_table, violations)
from aidenum.matcher.plan import Collectivite, PlanError

TODAY = dt.date(2026, 11, 22)


# -- metrics -----------------------------------------------------------------------------------
def test_ndcg_hand_computed():
    labels = {"a": 2, "b": 1, "c": 0}
    # ranked b, a, x: DCG = (2^1-1)/log2(2) + (2^2-1)/log2(3); ideal = 3/log2(2) + 1/log2(3)
    expected = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert ndcg_at_k(["b", "a", "x"], labels) == pytest.approx(expected)
    assert expected == pytest.approx(0.7967, abs=1e-4)
    assert ndcg_at_k(["a", "b"], labels) == pytest.approx(1.0)
    # a relevant scheme ranked beyond k counts as missing
    assert ndcg_at_k(["x", "y", "a"], labels, k=2) == 0.0
    # the ideal uses every label: finding only the best one is not a perfect score
    assert ndcg_at_k(["a"], labels) == pytest.approx(3 / (3 + 1 / math.log2(3)))


def test_recall_and_reciprocal_rank_hand_computed():
    labels = {"a": 2, "b": 1, "c": 0}
    assert recall_at_k(["b", "c", "x"], labels) == 0.5
    assert recall_at_k(["x", "a", "b"], labels) == 1.0
    assert recall_at_k(["x", "a", "b"], labels, k=2) == 0.5
    assert reciprocal_rank(["c", "x", "a"], labels) == pytest.approx(1 / 3)
    assert reciprocal_rank(["c", "x"], labels) == 0.0
    assert reciprocal_rank(["c", "x", "a"], labels, k=2) == 0.0


# -- independent hard filters ------------------------------------------------------------------
def _scheme(**values) -> Scheme:
    base = {"id": "at:test", "source": "at", "title": "Dispositif", "beneficiaries": ["commune", "epci"],
            "perimeter": "FR"}
    base.update(values)
    return Scheme.from_dict(base)


def test_violations_check_beneficiary_territory_and_deadline(referential):
    ruffec = Collectivite(nom="Ruffec", type="commune", territory="COM:16292")
    assert violations(_scheme(), ruffec, TODAY, referential) == []
    assert violations(_scheme(perimeter="DEP:16"), ruffec, TODAY, referential) == []
    assert violations(_scheme(perimeter="REG:53"), ruffec, TODAY, referential) == ["territoire REG:53 hors de COM:16292"]
    assert violations(_scheme(beneficiaries=["private-sector"]), ruffec, TODAY, referential) == [
        "bénéficiaires (private-sector) sans « commune »"]
    assert violations(_scheme(deadline="2026-11-21"), ruffec, TODAY, referential) == ["clôturé le 2026-11-21"]
    assert violations(_scheme(deadline="2026-11-22"), ruffec, TODAY, referential) == []
    # issue 12: a past deadline closes a scheme whatever its recurrence says
    assert violations(_scheme(deadline="2020-01-01", recurrence="ongoing"), ruffec, TODAY, referential) == [
        "clôturé le 2020-01-01"]
    assert violations(_scheme(archived=True), ruffec, TODAY, referential) == ["dispositif clôturé dans le catalogue"]
    # unknown beneficiaries are not a violation: nothing says the commune is excluded
    assert violations(_scheme(beneficiaries=[]), ruffec, TODAY, referential) == []


# -- gold loading ------------------------------------------------------------------------------
GOLD_HEAD = 'today: "2026-11-22"\nprofiles:\n  - id: ruffec\n    collectivite: {nom: Ruffec, type: commune, code: "16292"}\n'


@pytest.mark.parametrize("actions, expected", [
    ('    actions:\n      - id: R1\n        titre: SIG\n        labels: {"at:x": [2]}\n',
     "action R1, dispositif « at:x » : attendu [0, 1 ou 2, \"justification\"]"),
    ('    actions:\n      - id: R1\n        titre: SIG\n        labels: {"at:x": [3, "trop"]}\n', "attendu [0, 1 ou 2"),
    ('    actions:\n      - id: R1\n        titre: SIG\n        labels: {"at:x": [0, "hors sujet"]}\n',
     "action R1 : aucun dispositif noté 1 ou 2"),
    ('    actions:\n      - id: R1\n        titre: SIG\n', "action R1 : « labels » manquant"),
    ('    actions:\n      - id: R1\n        labels: {"at:x": [2, "ok"]}\n', "titre manquant"),
])
def test_gold_errors(tmp_path, actions, expected):
    path = tmp_path / "gold.yaml"
    path.write_text(GOLD_HEAD + actions, encoding="utf-8")
    with pytest.raises(PlanError) as error:
        load_gold(path)
    assert expected in str(error.value)
    assert "profil « ruffec »" in str(error.value) or "gold.yaml" in str(error.value)


def test_gold_needs_a_date(tmp_path):
    path = tmp_path / "gold.yaml"
    path.write_text(GOLD_HEAD.replace('"2026-11-22"', "bientôt"), encoding="utf-8")
    with pytest.raises(PlanError, match="« today » doit être une date"):
        load_gold(path)


def test_shipped_gold_set_is_valid_and_varied():
    gold = load_gold(ROOT / "data" / "eval" / "gold.yaml")
    kinds = {p.collectivite.type for p in gold.profiles}
    assert {"commune", "epci", "department", "region"} <= kinds
    actions = [a for p in gold.profiles for a in p.actions]
    assert len(actions) >= 40
    assert all(a.why[s] for a in actions for s in a.labels)
    regions = {p.collectivite.region for p in gold.profiles}
    assert len(regions) >= 8
    # a held-out half that tuning never looks at, with every kind of collectivité on the tune side
    for split in ("tune", "heldout"):
        assert sum(len(p.actions) for p in gold.profiles if p.split == split) >= 15
    assert {"commune", "epci", "department"} <= {p.collectivite.type for p in gold.profiles if p.split == "tune"}


def test_split_is_read_and_reported_per_part(tmp_path, referential):
    body = ('today: "2026-11-22"\nprofiles:\n'
            '  - id: a\n    split: tune\n    collectivite: {nom: Ruffec, type: commune, code: "16292"}\n'
            '    actions:\n      - {id: A1, titre: SIG communal, labels: {"at:x": [2, "SIG"]}}\n'
            '  - id: b\n    split: heldout\n    collectivite: {nom: Ruffec, type: commune, code: "16292"}\n'
            '    actions:\n      - {id: B1, titre: Wifi public, labels: {"at:y": [2, "wifi"]}}\n')
    path = tmp_path / "gold.yaml"
    path.write_text(body, encoding="utf-8")
    gold = load_gold(path, referential=referential)
    assert [p.split for p in gold.profiles] == ["tune", "heldout"]
    matcher = _StubMatcher({"A1": [_scheme(id="at:x")], "B1": [_scheme(id="at:z")]})
    report = evaluate(gold, matcher, lambda _id: None, referential, mode="full")
    assert report.summary(split="tune")["ndcg"] == pytest.approx(1.0)
    assert report.summary(split="heldout")["ndcg"] == 0.0
    table = report_table(gold, [report], 10)
    assert "réglage (1 actions)" in table and "contrôle (non regardé) (1 actions)" in table
    assert json.loads(report_json(gold, [report], 10))["modes"]["full"]["splits"]["heldout"]["actions"] == 1
    path.write_text(body.replace("split: heldout", "split: test"), encoding="utf-8")
    with pytest.raises(PlanError, match="profil « b » : « split » doit valoir tune ou heldout"):
        load_gold(path)


# -- evaluate() with a stub matcher ------------------------------------------------------------
class _StubMatcher:
    def __init__(self, ranking):
        self.ranking, self.calls = ranking, []

    def match_action(self, collectivite, action, top=10, today=None):
        self.calls.append((action.id, today))
        return [SimpleNamespace(rank=i, scheme=s, score=1.0, why=[])
                for i, s in enumerate(self.ranking[action.id], start=1)]


def test_evaluate_scores_each_action_and_flags_violations(tmp_path, referential):
    path = tmp_path / "gold.yaml"
    path.write_text(GOLD_HEAD + """    actions:
      - id: R1
        titre: SIG communal
        labels: {"at:sig": [2, "SIG"], "at:carto": [1, "cartographie"]}
      - id: R2
        titre: Sauvegarde
        labels: {"at:save": [2, "sauvegarde"]}
""", encoding="utf-8")
    gold = load_gold(path, referential=referential)
    sig, carto = _scheme(id="at:sig", perimeter="DEP:16"), _scheme(id="at:carto")
    business = _scheme(id="francenum:x", source="francenum", beneficiaries=["private-sector"])
    matcher = _StubMatcher({"R1": [carto, sig], "R2": [business]})
    report = evaluate(gold, matcher, lambda _id: None, referential, top=10)
    assert matcher.calls == [("R1", TODAY), ("R2", TODAY)]
    r1, r2 = report.results
    assert r1.ndcg == pytest.approx((1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3)))
    assert (r1.recall, r1.rr, r1.violations) == (1.0, 1.0, [])
    assert (r2.ndcg, r2.recall, r2.rr, r2.missing) == (0.0, 0.0, 0.0, ["at:save"])
    assert r2.violations == [("francenum:x", ["bénéficiaires (private-sector) sans « commune »"])]
    summary = report.summary()
    assert summary["violations"] == 1 and summary["returned"] == 3
    assert summary["mrr"] == pytest.approx(0.5)
    table = report_table(gold, [report], 10)
    assert "Violations des filtres du moteur complet" in table and "ruffec/R2 : francenum:x" in table
    assert json.loads(report_json(gold, [report], 10))["modes"]["full"]["summary"]["violations"] == 1
    assert isinstance(gold, Gold)


def test_labels_the_collectivite_can_no_longer_use_count_as_not_relevant(tmp_path, referential):
    path = tmp_path / "gold.yaml"
    path.write_text(GOLD_HEAD + """    actions:
      - id: R1
        titre: SIG communal
        labels: {"at:sig": [2, "SIG"], "at:closed": [2, "appel clos depuis"]}
      - id: R2
        titre: Conseiller numérique
        labels: {"at:closed": [2, "appel clos depuis"]}
""", encoding="utf-8")
    gold = load_gold(path, referential=referential)
    sig, closed = _scheme(id="at:sig"), _scheme(id="at:closed", deadline="2025-05-14")
    catalogue = {s.id: s for s in (sig, closed)}
    matcher = _StubMatcher({"R1": [sig], "R2": []})
    report = evaluate(gold, matcher, catalogue.get, referential, top=10)
    assert matcher.calls == [("R1", TODAY)]
    assert [(r.action_id, r.ndcg, r.missing) for r in report.results] == [("R1", 1.0, [])]
    assert report.unscorable == [("ruffec", "R2")]
    assert "1 action(s) écartée(s)" in report_table(gold, [report], 10)
    assert json.loads(report_json(gold, [report], 10))["unscorable"] == [{"profile": "ruffec", "id": "R2"}]


# -- aidenum eval end to end -------------------------------------------------------------------
TINY_SCHEMES = [
    {"id": "bdt:cnfs", "source": "bdt", "title": "Conseiller numérique France Services",
     "description": "Subvention pour recruter un conseiller numérique chargé de la médiation numérique "
                    "et de l'accompagnement des habitants aux usages du numérique.",
     "beneficiaries": ["commune", "epci", "department"], "aid_types": ["grant"], "perimeter": "FR"},
    {"id": "feder:feder-bzh-131", "source": "feder", "title": "Numérique pour toutes et tous (FEDER Bretagne)",
     "description": "Médiation numérique : aller vers les publics éloignés du numérique, espaces de médiation.",
     "beneficiaries": ["commune", "epci", "association"], "aid_types": ["grant"], "perimeter": "REG:53"},
    {"id": "francenum:cheque-france-num", "source": "francenum", "title": "Chèque France Num",
     "description": "Aide aux TPE pour leur transformation numérique : site, vente en ligne, médiation numérique.",
     "beneficiaries": ["private-sector"], "aid_types": ["grant"], "perimeter": "FR", "deadline": "2021-07-31"},
    {"id": "at:0065-sig", "source": "at", "title": "Bénéficier d'un SIG (Système d'Information Géographique)",
     "description": "L'agence technique de la Charente aide les communes à créer leurs données cartographiques "
                    "et un SIG communal, adressage.",
     "beneficiaries": ["commune", "epci"], "aid_types": ["technical-engineering"], "perimeter": "DEP:16"},
]
TINY_GOLD = GOLD_HEAD + """    actions:
      - id: R1
        titre: Recruter un conseiller numérique pour la médiation numérique
        labels:
          "bdt:cnfs": [2, "subvention du poste de conseiller numérique"]
          "feder:feder-bzh-131": [0, "FEDER Bretagne : hors territoire"]
          "francenum:cheque-france-num": [0, "réservé aux entreprises, clôturé"]
      - id: R2
        titre: Créer un SIG communal et des données cartographiques
        labels:
          "at:0065-sig": [2, "SIG et cartographie de l'agence technique de la Charente"]
"""


@pytest.fixture
def tiny(tmp_path):
    catalogue = tmp_path / "mini.jsonl"
    catalogue.write_text("".join(json.dumps(Scheme.from_dict(s).to_dict(), ensure_ascii=False) + "\n"
                                 for s in TINY_SCHEMES), encoding="utf-8")
    gold = tmp_path / "gold.yaml"
    gold.write_text(TINY_GOLD, encoding="utf-8")
    return catalogue, gold


def test_eval_command_json_compares_full_and_naive(tiny):
    catalogue, gold = tiny
    result = CliRunner().invoke(cli, ["eval", str(gold), "--catalogue", str(catalogue), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data["modes"]) == {"full", "naive"} and data["today"] == "2026-11-22"
    full, naive = data["modes"]["full"], data["modes"]["naive"]
    assert full["summary"]["violations"] == 0
    # the naive baseline has no filters: the Breton and the business-only schemes come back
    naive_violations = {v["scheme_id"] for a in naive["actions"] for v in a["violations"]}
    assert naive_violations & {"feder:feder-bzh-131", "francenum:cheque-france-num"}
    r1 = next(a for a in full["actions"] if a["id"] == "R1")
    assert r1["ranked"][0] == "bdt:cnfs" and r1["rr"] == 1.0
    assert set(data["gain"]) == {"ndcg", "recall", "mrr"}
    assert full["profiles"]["ruffec"]["actions"] == 2


def test_eval_command_table_in_french(tiny):
    catalogue, gold = tiny
    result = CliRunner().invoke(cli, ["eval", str(gold), "--catalogue", str(catalogue), "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "nDCG@5" in result.output and "référence naïve" in result.output
    assert "Par profil" in result.output and "ruffec" in result.output


def test_eval_command_errors(tiny, tmp_path):
    catalogue, gold = tiny
    runner = CliRunner()
    empty_home = runner.invoke(cli, ["eval", str(gold)])
    assert empty_home.exit_code == 1 and "catalogue vide" in empty_home.output
    unknown = tmp_path / "autre.yaml"
    unknown.write_text(TINY_GOLD.replace('"at:0065-sig"', '"at:inexistant"'), encoding="utf-8")
    result = runner.invoke(cli, ["eval", str(unknown), "--catalogue", str(catalogue)])
    assert result.exit_code == 1
    assert "at:inexistant" in result.output and "absent(s) du catalogue" in result.output
    missing = runner.invoke(cli, ["eval", str(tmp_path / "absent.yaml"), "--catalogue", str(catalogue)])
    assert missing.exit_code == 1 and "jeu d'évaluation introuvable" in missing.output
    assert "Traceback" not in result.output + missing.output + empty_home.output


def test_eval_help_is_french():
    result = CliRunner().invoke(cli, ["eval", "--help"])
    assert result.exit_code == 0
    assert "référence naïve" in result.output and "--catalogue" in result.output


def test_gold_labels_name_real_schemes_of_the_shipped_sources(referential):
    """Every labelled id exists in the catalogue built from the real data, and every label that
    says « clôturé le <date> » matches the scheme's deadline."""
    import re

    from aidenum.catalogue import snapshot
    from conftest import SHARED_DATA

    if not SHARED_DATA.exists():
        pytest.skip("données partagées absentes")
    schemes = {s.id: s for s in snapshot.collect(SHARED_DATA)[0]}
    gold = load_gold(ROOT / "data" / "eval" / "gold.yaml", referential=referential)
    assert gold.scheme_ids() <= set(schemes), sorted(gold.scheme_ids() - set(schemes))
    months = {"janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "août": 8,
              "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12}
    checked = 0
    for profile in gold.profiles:
        for item in profile.actions:
            for scheme_id, why in item.why.items():
                found = re.search(r"clôturé le (\d{1,2}) (\w+) (\d{4})", why)
                if found:
                    day, month, year = found.groups()
                    assert schemes[scheme_id].deadline == dt.date(int(year), months[month], int(day)), scheme_id
                    assert item.labels[scheme_id] == 0
                    checked += 1
    assert checked >= 5
