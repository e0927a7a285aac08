"""Quality rules of the ranking that adapt to any catalogue: the document-frequency guard, broad
« domain » links below specific ones, and explanations that say which is which."""
from __future__ import annotations

import dataclasses

import pytest

from aidenum.catalogue.model import Scheme
from aidenum.matcher.engine import Matcher
from aidenum.matcher.ranking import RANKING
from tests.matcher_helpers import TODAY, action, collectivite, fill_catalogue

BASE = {"source": "at", "beneficiaries": ["commune", "epci"], "perimeter": "FR", "recurrence": "ongoing"}


def filler(count: int, word: str = "") -> list[Scheme]:
    """Schemes about other matters (real-shaped Aides-territoires titles), ``word`` in each description."""
    topics = ["Rénover l'éclairage public", "Restaurer un lavoir", "Créer une piste cyclable",
              "Isoler une école", "Planter des haies bocagères", "Réhabiliter une friche"]
    return [Scheme.from_dict({**BASE, "id": f"at:filler-{n}", "title": f"{topics[n % len(topics)]} ({n})",
                              "description": f"Accompagnement {word} des collectivités, étude préalable."})
            for n in range(count)]


@pytest.fixture
def build(aidenum_home, referential):
    def build_(records):
        fill_catalogue(aidenum_home, records)
        m = Matcher(aidenum_home, referential=referential)
        m.ensure_index(force=True)
        return m
    return build_


def ids(results):
    return [m.scheme.id for m in results]


def strong_ids(results):
    """The matches above the relevance floor (the others rank last and say « Rapprochement faible »)."""
    return [m.scheme.id for m in results if not any(w.startswith("Rapprochement faible") for w in m.why)]


def wifi() -> Scheme:
    return Scheme.from_dict({**BASE, "id": "at:wifi", "title": "Déployer des bornes wifi publiques",
                             "description": "Accès wifi public dans les lieux publics des communes."})


def test_a_title_word_common_in_the_catalogue_cannot_make_a_match_alone(build):
    m = build([wifi(), *filler(30, "gratuit")])   # « gratuit » in 30 of 31 schemes
    assert m.index.doc_frequency("gratuit") == 30 >= RANKING.common_share * m.index.facts.count
    results = m.match_action(collectivite(), action("Installer un wifi public gratuit"), today=TODAY)
    assert strong_ids(results) == ["at:wifi"] and ids(results)[0] == "at:wifi"


def test_the_same_word_makes_a_match_when_the_catalogue_rarely_uses_it(build):
    rare = Scheme.from_dict({**BASE, "id": "at:gratuit", "title": "Service gratuit de conseil juridique"})
    m = build([wifi(), rare, *filler(60)])
    assert m.index.doc_frequency("gratuit") == 1
    results = m.match_action(collectivite(), action("Installer un wifi public gratuit"), today=TODAY)
    assert set(strong_ids(results)) == {"at:wifi", "at:gratuit"}


def test_a_title_made_only_of_common_words_still_finds_schemes(build):
    m = build(filler(30, "gratuit"))
    results = m.match_action(collectivite(), action("Étude préalable gratuite"), today=TODAY)
    assert len(results) == 10


# -- broad « domain » links ---------------------------------------------------------------------
def general_digital() -> Scheme:
    return Scheme.from_dict({**BASE, "id": "feder:numerique", "title": "Numérique pour toutes et tous",
                             "description": "Développement d'un numérique inclusif : médiation numérique, "
                                            "espaces publics numériques, tiers-lieux."})


def plaza() -> Scheme:
    return Scheme.from_dict({**BASE, "id": "at:places", "title": "Requalifier les places du centre-ville",
                             "description": "Mobilier urbain, éclairage, végétalisation, signalétique, "
                                            "circulation douce autour des commerces, marchés couverts, "
                                            "kiosques, bancs, fontaines, jeux pour enfants, toilettes, wifi public."})


