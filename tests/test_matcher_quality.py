"""Quality rules of the ranking that adapt to any catalogue: the document-frequency guard, broad
« domain » links below specific ones, and explanations that say which is which."""
from __future__ import annotations

import pytest

from catalogue.model import Scheme
from matcher.engine import COMMON_SHARE, Matcher
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


def wifi() -> Scheme:
    return Scheme.from_dict({**BASE, "id": "at:wifi", "title": "Déployer des bornes wifi publiques",
                             "description": "Accès wifi public dans les lieux publics des communes."})


def test_a_title_word_common_in_the_catalogue_cannot_make_a_match_alone(build):
    m = build([wifi(), *filler(30, "gratuit")])   # « gratuit » in 30 of 31 schemes
    assert m.index.doc_frequency("gratuit") == 30 >= COMMON_SHARE * m.index.facts.count
    results = m.match_action(collectivite(), action("Installer un wifi public gratuit"), today=TODAY)
    assert ids(results) == ["at:wifi"]


def test_the_same_word_makes_a_match_when_the_catalogue_rarely_uses_it(build):
    rare = Scheme.from_dict({**BASE, "id": "at:gratuit", "title": "Service gratuit de conseil juridique"})
    m = build([wifi(), rare, *filler(60)])
    assert m.index.doc_frequency("gratuit") == 1
    results = m.match_action(collectivite(), action("Installer un wifi public gratuit"), today=TODAY)
    assert set(ids(results)) == {"at:wifi", "at:gratuit"}


def test_a_title_made_only_of_common_words_still_finds_schemes(build):
    m = build(filler(30, "gratuit"))
    results = m.match_action(collectivite(), action("Étude préalable gratuite"), today=TODAY)
    assert len(results) == 10
