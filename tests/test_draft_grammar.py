"""Sentences around any collectivité's name: article, contraction, elision, agreement."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from aidenum.catalogue.vocabularies import COLLECTIVITE_TYPES
from aidenum.drafting.check import check_docx
from aidenum.drafting.grammar import name_of
from aidenum.drafting.render import render_draft
from draft_helpers import example_plan, fact, local_dsil

# (name, kind) -> (of, to, subject, « exclu(e) »)
CASES = [
    (("Communauté de communes du Kreiz-Breizh", "epci"),
     ("de la Communauté de communes du Kreiz-Breizh", "à la Communauté de communes du Kreiz-Breizh",
      "La Communauté de communes du Kreiz-Breizh", "exclue")),
    (("Communauté d'agglomération du Grand Guéret", "epci"),
     ("de la Communauté d'agglomération du Grand Guéret", "à la Communauté d'agglomération du Grand Guéret",
      "La Communauté d'agglomération du Grand Guéret", "exclue")),
    (("Agglomération du Choletais", "epci"),
     ("de l'Agglomération du Choletais", "à l'Agglomération du Choletais", "L'Agglomération du Choletais", "exclue")),
    (("Eurométropole de Strasbourg", "epci"),
     ("de l'Eurométropole de Strasbourg", "à l'Eurométropole de Strasbourg", "L'Eurométropole de Strasbourg", "exclue")),
    (("CC du Pays de Mirepoix", "epci"),
     ("de la CC du Pays de Mirepoix", "à la CC du Pays de Mirepoix", "La CC du Pays de Mirepoix", "exclue")),
    (("Loudéac Communauté - Bretagne Centre", "epci"),
     ("de Loudéac Communauté - Bretagne Centre", "à Loudéac Communauté - Bretagne Centre",
      "Loudéac Communauté - Bretagne Centre", "exclue")),
    (("Département du Doubs", "department"),
     ("du Département du Doubs", "au Département du Doubs", "Le Département du Doubs", "exclu")),
    (("Région Bretagne", "region"), ("de la Région Bretagne", "à la Région Bretagne", "La Région Bretagne", "exclue")),
    (("Lamballe-Armor", "commune"), ("de Lamballe-Armor", "à Lamballe-Armor", "Lamballe-Armor", "exclue")),
    (("Angers", "commune"), ("d'Angers", "à Angers", "Angers", "exclue")),
    (("Le Mans", "commune"), ("du Mans", "au Mans", "Le Mans", "exclu")),
    (("Les Sables-d'Olonne", "commune"), ("des Sables-d'Olonne", "aux Sables-d'Olonne", "Les Sables-d'Olonne", "exclue")),
    (("La Rochelle", "commune"), ("de La Rochelle", "à La Rochelle", "La Rochelle", "exclue")),
    (("Ville de Saint-Brieuc", "commune"), ("de la Ville de Saint-Brieuc", "à la Ville de Saint-Brieuc",
                                             "La Ville de Saint-Brieuc", "exclue")),
    (("Association Les Petits Débrouillards", "association"),
     ("de l'Association Les Petits Débrouillards", "à l'Association Les Petits Débrouillards",
      "L'Association Les Petits Débrouillards", "exclue")),
    (("Syndicat mixte Mégalis Bretagne", "public-org"),
     ("du Syndicat mixte Mégalis Bretagne", "au Syndicat mixte Mégalis Bretagne", "Le Syndicat mixte Mégalis Bretagne",
      "exclu")),
    (("Office de tourisme intercommunal", "public-org"),
     ("de l'Office de tourisme intercommunal", "à l'Office de tourisme intercommunal",
      "L'Office de tourisme intercommunal", "exclu")),
    (("SPL Eau du Ponant", "public-cies"), ("de la SPL Eau du Ponant", "à la SPL Eau du Ponant", "La SPL Eau du Ponant",
                                            "exclue")),
    (("", "department"), ("du département", "au département", "Le département", "exclu")),
    (("", "epci"), ("de l'intercommunalité", "à l'intercommunalité", "L'intercommunalité", "exclue")),
]


@pytest.mark.parametrize("given, expected", CASES, ids=[c[0][0] or c[0][1] for c in CASES])
def test_name_forms(given, expected):
    name = name_of(*given)
    assert (name.of, name.to, name.subject, name.agree("exclu")) == expected


def test_every_collectivite_type_of_the_plans_has_a_gender():
    for kind in set(COLLECTIVITE_TYPES.values()):
        name = name_of("", kind)
        assert name.gender in ("m", "f") and name.plain and name.of.startswith(("de ", "du ", "d'"))


@pytest.mark.parametrize("nom, kind, council", [
    ("Communauté de communes du Kreiz-Breizh", "epci", "Le conseil communautaire de la Communauté de communes du Kreiz-Breizh,"),
    ("Département des Côtes-d'Armor", "department", "Le conseil départemental du Département des Côtes-d'Armor,"),
    ("Région Bretagne", "region", "Le conseil régional de la Région Bretagne,"),
    ("Le Mans", "commune", "Le conseil municipal du Mans,"),
    ("Agglomération de Lannion", "epci", "Le conseil communautaire de l'Agglomération de Lannion,"),
])
def test_drafts_are_grammatical_for_every_kind(tmp_path, nom, kind, council):
    plan = example_plan()
    collectivite = dataclasses.replace(plan.collectivite, nom=nom, type=kind)
    other = dataclasses.replace(plan, collectivite=collectivite)
    result = render_draft(other, other.action("A1"), [local_dsil(beneficiaries=[]), fact("feder:feder-bzh-131")],
                          tmp_path / "d.docx", today=dt.date(2026, 11, 20))
    text = check_docx(result.path)
    assert council in text
    name = name_of(nom, kind)
    assert f"agissant au nom {name.of}" in text and f"au nom {name.of}, une subvention" in text
    assert " de Le " not in text and " de Les " not in text and " de La Communauté" not in text
    assert " de Communauté" not in text and " de Département" not in text and " de Région" not in text


def test_feder_sentences(tmp_path):
    plan = example_plan()
    collectivite = dataclasses.replace(plan.collectivite, nom="Communauté de communes du Kreiz-Breizh")
    other = dataclasses.replace(plan, collectivite=collectivite)
    result = render_draft(other, other.action("A1"), [fact("feder:feder-bzh-131")], tmp_path / "f.docx",
                          today=dt.date(2026, 11, 20))
    text = check_docx(result.path)
    assert "La Communauté de communes du Kreiz-Breizh s'engage, pour l'opération" in text
    assert "reste à la charge de la Communauté de communes du Kreiz-Breizh" in text
    assert "réseaux sociaux de la Communauté de communes du Kreiz-Breizh" in text