def test_a_scheme_reached_only_through_the_domain_ranks_below_the_specific_one(build, monkeypatch):
    from aidenum.matcher import engine
    m = build([general_digital(), plaza(), *filler(10)])
    wifi_action = action("Installer un wifi public dans les bourgs")
    monkeypatch.setattr(engine, "BROAD_FACTOR", 1.0)
    # without the rule, « numérique » three times in a short title wins over the concept itself
    assert ids(m.match_action(collectivite(), wifi_action, today=TODAY))[:2] == ["feder:numerique", "at:places"]
    monkeypatch.undo()
    results = m.match_action(collectivite(), wifi_action, today=TODAY)
    assert ids(results)[:2] == ["at:places", "feder:numerique"]
    general = results[1]
    assert "« wifi public » relève du thème général « numérique » (trouvé dans : titre, description)" in general.why
    assert "wifi public → numérique (thème général)" in general.matched_terms
    assert not any("synonyme" in w for w in general.why)
    assert any(w.startswith("Seul le thème général « numérique » rapproche ce dispositif") for w in general.why)
    assert not any(w.startswith("Seul le thème général") for w in results[0].why)


def test_the_domain_rule_leaves_actions_about_the_domain_itself_alone(build):
    m = build([general_digital(), plaza(), *filler(10)])
    results = m.match_action(collectivite(), action("Développer le numérique dans la commune"), today=TODAY)
    assert ids(results)[0] == "feder:numerique"
    assert not any(w.startswith("Seul le thème général") for w in results[0].why)


# -- synonyms of a concept mentioned in passing -------------------------------------------------------
def test_synonyms_of_a_concept_named_only_in_the_description_weigh_half(build):
    m = build([general_digital(), *filler(10)])
    parts = m.build_query("Portail citoyen des démarches Inscriptions scolaires en ligne",
                          "Portail citoyen des démarches")
    by_label = {p.label: p for p in parts}
    assert by_label["école"].kind == "synonyme" and by_label["école"].trigger == "scolaire"
    assert by_label["école"].query.weight == 0.5           # « scolaires » is only in the description
    assert by_label["école"].meaningful == "always"        # still enough to list a school scheme
    assert by_label["e-administration"].query.weight == 1.0  # « portail citoyen » is in the title


# -- matches found only in a scheme's description -----------------------------------------------
def advice() -> Scheme:
    """A generic engineering scheme whose long description lists every kind of project."""
    return Scheme.from_dict({**BASE, "id": "at:ingenierie", "title": "Ingénierie pour les projets des petites villes",
                             "description": "Conseil aux élus sur leurs projets d'équipement : médiathèque, halle, "
                                            "maison de santé. Pour une médiathèque : programme, accueil des "
                                            "scolaires, ateliers, fonds documentaire."})


def schools() -> Scheme:
    return Scheme.from_dict({**BASE, "id": "at:ecoles", "title": "Éducation artistique dans les écoles",
                             "description": "Résidences d'artistes et interventions en classe."})


def test_a_scheme_matched_only_in_its_description_ranks_below_one_matched_in_its_title(build, monkeypatch):
    from aidenum.matcher import engine
    m = build([advice(), schools(), *(s for s in filler(10) if "école" not in s.title.lower())])
    library = action("Rénover la médiathèque", "Ateliers de lecture pour les écoles")
    monkeypatch.setattr(engine, "DESCRIPTION_ONLY_FACTOR", 1.0)
    # without the rule, action words scattered in a long description outweigh the title of a scheme
    assert strong_ids(m.match_action(collectivite(), library, today=TODAY)) == ["at:ingenierie", "at:ecoles"]
    monkeypatch.undo()
    results = m.match_action(collectivite(), library, today=TODAY)
    assert strong_ids(results) == ["at:ecoles", "at:ingenierie"] == ids(results)[:2]
    assert any(w.startswith("Les mots de l'action ne figurent que dans le texte du dispositif") for w in results[1].why)
    assert not any(w.startswith("Les mots de l'action ne figurent") for w in results[0].why)


def test_a_concept_in_the_themes_is_not_a_description_only_match(build):
    themed = Scheme.from_dict({**advice().to_dict(with_raw=False), "themes": ["Médiathèques"]})
    m = build([themed, schools(), *(s for s in filler(10) if "école" not in s.title.lower())])
    results = m.match_action(collectivite(), action("Rénover la médiathèque", "Ateliers de lecture pour les écoles"),
                             today=TODAY)
    assert ids(results)[0] == "at:ingenierie"
    assert not any(w.startswith("Les mots de l'action ne figurent") for w in results[0].why)


