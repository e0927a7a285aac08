"""Quality rules of the ranking that adapt to any catalogue: the document-frequency guard, broad
« domain » links below specific ones, and explanations that say which is which."""
from __future__ import annotations

import pytest

from aidenum.catalogue.model import Scheme
from aidenum.matcher.engine import COMMON_SHARE, Matcher
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
    assert m.index.doc_frequency("gratuit") == 30 >= COMMON_SHARE * m.index.facts.count
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
