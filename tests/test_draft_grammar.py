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
    # every EPCI kind, syndicats and PETR (typed « epci » in plans), départements and régions
    (("Communauté urbaine de Dunkerque", "epci"),
     ("de la Communauté urbaine de Dunkerque", "à la Communauté urbaine de Dunkerque",
      "La Communauté urbaine de Dunkerque", "exclue")),
    (("Métropole européenne de Lille", "epci"),
     ("de la Métropole européenne de Lille", "à la Métropole européenne de Lille", "La Métropole européenne de Lille",
      "exclue")),
    (("Rennes Métropole", "epci"), ("de Rennes Métropole", "à Rennes Métropole", "Rennes Métropole", "exclue")),
    (("Dinan Agglomération", "epci"), ("de Dinan Agglomération", "à Dinan Agglomération", "Dinan Agglomération",
                                       "exclue")),
    (("Syndicat intercommunal à vocation multiple du Val de Loire", "epci"),
     ("du Syndicat intercommunal à vocation multiple du Val de Loire",
      "au Syndicat intercommunal à vocation multiple du Val de Loire",
      "Le Syndicat intercommunal à vocation multiple du Val de Loire", "exclu")),
    (("SIVOM de la vallée de l'Ouche", "epci"),
     ("du SIVOM de la vallée de l'Ouche", "au SIVOM de la vallée de l'Ouche", "Le SIVOM de la vallée de l'Ouche",
      "exclu")),
    (("Pôle d'équilibre territorial et rural du Pays de Guingamp", "epci"),
     ("du Pôle d'équilibre territorial et rural du Pays de Guingamp",
      "au Pôle d'équilibre territorial et rural du Pays de Guingamp",
      "Le Pôle d'équilibre territorial et rural du Pays de Guingamp", "exclu")),
    (("PETR du Pays de Saint-Brieuc", "epci"),
     ("du PETR du Pays de Saint-Brieuc", "au PETR du Pays de Saint-Brieuc", "Le PETR du Pays de Saint-Brieuc", "exclu")),
    (("Pays de Redon", "epci"), ("du Pays de Redon", "au Pays de Redon", "Le Pays de Redon", "exclu")),
    (("Département de l'Ain", "department"),
     ("du Département de l'Ain", "au Département de l'Ain", "Le Département de l'Ain", "exclu")),
    (("Conseil départemental de la Gironde", "department"),
     ("du Conseil départemental de la Gironde", "au Conseil départemental de la Gironde",
      "Le Conseil départemental de la Gironde", "exclu")),
    (("Collectivité européenne d'Alsace", "department"),
     ("de la Collectivité européenne d'Alsace", "à la Collectivité européenne d'Alsace",
      "La Collectivité européenne d'Alsace", "exclue")),
    (("Région Grand Est", "region"), ("de la Région Grand Est", "à la Région Grand Est", "La Région Grand Est",
                                      "exclue")),
    (("Hennebont", "commune"), ("d'Hennebont", "à Hennebont", "Hennebont", "exclue")),
    (("Le Havre", "commune"), ("du Havre", "au Havre", "Le Havre", "exclu")),
    (("Les Herbiers", "commune"), ("des Herbiers", "aux Herbiers", "Les Herbiers", "exclue")),
    (("L'Haÿ-les-Roses", "commune"), ("de L'Haÿ-les-Roses", "à L'Haÿ-les-Roses", "L'Haÿ-les-Roses", "exclue")),
    (("", "commune"), ("de la commune", "à la commune", "La commune", "exclue")),
    (("", "region"), ("de la région", "à la région", "La région", "exclue")),
    (("", "public-org"), ("de l'établissement public", "à l'établissement public", "L'établissement public", "exclu")),
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
    ("Angers", "commune", "Le conseil municipal d'Angers,"),
    ("Communauté d'agglomération du Grand Guéret", "epci",
     "Le conseil communautaire de la Communauté d'agglomération du Grand Guéret,"),
    ("Communauté urbaine de Dunkerque", "epci", "Le conseil communautaire de la Communauté urbaine de Dunkerque,"),
    ("Métropole européenne de Lille", "epci", "Le conseil métropolitain de la Métropole européenne de Lille,"),
    ("Rennes Métropole", "epci", "Le conseil métropolitain de Rennes Métropole,"),
    ("Syndicat mixte Mégalis Bretagne", "epci", "Le comité syndical du Syndicat mixte Mégalis Bretagne,"),
    ("PETR du Pays de Saint-Brieuc", "epci", "Le comité syndical du PETR du Pays de Saint-Brieuc,"),
    ("Association Les Petits Débrouillards", "association",
     "Le conseil d'administration de l'Association Les Petits Débrouillards,"),
    ("Office de tourisme intercommunal", "public-org", "Le conseil d'administration de l'Office de tourisme intercommunal,"),
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
    assert " Le organe" not in text and " le organe" not in text and "du organe" not in text
    assert f"{name.subject} est {name.agree('exclu')} de l'aide" not in text  # eligible: no warning


@pytest.mark.parametrize("nom, kind, agreed", [
    ("Département du Doubs", "department", "Le Département du Doubs est exclu de l'aide"),
    ("PETR du Pays de Saint-Brieuc", "epci", "Le PETR du Pays de Saint-Brieuc est exclu de l'aide"),
    ("Communauté urbaine de Dunkerque", "epci", "La Communauté urbaine de Dunkerque est exclue de l'aide"),
    ("Rennes Métropole", "epci", "Rennes Métropole est exclue de l'aide"),
    ("Le Havre", "commune", "Le Havre est exclu de l'aide"),
    ("Les Herbiers", "commune", "Les Herbiers est exclue de l'aide"),
])
def test_forced_drafts_agree_exclu(tmp_path, nom, kind, agreed):
    """A FEDER Bretagne record for a collectivité outside Bretagne: refused, then forced with a warning."""
    plan = example_plan()
    collectivite = dataclasses.replace(plan.collectivite, nom=nom, type=kind, territory="DEP:25",
                                       departement="25", region="27", code=None)
    other = dataclasses.replace(plan, collectivite=collectivite)
    result = render_draft(other, other.action("A1"), [fact("feder:feder-bzh-131")], tmp_path / "f.docx",
                          today=dt.date(2026, 11, 20), force=True)
    text = check_docx(result.path)
    assert agreed in text and "(option --forcer)" not in text or agreed in text


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