# -- list items of a multi-purpose scheme: its funded priorities ---------------------------------
def test_list_items_are_split_from_the_prose():
    from aidenum.matcher.index import split_priorities
    prose, items = split_priorities("Subvention de l'État aux communes rurales.\n- 1 - Éducation\n"
                                    "- VIDEOPROTECTION (PRIORITE 2)\n4° Développement du numérique\n"
                                    "a) les dessertes\nDépôt avant le 31 janvier.")
    assert prose == "Subvention de l'État aux communes rurales.\nDépôt avant le 31 janvier."
    assert items == ["1 - Éducation", "VIDEOPROTECTION (PRIORITE 2)", "Développement du numérique",
                     "les dessertes"]


def dotation() -> Scheme:
    """A DETR-shaped record: the concept is one priority among many, in capitals, in a long list."""
    items = "\n".join(f"- {t} (PRIORITE 2)" for t in ("FUNERAIRE", "EDIFICES CULTUELS", "LOGEMENT", "TOURISME",
                                                      "SALLE POLYVALENTE/GYMNASE", "SECURITE INCENDIE",
                                                      "VIDEOPROTECTION"))
    return Scheme.from_dict({**BASE, "id": "detr:45", "title": "DETR Loiret — Dotation d'équipement des territoires ruraux",
                             "aid_types": ["grant"], "programmes": ["DETR"],
                             "description": "Subvention de l'État aux investissements des communes rurales, "
                                            "attribuée par le préfet de département. Catégories prioritaires :\n" + items})


def camera_advice() -> Scheme:
    return Scheme.from_dict({**BASE, "id": "at:conseil", "title": "Conseil aux communes sur leurs projets",
                             "aid_types": ["technical-engineering"],
                             "description": "Conseil gratuit aux élus sur tous leurs projets : voirie, école, "
                                            "vidéoprotection, salle des fêtes, cimetière, logement, tourisme."})


def test_a_listed_priority_is_subject_evidence_and_an_engineering_offer_weighs_less_for_works(build):
    m = build([dotation(), camera_advice(), *filler(10)])
    results = m.match_action(collectivite(), action("Installation de caméras de vidéoprotection"), today=TODAY)
    assert ids(results)[:2] == ["detr:45", "at:conseil"]
    detr, advice = results[0], results[1]
    assert "priorités listées" in detr.why[0]
    assert not any(w.startswith("Les mots de l'action ne figurent") for w in detr.why)
    assert advice.why[1] == ("Aide de type ingénierie technique : appui moins direct pour des travaux, "
                             "équipements ou acquisitions")
    assert not any(w.startswith("Aide de type") for w in detr.why)


# -- funded-projects evidence (matcher/similar.py), fused by rank --------------------------------
class _Evidence:
    """What ``SimilarProjects.evidence`` gives the engine: a weight and a sentence per dispositif."""

    def __init__(self, votes: dict[str, float]):
        from aidenum.matcher.similar import DispositifEvidence
        self.votes = {label: DispositifEvidence(label, 12, None, None, None, None, None, None, "FR", "en France",
                                                [2019], f"12 projets comparables financés par la {label}",
                                                weight=weight) for label, weight in votes.items()}

    def evidence(self, text, applicant=None, before_year=None):
        return self.votes


def dotation_record(dispositif: str, destinations=("investment",)) -> Scheme:
    return Scheme.from_dict({**BASE, "id": f"{dispositif.lower()}:22", "title": f"{dispositif} Côtes-d'Armor",
                             "programmes": [dispositif], "aid_types": ["grant"], "destinations": list(destinations),
                             "perimeter": "DEP:22",
                             "description": "Subvention de l'État aux investissements des communes : équipements "
                                            "publics, bâtiments, matériel numérique."})


def posts() -> Scheme:
    return Scheme.from_dict({**BASE, "id": "at:postes", "title": "Financer des postes de médiateurs numériques",
                             "aid_types": ["grant"], "destinations": ["supply"],
                             "description": "Médiateur numérique : cofinancement du poste, matériel numérique."})


