"""Hard filters, index build/swap, ranking and explanations of the matcher."""
from __future__ import annotations

import dataclasses
import json

import pytest

from aidenum.catalogue import store
from aidenum.catalogue.model import Scheme
from aidenum.matcher import filters
from aidenum.matcher.engine import Matcher
from aidenum.matcher.index import SchemeIndex
from tests.matcher_helpers import TODAY, action, collectivite, fill_catalogue, plan, schemes


def by_id(sid: str) -> Scheme:
    return next(s for s in schemes() if s.id == sid)


def verdict(sid, applicant=None, relay=False, include_closed=False, referential=None):
    applicant = applicant or filters.Applicant.from_collectivite(collectivite())
    return filters.check(by_id(sid), applicant, referential, TODAY, include_closed, relay)


# -- filters -------------------------------------------------------------------------------------
def test_filter_beneficiary_type(referential):
    region = filters.Applicant("region", "REG:53", "Région Bretagne")
    result = verdict("at:fipd-video", region, referential=referential)
    assert result.reason == "exclue : bénéficiaires Communes, Intercommunalités / Pays (pas Régions)"
    assert verdict("at:fipd-video", referential=referential).ok


def test_filter_no_beneficiaries_listed_is_kept_with_a_caveat(referential):
    result = verdict("feder:feder-bzh-131", referential=referential)
    assert result.ok and result.notes == ["bénéficiaires non précisés par la source : à vérifier"]


def test_filter_territory(referential):
    result = verdict("at:nievre-numerique", referential=referential)
    assert result.reason.startswith("exclue : territoire Nièvre (département) hors de Loudéac Communauté")
    # a département scheme is open to an EPCI inside it, a région one too, a national one always
    assert verdict("at:fipd-video", referential=referential).ok
    assert verdict("feder:feder-bzh-131", referential=referential).ok
    nievre = filters.Applicant("commune", "COM:58194", "Nevers")
    assert verdict("at:nievre-numerique", nievre, referential=referential).ok
    assert not verdict("feder:feder-bzh-131", nievre, referential=referential).ok


def test_filter_status_closed_unless_included(referential):
    result = verdict("facts:anssi-relance-cyber", referential=referential)
    assert result.reason == "exclue : clôturée le 30/06/2022"
    kept = verdict("facts:anssi-relance-cyber", include_closed=True, referential=referential)
    assert kept.ok and kept.notes == ["attention : clôturée le 30/06/2022"]


def test_filter_scheme_withdrawn_from_its_source(referential):
    scheme = dataclasses.replace(by_id("bdt:cnfs"), closed_at="2026-10-05T10:00:00")
    applicant = filters.Applicant.from_collectivite(collectivite())
    result = filters.check(scheme, applicant, referential, TODAY)
    assert result.reason == "exclue : retirée de sa source le 05/10/2026 (clôturée)"


def test_filter_business_only_schemes(referential):
    assert verdict("francenum:garantie-pret", referential=referential).reason == "exclue : réservée aux entreprises"
    relayed = verdict("francenum:garantie-pret", relay=True, referential=referential)
    assert relayed.ok and "à relayer auprès des entreprises" in relayed.notes[0]
    assert filters.relays_to_businesses("Accompagner la transformation numérique des commerçants")
    assert filters.relays_to_businesses("Soutenir les TPE du territoire")
    assert not filters.relays_to_businesses("Déployer un guichet numérique des démarches")


# -- index -----------------------------------------------------------------------------------
def test_index_is_built_then_reused_then_rebuilt_when_catalogue_changes(aidenum_home):
    fill_catalogue(aidenum_home)
    matcher = Matcher(aidenum_home)
    first = matcher.ensure_index()
    assert first.count == len(schemes())
    live = matcher.index.live_dir()
    assert json.loads((live / "stamp.json").read_text())["count"] == len(schemes())
    assert matcher.ensure_index() is None                      # up to date
    assert Matcher(aidenum_home).ensure_index() is None        # also for another process
    extra = Scheme.from_dict({"id": "at:wifi", "source": "at", "title": "WiFi public dans les bourgs",
                              "beneficiaries": ["commune", "epci"], "perimeter": "FR"})
    with store.Catalogue(aidenum_home / store.DB_NAME) as cat:
        store.upsert_all(cat, "at", [extra])
    second = matcher.ensure_index()
    assert second is not None and second.count == len(schemes()) + 1
    assert matcher.index.live_dir() != live and not live.exists()     # swapped, old one removed
    assert [d.name for d in (aidenum_home / "index").iterdir() if d.is_dir()] == [matcher.index.live_dir().name]
    assert matcher.search("wifi public", top=3, today=TODAY)[0].scheme.id == "at:wifi"


