"""feder spider on saved pages of the regional EU-funds sites (mirror layout under tests/files/feder/)."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from aidenum.catalogue.model import Scheme
from aidenum.spiders.spiders.feder import FederSpider, site_for
from tests.conftest import FILES
from tests.spider_helpers import file_response

FEDER = FILES / "feder"
MIRROR = "http://127.0.0.1:8765/"
BZH = "europe.bzh/aides/fiches/numerique-pour-toutes-et-tous.html"
ALSACE = "europe-en-alsace.eu/mesure/developpement-dapplications-numeriques-pour-des-projets-dinteret-public/"
PACA = "europe.maregionsud.fr/projets/detail/partenariat-europeen-pour-linnovation-volet-mise-en-oeuvre-intervention.html"
FIELDS = {"id", "source", "title", "url", "description", "eligibility", "project_examples", "funders",
          "instructors", "programmes", "beneficiaries", "aid_types", "themes", "keywords", "perimeter",
          "perimeter_label", "is_call_for_project", "archived", "rate_max", "amount_min", "amount_max",
          "rate_comment", "start_date", "deadline", "raw"}


def sheet(relative: str, url: str | None = None) -> dict:
    path = FEDER / relative.split("?")[0]
    if path.name == "" or relative.split("?")[0].endswith("/"):
        path = path / "index.html"
    with time_machine.travel(dt.datetime(2025, 3, 1, 12, 0), tick=False):
        items = list(FederSpider().parse_sheet(file_response(path, url or MIRROR + relative)))
    assert len(items) == 1
    item = items[0]
    assert set(item) == FIELDS
    Scheme.from_dict(item)  # every item enters the model as is
    return item


def test_listing_follows_each_sheet_once_without_tracking():
    requests = list(FederSpider().parse(file_response(FEDER / "index.html", MIRROR + "index.html")))
    assert [r.url for r in requests] == [MIRROR + BZH, MIRROR + ALSACE, MIRROR + PACA]
    assert all(r.callback.__name__ == "parse_sheet" for r in requests)


def test_start_url_argument():
    assert FederSpider(start_url=MIRROR + "index.html").start_urls == [MIRROR + "index.html"]
    assert len(FederSpider().start_urls) == 4


def test_bretagne_sheet_every_field():
    item = sheet(BZH + "?utm_source=newsletter&utm_medium=email")
    assert item["id"] == "feder-bretagne:numerique-pour-toutes-et-tous"
    assert item["source"] == "feder"
    assert item["title"] == "Numérique pour toutes et tous"
    assert item["url"] == "https://europe.bzh/aides/fiches/numerique-pour-toutes-et-tous"
    description = item["description"]
    assert description.startswith("Cet appel à projet vise à valoriser des projets facilitant l'accès")
    assert "Revenir à la liste" not in description            # lone back link dropped
    assert "string(6)" not in description and "188005" not in description and "NULL" not in description
    assert "plus de 70 Espaces Publics Numériques" in description   # non-breaking space normalised
    assert "128 lieux portés par 75 structures" in description
    assert "Tout accepter" not in description and "gtag" not in description and "Partager" not in description
    assert description.endswith("renforcer le maillage régional des lieux de médiation numérique.")
    assert item["eligibility"] == (
        "Bénéficiaires : Associations\nCollectivités territoriales et leurs groupements\nÉtablissements publics\n"
        "Critères d'éligibilité : Le projet est mis en œuvre sur le territoire breton.\n"
        "Les lieux soutenus s'inscrivent dans le réseau Visa Numérique Bretagne.")
    assert item["project_examples"] == ""
    assert item["funders"] == ["Union européenne (FEDER)", "Région Bretagne"]
    assert item["instructors"] == ["Région Bretagne"]
    assert item["programmes"] == ["FEDER-FSE+ Bretagne 2021-2027"]
    assert item["beneficiaries"] == ["commune", "epci", "department", "region", "association", "public-org"]
    assert item["aid_types"] == ["grant"]   # "<strong>Subvention</strong>FEDER": glued tags
    assert item["themes"] == [
        "Aller vers des publics spécifiques",
        "Améliorer l'accès, l'accueil, l'aménagement et l'accessibilité des espaces de médiation",
        "Faciliter la mise à jour et la réparation des équipements numériques des particuliers et "
        "l'équipement issu du réemploi local",
    ]
    assert item["keywords"] == ["OS 1.3.1", "Assurer le développement d'un numérique inclusif"]
    assert item["perimeter"] == "REG:53"
    assert item["perimeter_label"] == "Bretagne"
    assert item["is_call_for_project"] is True
    assert item["archived"] is False
    # "taux maximum" and "plancher" are named but no figure is printed: nothing is guessed.
    assert item["rate_max"] is None and item["amount_min"] is None and item["amount_max"] is None
    assert item["rate_comment"] == ("Le taux maximum d'intervention et le plancher de dépenses éligibles sont "
                                    "précisés dans le règlement de l'appel à projets.")
    assert item["start_date"] is None and item["deadline"] is None
    raw = item["raw"]
    assert raw["url"] == item["url"]
    assert raw["fetched_url"] == MIRROR + BZH + "?utm_source=newsletter&utm_medium=email"
    assert raw["site"] == "europe.bzh" and raw["template"] == "sheet"
    assert raw["specific_objective"] == {"code": "1.3.1", "label": "Assurer le développement d'un numérique inclusif"}
    assert list(raw["sections"]) == ["Objectifs", "Bénéficiaires", "Critères d'éligibilité", "Type d'aide",
                                     "Montant de l'aide"]
    assert raw["sections"]["Type d'aide"] == "Subvention FEDER"
    assert raw["chapo"].startswith("Cet appel à projet") and "1.3.1" not in raw["chapo"]


def test_alsace_measure_every_field():
    item = sheet(ALSACE)
    assert item["id"] == "feder-alsace:developpement-dapplications-numeriques-pour-des-projets-dinteret-public"
    assert item["source"] == "feder"
    assert item["title"] == "Développement d’applications numériques pour des projets d’intérêt public"
    assert item["url"] == ("https://europe-en-alsace.eu/mesure/"
                           "developpement-dapplications-numeriques-pour-des-projets-dinteret-public/")
    assert item["description"].split("\n") == [
        "Programme opérationnel FEDER Alsace 2014 – 2020",
        "Répondre aux enjeux majeurs de la société par le développement de nouvelles applications numériques.",
        "Soutenir le développement de nouvelles applications numériques dans les secteurs clés d’intérêt général.",
        "Développer le déploiement de ces outils par des projets innovants, pour accroître la visibilité, "
        "la recherche et l’utilisation de données d’intérêt public.",
    ]
    assert item["eligibility"] == ("Bénéficiaires : Etablissements publics, collectivités territoriales, "
                                   "universités, bibliothèques, musées, Rectorat, associations, entreprises,"
                                   "…(liste non limitative).")
    examples = item["project_examples"].split("\n")
    assert examples[0] == "Action 1 : Soutien au développement d’applications numériques dans le domaine de l’administration"
    assert "Numérisation de données médicales ou médico-sociales," in examples
    assert examples[-2].startswith("Action 4 :") and len(examples) == 10
    assert item["funders"] == ["Union européenne (FEDER)", "Région Grand Est"]
    assert item["instructors"] == ["Région Grand Est"]
    assert item["programmes"] == ["FEDER Alsace 2014-2020"]
    assert item["beneficiaries"] == ["commune", "epci", "department", "region", "association", "public-org",
                                     "private-sector"]
    assert item["aid_types"] == []
    assert item["themes"] == [
        f"Soutien au développement d’applications numériques dans le domaine {domain}"
        for domain in ("de l’administration", "de la santé", "de l’éducation et de la formation", "de la culture")
    ]
    assert item["keywords"] == []
    assert item["perimeter"] == "REG:44" and item["perimeter_label"] == "Grand Est"
    assert item["is_call_for_project"] is False
    assert item["archived"] is True   # "cette mesure n’est plus disponible" banner
    assert (item["rate_max"], item["amount_min"], item["amount_max"], item["rate_comment"]) == (None, None, None, "")
    assert (item["start_date"], item["deadline"]) == (None, None)
    assert item["raw"]["template"] == "measure" and item["raw"]["specific_objective"] is None
    assert item["raw"]["site"] == "europe-en-alsace.eu"


def test_region_sud_call_page_every_field():
    item = sheet(PACA + "?xtor=RSS-12")
    assert item["id"] == "feder-paca:partenariat-europeen-pour-linnovation-volet-mise-en-oeuvre-intervention"
    assert item["source"] == "feder"
    assert item["title"] == "Partenariat européen pour l'innovation (PEI) - volet mise en œuvre"
    assert item["url"] == ("https://europe.maregionsud.fr/projets/detail/"
                           "partenariat-europeen-pour-linnovation-volet-mise-en-oeuvre-intervention")
    assert item["description"] == (
        "Soutenir la mise en œuvre de projets d'innovation portés par des groupes opérationnels du PEI réunissant "
        "agriculteurs, forestiers, chercheurs et conseillers.\nCet appel à projets, financé par le FEADER, "
        "accompagne les groupes opérationnels dans la réalisation de leur projet d'innovation et la diffusion de "
        "ses résultats.")
    assert item["eligibility"] == "" and item["project_examples"] == ""
    # The page names its fund: a FEADER call on the same template is not labelled FEDER.
    assert item["funders"] == ["Union européenne (FEADER)", "Région Provence-Alpes-Côte d'Azur"]
    assert item["instructors"] == ["Région Provence-Alpes-Côte d'Azur"]
    assert item["programmes"] == []
    assert item["beneficiaries"] == [] and item["aid_types"] == [] and item["keywords"] == []
    assert item["themes"] == ["Agriculture et forêt", "Innovation"]
    assert item["perimeter"] == "REG:93" and item["perimeter_label"] == "Provence-Alpes-Côte d'Azur"
    assert item["is_call_for_project"] is True   # badge "Appel à projets"
    assert item["archived"] is False
    assert (item["rate_max"], item["amount_min"], item["amount_max"], item["rate_comment"]) == (None, None, None, "")
    assert (item["start_date"], item["deadline"]) == (None, None)
    assert item["raw"]["template"] == "call"
    assert list(item["raw"]["sections"]) == ["Titre de l'appel", "Thématique", "Objectifs", "Résumé de l'appel"]


def test_site_is_recognised_from_the_real_host_too():
    item = sheet(BZH, url="https://europe.bzh/aides/fiches/numerique-pour-toutes-et-tous?fbclid=XYZ")
    assert item["id"] == "feder-bretagne:numerique-pour-toutes-et-tous"
    assert item["raw"]["fetched_url"].endswith("?fbclid=XYZ")
    assert site_for("https://www.europe-bfc.eu/dispositif/x/").slug == "bourgogne-franche-comte"
    assert site_for("http://127.0.0.1/x.html", "L'Europe s'engage en Région Sud").slug == "paca"
    assert site_for("https://example.org/aides/fiches/x") is None


def test_unknown_site_yields_nothing():
    response = file_response(FEDER / BZH, "http://127.0.0.1:8765/copie.html")
    body = response.body.replace(b'rel="canonical"', b'rel="alternate"').replace(b"Europe.bzh", b"Autre site")
    response = response.replace(body=body)
    assert list(FederSpider().parse_sheet(response)) == []


@pytest.mark.parametrize("text, rate, floor, ceiling", [
    ("Taux maximum d'aide FEDER : 60 %. Plancher de dépenses éligibles : 50 000 €.", 60.0, 50000.0, None),
    ("Le taux d'intervention maximal est de 80\u00a0% ; plafond de l'aide : 1,5 M€", 80.0, None, 1500000.0),
    ("Aide d'un montant minimum de 20 000 euros, taux plafond 50%", 50.0, 20000.0, None),
])
def test_amount_section_wordings(text, rate, floor, ceiling):
    spider = FederSpider()
    page = {"sections": {"Montant de l'aide": text}}
    assert spider._parse_rate_max(page) == rate
    assert spider._parse_amount_min(page) == floor
    assert spider._parse_amount_max(page) == ceiling