@pytest.fixture
def with_evidence(build, monkeypatch):
    from aidenum.matcher import engine
    monkeypatch.setattr(engine, "RANKING", dataclasses.replace(engine.RANKING, laureate_weight=1.0))

    def build_(records, votes):
        m = build(records)
        m._similar = _Evidence(votes)
        return m
    return build_


def test_projects_an_investment_dotation_funded_lift_it_for_an_investment_action(with_evidence):
    records = [dotation_record("DETR"), posts(), *filler(8, "numérique")]
    m = with_evidence(records, {})
    plain = ids(m.match_action(collectivite(), action("Achat de matériel numérique pour la mairie"), today=TODAY))
    m = with_evidence(records, {"DETR": 1000.0})
    lifted = m.match_action(collectivite(), action("Achat de matériel numérique pour la mairie"), today=TODAY)
    assert plain.index("detr:22") > ids(lifted).index("detr:22") == 0
    assert "12 projets comparables financés par la DETR" in lifted[0].why


def test_an_investment_dotation_gets_no_vote_for_a_post(with_evidence):
    """The CnFS case of the real set: DGCL projects say nothing about recruiting a mediator."""
    records = [dotation_record("DETR"), posts(), *filler(8, "numérique")]
    m = with_evidence(records, {"DETR": 1000.0})
    results = m.match_action(collectivite(), action("Recrutement d'un médiateur numérique"), today=TODAY)
    assert ids(results)[0] == "at:postes"


def test_a_dispositif_vote_grows_with_its_evidence(with_evidence):
    """Continuous in the evidence weight: a few loosely similar projects weigh less than many close ones."""
    from aidenum.matcher import engine
    half = engine.RANKING.laureate_half
    records = [dotation_record("DETR"), dotation_record("DSIL"), *filler(4)]
    m = with_evidence(records, {"DETR": half / 4, "DSIL": half * 4})
    ranked = m._fuse([(type("Hit", (), {"id": sid, "score": 1.0})(), "DEP:22") for sid in ("detr:22", "dsil:22")],
                     m.similar.evidence(""))
    assert [hit.id for hit, _ in ranked] == ["dsil:22", "detr:22"]


def test_funded_projects_bring_a_dotation_whose_text_misses_the_action_words(with_evidence):
    """A DETR whose categories say « bâtiments, équipements publics » for « Vidéoprotection »: the
    projects it funded near the applicant are the evidence, and the match says so."""
    categories = ("Catégories prioritaires : bâtiments scolaires, voirie communale, salles polyvalentes, "
                  "sécurité des biens et des personnes.")
    detr = [Scheme.from_dict({**dotation_record("DETR").to_dict(), "id": f"detr:{dep}", "perimeter": f"DEP:{dep}",
                              "description": categories}) for dep in ("22", "56")]
    video = Scheme.from_dict({**BASE, "id": "at:video", "title": "Vidéoprotection des espaces publics",
                              "description": "Caméras de vidéoprotection."})
    records = [*detr, video, *filler(6)]
    without = ids(with_evidence(records, {}).match_action(collectivite(), action("Vidéoprotection"), today=TODAY))
    assert "detr:22" not in without
    found = with_evidence(records, {"DETR": 1000.0}).match_action(collectivite(), action("Vidéoprotection"),
                                                                 today=TODAY)
    assert ids(found)[:2] == ["at:video", "detr:22"] and "detr:56" not in ids(found)   # not in the Morbihan
    assert found[1].why[0].startswith("Aucun mot de l'action dans le texte de ce dispositif")
    assert "12 projets comparables financés par la DETR" in found[1].why


def test_funded_projects_bring_no_investment_dotation_for_a_post(with_evidence):
    records = [dotation_record("DETR"), *filler(6)]
    m = with_evidence(records, {"DETR": 1000.0})
    assert "detr:22" not in ids(m.match_action(collectivite(), action("Recrutement d'un animateur"), today=TODAY))


def test_evidence_applies_follows_the_destinations():
    from aidenum.matcher.ranking import INVESTMENT, RUNNING, STUDY, evidence_applies
    assert evidence_applies(frozenset({INVESTMENT}), ["investment"])
    assert not evidence_applies(frozenset({RUNNING}), ["investment"])
    assert evidence_applies(frozenset({RUNNING, INVESTMENT}), ["investment"])
    assert evidence_applies(frozenset({STUDY}), ["investment"])
    assert evidence_applies(frozenset(), ["investment"]) and evidence_applies(frozenset({RUNNING}), [])