def test_failed_build_leaves_the_live_index_untouched(aidenum_home):
    fill_catalogue(aidenum_home)
    matcher = Matcher(aidenum_home)
    matcher.ensure_index()
    live = matcher.index.live_dir()

    def broken():
        yield schemes()[0]
        raise RuntimeError("disque plein")

    index = SchemeIndex(aidenum_home)
    with pytest.raises(RuntimeError):
        index.build(broken(), {"changed_at": "x", "count": 1})
    assert index.live_dir() == live
    assert sorted(p.name for p in (aidenum_home / "index").iterdir() if p.is_dir()) == [live.name]
    assert matcher.search("conseiller numérique", today=TODAY)


# -- ranking and explanations ----------------------------------------------------------------------
@pytest.fixture
def matcher(aidenum_home, referential):
    fill_catalogue(aidenum_home)
    m = Matcher(aidenum_home, referential=referential)
    m.ensure_index()
    return m


def test_match_ranks_and_explains(matcher):
    results = matcher.match_action(collectivite(), action(
        "Recruter deux conseillers numériques itinérants",
        "Permanences de médiation numérique pour lutter contre l'illectronisme."), today=TODAY)
    assert results[0].scheme.id == "bdt:cnfs"
    assert [m.rank for m in results] == list(range(1, len(results) + 1))
    assert all(a.score >= b.score for a, b in zip(results, results[1:]))
    top = results[0]
    assert "conseiller numérique" in top.matched_terms
    assert "title" in top.matched_fields
    assert top.why[0].startswith("Mots de l'action retrouvés : ")
    assert "Financeurs : État (ANCT), Banque des Territoires" in top.why
    assert "Montant : jusqu'à 50\u202f000 €" in top.why
    assert "Aide permanente, sans date limite" in top.why
    assert "Type d'aide : Subvention" in top.why


def test_synonym_match_is_explained(matcher):
    results = matcher.match_action(collectivite(), action("Installer des caméras de vidéosurveillance"), today=TODAY)
    fipd = next(m for m in results if m.scheme.id == "at:fipd-video")
    # « vidéo-protection » (Aides-territoires row) and « vidéoprotection » are the same term
    assert any("« vidéosurveillance » ≈ « vidéo" in w and "protection » (synonyme, trouvé dans : titre)" in w
               for w in fipd.why), fipd.why
    assert "Taux : jusqu'à 50 %" in fipd.why
    assert "Date limite : 31/03/2027, dans 129 jours" in fipd.why
    assert "Périmètre : Côtes-d'Armor (département)" in fipd.why


def test_hard_filters_apply_before_ranking(matcher):
    results = matcher.match_action(collectivite(), action(
        "Dématérialiser les démarches", "Guichet numérique et cybersécurité des communes"), today=TODAY)
    ids = [m.scheme.id for m in results]
    assert "at:nievre-numerique" not in ids          # other département
    assert "facts:anssi-relance-cyber" not in ids    # closed
    reasons = {e.scheme.id: e.reason for e in matcher.exclusions(collectivite(), action(
        "Dématérialiser les démarches", "Guichet numérique et cybersécurité des communes"), today=TODAY)}
    assert reasons["at:nievre-numerique"].startswith("exclue : territoire Nièvre")
    assert reasons["facts:anssi-relance-cyber"] == "exclue : clôturée le 30/06/2022"
    assert "bdt:cnfs" not in reasons
    with_closed = matcher.match_action(collectivite(), action(
        "Dématérialiser les démarches", "Guichet numérique et cybersécurité des communes"),
        include_closed=True, today=TODAY)
    assert "facts:anssi-relance-cyber" in [m.scheme.id for m in with_closed]