# -- contracts (DESIGN.md) -----------------------------------------------------------------------
def test_a_type_only_collectivite_sees_one_record_per_territorial_dispositif(build):
    """No territory: the hundred DETR records of the départements would fill the top 10 with one answer."""
    records = [Scheme.from_dict({**BASE, "id": f"detr:{dep}", "title": f"DETR {dep} — vidéoprotection",
                                 "programmes": ["DETR"], "perimeter": f"DEP:{dep}", "aid_types": ["grant"],
                                 "description": "Vidéoprotection des communes rurales."})
               for dep in ("01", "22", "35", "56", "29")]
    records.append(Scheme.from_dict({**BASE, "id": "at:video", "title": "Vidéoprotection des espaces publics",
                                     "description": "Caméras de vidéoprotection."}))
    m = build([*records, *filler(6)])
    anywhere = collectivite(code=None, territory=None, departement=None, region=None, nom="Une commune")
    found = ids(m.match_action(anywhere, action("Installer la vidéoprotection"), today=TODAY))
    assert sum(sid.startswith("detr:") for sid in found) == 1 and "at:video" in found
    located = ids(m.match_action(collectivite(), action("Installer la vidéoprotection"), today=TODAY))
    assert [sid for sid in located if sid.startswith("detr:")] == ["detr:22"]


def test_no_explanation_sentence_is_repeated_under_every_result(build):
    records = [wifi(), dotation_record("DETR"), dotation_record("DSIL"), posts(), *filler(6, "numérique wifi")]
    m = build(records)
    results = m.match_action(collectivite(), action("Installer un wifi public numérique"), today=TODAY)
    assert len(results) >= 4
    sentences = [set(match.why) for match in results]
    assert not set.intersection(*sentences)
    assert all(len(sentence) <= 300 for match in results for sentence in match.why)


def test_a_home_without_funded_projects_loads_the_shipped_ones_once(build, monkeypatch, tmp_path):
    """Out of the box (held-out runs: catalogue import then match in a fresh home)."""
    import gzip

    from aidenum.catalogue import laureates
    from aidenum.matcher import engine
    shipped = laureates.SHIPPED_PATH
    small = tmp_path / "laureates-dgcl.jsonl.gz"
    with gzip.open(shipped, "rt", encoding="utf-8") as source, gzip.open(small, "wt", encoding="utf-8") as out:
        for number, line in enumerate(source):
            if number > 400:
                break
            out.write(line)
    monkeypatch.setattr(laureates, "SHIPPED_PATH", small)
    monkeypatch.setattr(engine, "RANKING", dataclasses.replace(engine.RANKING, laureate_weight=1.0))
    m = build([dotation_record("DETR"), *filler(4)])
    monkeypatch.setenv(engine.SHIPPED_LAUREATES_ENV, "0")
    assert m.ensure_laureates() is None and m.similar is None
    monkeypatch.delenv(engine.SHIPPED_LAUREATES_ENV)
    messages = []
    assert m.ensure_laureates(notify=messages.append) == 400
    assert messages[0].startswith("Première utilisation : chargement des projets financés livrés")
    assert m.similar is not None and m.ensure_laureates(notify=messages.append) is None and len(messages) == 2
    again = Matcher(m.home)
    assert again.ensure_laureates() is None and again.similar is not None


def test_a_split_compound_reads_as_the_word_the_catalogue_uses(build):
    """Préfectures type « VIDEO PROTECTION »: the catalogue's « vidéoprotection » is the word."""
    video = Scheme.from_dict({**BASE, "id": "at:video", "title": "Financer la vidéoprotection",
                              "description": "Caméras sur la voie publique."})
    m = build([video, *filler(8)])
    assert m._join_split_words("INSTALLATION VIDEO PROTECTION MAIRIE") == "INSTALLATION VIDEOPROTECTION MAIRIE"
    assert m._join_split_words("salle des fêtes") == "salle des fêtes"   # « sallefêtes »: no such word
    found = m.match_action(collectivite(), action("INSTALLATION VIDEO PROTECTION"), today=TODAY)
    assert strong_ids(found)[:1] == ["at:video"]