def test_france_num_only_for_actions_relaying_to_businesses(matcher):
    own = matcher.match_action(collectivite(), action("Créer un site marchand et la vente en ligne"), today=TODAY)
    assert "francenum:garantie-pret" not in [m.scheme.id for m in own]
    relay = matcher.match_action(collectivite(), action(
        "Accompagner la transformation numérique des commerçants", "Vente en ligne pour les TPE du centre-bourg"),
        today=TODAY)
    hit = next(m for m in relay if m.scheme.id == "francenum:garantie-pret")
    assert any("à relayer auprès des entreprises" in w for w in hit.why)


def test_relevance_floor_ranks_unrelated_schemes_last_and_says_so(matcher):
    assert matcher.match_action(collectivite(), action("Rénover la toiture du gymnase"), today=TODAY) == []
    # « développer » is an intention: the cycling scheme shares no concept with this action; it
    # is kept far below (RANKING.below_floor), after every scheme about the action, and says why
    results = matcher.match_action(collectivite(), action("Développer la médiation numérique"), today=TODAY)
    ids = [m.scheme.id for m in results]
    assert ids[-1] == "at:velo" and len(ids) > 1
    velo = results[-1]
    assert velo.why[0] == "Rapprochement faible : seulement « Développer » en commun avec l'action"
    assert velo.score < 0.1 * results[0].score
    assert not any(w.startswith("Rapprochement faible") for m in results[:-1] for w in m.why)


def test_narrower_perimeter_first_on_ties(aidenum_home, referential):
    base = {"source": "at", "title": "Tiers-lieux numériques", "description": "Fablab et coworking",
            "beneficiaries": ["epci"]}
    records = [Scheme.from_dict({**base, "id": "at:national", "perimeter": "FR"}),
               Scheme.from_dict({**base, "id": "at:regional", "perimeter": "REG:53"}),
               Scheme.from_dict({**base, "id": "at:departemental", "perimeter": "DEP:22"})]
    fill_catalogue(aidenum_home, records)
    m = Matcher(aidenum_home, referential=referential)
    m.ensure_index()
    results = m.match_action(collectivite(), action("Ouvrir un tiers-lieu"), today=TODAY)
    assert [r.scheme.id for r in results] == ["at:departemental", "at:regional", "at:national"]
    assert results[0].score == results[2].score


def test_match_plan_and_search(matcher):
    results = matcher.match_plan(plan(), top=2, today=TODAY)
    assert list(results) == ["A1", "A2"]
    assert len(results["A1"]) <= 2 and results["A1"][0].scheme.id == "bdt:cnfs"
    assert results["A2"][0].scheme.id == "at:fipd-video"
    anywhere = matcher.search("cybersécurité", today=TODAY, include_closed=True)
    assert anywhere[0].scheme.id == "facts:anssi-relance-cyber"
    # closed, even without a collectivité (other digital schemes may come through the « numérique » domain)
    assert "facts:anssi-relance-cyber" not in [m.scheme.id for m in matcher.search("cybersécurité", today=TODAY)]


def test_naive_mode_has_no_stems_thesaurus_or_filters(aidenum_home, referential):
    fill_catalogue(aidenum_home)
    naive = Matcher(aidenum_home, mode="naive", referential=referential)
    naive.ensure_index()
    assert (aidenum_home / "index" / "naive.current").exists()
    ids = [m.scheme.id for m in naive.match_action(collectivite(), action("démarche dématérialisée"), today=TODAY)]
    assert ids == []      # « démarche » ≠ « démarches » without stemming, and no thesaurus
    ids = [m.scheme.id for m in naive.match_action(collectivite(), action("guichet numérique"), today=TODAY)]
    assert "at:nievre-numerique" in ids   # no territory filter in the baseline
    with pytest.raises(ValueError):
        Matcher(aidenum_home, mode="autre")
