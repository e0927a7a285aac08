"""dsil spider on saved préfecture pages, the national form and a DETR/DSIL campaign page."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from aidenum.catalogue.model import Scheme
from aidenum.spiders.spiders.dsil import LEGAL_THEMES, DsilSpider
from tests.conftest import FILES
from tests.spider_helpers import file_response

DSIL = FILES / "dsil"
MIRROR = "http://127.0.0.1:8765/"
MM = ("meurthe-et-moselle.gouv.fr/Politiques-publiques/Collectivites-locales/Concours-financiers/"
      "La-dotation-de-soutien-a-l-investissement-local-DSIL/La-dotation-de-soutien-a-l-investissement-local-DSIL.html")
LOT = "www.lot.gouv.fr/dotation-de-soutien-a-l-investissement-local-dsil-r4442.html"
NORMANDIE = ("www.prefectures-regions.gouv.fr/normandie/Grands-dossiers/Investissements-publics/DSIL/"
             "La-dotation-de-soutien-a-l-investissement-local/La-DSIL-classique/")
DS = "www.demarches-simplifiees.fr/commencer/dotations-etat-investissement-local.html"
MARNE = "maires51.fr/"
ALL_THEMES = [label for _, label in LEGAL_THEMES]
FIELDS = {"id", "source", "title", "name_initial", "url", "application_url", "description", "eligibility",
          "project_examples", "funders", "instructors", "programmes", "beneficiaries", "aid_types",
          "destinations", "recurrence", "themes", "perimeter", "perimeter_label", "is_call_for_project",
          "archived", "rate_comment", "start_date", "deadline", "raw"}


def parse(relative: str, url: str) -> list[dict]:
    path = DSIL / relative
    if relative.endswith("/"):
        path = path / "index.html"
    with time_machine.travel(dt.datetime(2025, 3, 1, 12, 0), tick=False):
        items = list(DsilSpider().parse(file_response(path, url)))
    for item in items:
        assert set(item) == FIELDS
        Scheme.from_dict(item)  # every item enters the model as is
    return items


@pytest.mark.parametrize("mirror", [MIRROR, MIRROR + "dsil/"])
def test_index_follows_dsil_links_once(mirror):
    """Tracking parameters and anchors removed; "Mentions légales" not followed, even under /dsil/."""
    requests = list(DsilSpider().parse(file_response(DSIL / "index.html", mirror + "index.html")))
    assert [r.url for r in requests] == [mirror + MM, mirror + LOT, mirror + NORMANDIE, mirror + DS,
                                         mirror + "maires51.fr/?p=14330"]
    assert all(r.callback.__name__ == "parse_page" for r in requests)


def test_start_url_argument():
    assert DsilSpider(start_url=MIRROR + "index.html").start_urls == [MIRROR + "index.html"]
    assert DsilSpider().start_urls[0].startswith("https://www.demarches-simplifiees.fr/")


def test_old_prefecture_template_meurthe_et_moselle_2018():
    [item] = parse(MM, MIRROR + MM + "?xtor=RSS-1")
    assert item["id"] == "dsil:54-2018"
    assert item["source"] == "dsil"
    assert item["title"] == "La dotation de soutien à l'investissement local (DSIL)"   # repeated once on the page
    assert item["name_initial"] == "Dotation de soutien à l'investissement local"
    assert item["url"] == ("http://meurthe-et-moselle.gouv.fr/Politiques-publiques/Collectivites-locales/"
                           "Concours-financiers/La-dotation-de-soutien-a-l-investissement-local-DSIL/"
                           "La-dotation-de-soutien-a-l-investissement-local-DSIL")
    assert item["application_url"] == ""
    assert item["description"] == (
        "Créée en 2016, la dotation de soutien à l'investissement local (DSIL) accompagne les projets "
        "d'investissement des collectivités, au titre de l'article L. 2334-42 du code général des collectivités "
        "territoriales.")
    assert item["eligibility"] == (
        "Qui peut en bénéficier ? : Les communes, les établissements publics de coopération intercommunale (EPCI) "
        "à fiscalité propre et les pôles d'équilibre territorial et rural (PETR).")
    assert item["project_examples"].startswith("Quels projets ? : Les opérations d'investissement relevant")
    assert item["funders"] == ["État (préfecture de Meurthe-et-Moselle)"]
    assert item["instructors"] == ["Préfecture de Meurthe-et-Moselle", "Sous-préfecture de l'arrondissement"]
    assert item["programmes"] == ["DSIL"]
    assert item["beneficiaries"] == ["commune", "epci"]
    assert item["aid_types"] == ["grant"] and item["destinations"] == ["investment"]
    assert item["recurrence"] == "recurring"
    assert item["themes"] == ALL_THEMES
    assert item["perimeter"] == "DEP:54" and item["perimeter_label"] == "Meurthe-et-Moselle"
    assert item["is_call_for_project"] is False
    assert item["archived"] is True            # "n'est plus disponible" banner
    # The envelope is the département's, not a ceiling per project.
    assert item["rate_comment"] == ("L'enveloppe de DSIL attribuée au département de Meurthe-et-Moselle pour 2018 "
                                    "s'élève à 5 355 989 €.")
    assert item["start_date"] is None
    assert item["deadline"] == dt.date(2018, 4, 30)   # "avant le 30 avril", year of the page
    raw = item["raw"]
    assert raw["template"] == "prefecture-old" and raw["year"] == 2018 and raw["updated"] is None
    assert raw["envelopes"] == [{"text": item["rate_comment"], "amounts": [5355989.0]}]
    assert raw["window_text"].endswith("à la sous-préfecture de l'arrondissement avant le 30 avril.")
    assert raw["fetched_url"] == MIRROR + MM + "?xtor=RSS-1"
    assert "xt_med" not in str(raw) and "cookies" not in str(raw)


def test_new_prefecture_template_lot():
    [item] = parse(LOT, "https://www.lot.gouv.fr/dotation-de-soutien-a-l-investissement-local-dsil-r4442.html")
    assert item["id"] == "dsil:46-dotation-de-soutien-a-l-investissement-local-dsil-r4442"
    assert item["source"] == "dsil"
    assert item["title"] == "Dotation de soutien à l'investissement local (DSIL)"
    assert item["name_initial"] == "Dotation de soutien à l'investissement local"
    assert item["url"] == "https://www.lot.gouv.fr/dotation-de-soutien-a-l-investissement-local-dsil-r4442.html"
    assert item["application_url"] == ""
    assert item["description"] == ("La dotation de soutien à l'investissement local (DSIL) finance, sous forme de "
                                   "subventions, les projets d'investissement des collectivités.")
    assert item["eligibility"].split("\n") == [
        "I. Collectivités et groupement éligibles : Sont éligibles :",
        "toutes les communes ;",
        "les établissements publics de coopération intercommunale (EPCI) à fiscalité propre ;",
        "les pôles d'équilibre territorial et rural (PETR) ;",
        "les maîtres d'ouvrage désignés par un contrat signé avec l'État (par exemple un contrat de relance et de "
        "transition écologique, CRTE).",
    ]
    examples = item["project_examples"].split("\n")
    assert examples[0] == "II. Nature des projets éligibles"
    assert examples[1].startswith("1. Les grandes priorités thématiques : Rénovation thermique")
    assert examples[-1].startswith("2. Les projets inscrits dans un contrat : Les opérations de développement")
    assert item["funders"] == ["État (préfecture du Lot)"]
    assert item["instructors"] == ["Préfecture du Lot"]
    assert item["programmes"] == ["DSIL"]
    assert item["beneficiaries"] == ["commune", "epci"]
    assert item["aid_types"] == ["grant"] and item["destinations"] == ["investment"]
    assert item["recurrence"] == "recurring"
    assert item["themes"] == ALL_THEMES
    assert item["perimeter"] == "DEP:46" and item["perimeter_label"] == "Lot"
    assert item["is_call_for_project"] is False and item["archived"] is False
    assert item["rate_comment"] == ""        # no amount on this page
    assert (item["start_date"], item["deadline"]) == (None, None)
    raw = item["raw"]
    assert raw["template"] == "prefecture-new" and raw["year"] is None and raw["envelopes"] == []
    assert list(raw["sections"]) == ["I. Collectivités et groupement éligibles", "II. Nature des projets éligibles",
                                     "1. Les grandes priorités thématiques", "2. Les projets inscrits dans un contrat"]


def test_prefecture_de_region_normandie():
    [item] = parse(NORMANDIE, MIRROR + NORMANDIE)
    assert item["id"] == "dsil:normandie-la-dsil-classique"
    assert item["source"] == "dsil"
    assert item["title"] == "La DSIL classique"
    assert item["name_initial"] == "Dotation de soutien à l'investissement local"
    assert item["url"] == ("https://www.prefectures-regions.gouv.fr/normandie/Grands-dossiers/"
                           "Investissements-publics/DSIL/La-dotation-de-soutien-a-l-investissement-local/"
                           "La-DSIL-classique")
    assert item["application_url"] == ""
    description = item["description"].split("\n")
    assert description[0].startswith("La dotation de soutien à l'investissement local est une subvention de l'État")
    assert description[1].startswith("Créée en 2016 et inscrite à l'article L. 2334-42")
    assert "Mise à jour" not in item["description"]
    assert item["eligibility"].startswith("2-Qui peut percevoir la DSIL ? : Les communes et les établissements")
    assert "Mayotte" in item["eligibility"]
    assert item["project_examples"].startswith("3-Quels projets sont éligibles ? : la rénovation thermique")
    assert item["project_examples"].endswith("la plus récente date du 8 février 2023.")
    assert item["funders"] == ["État (préfecture de la région Normandie)"]
    assert item["instructors"] == ["Préfecture de la région Normandie"]
    assert item["programmes"] == ["DSIL"]
    assert item["beneficiaries"] == ["commune", "epci"]
    assert item["aid_types"] == ["grant"] and item["destinations"] == ["investment"]
    assert item["recurrence"] == "recurring"
    assert item["themes"] == ALL_THEMES
    assert item["perimeter"] == "REG:28" and item["perimeter_label"] == "Normandie"
    assert item["is_call_for_project"] is False and item["archived"] is False
    assert item["rate_comment"] == ("Depuis 2016, la DSIL a permis de soutenir 2 330 projets en Normandie, pour "
                                    "375,51 M€ de subventions et 1,63 milliards d'euros de travaux HT.")
    # A dated instruction is not a campaign window.
    assert (item["start_date"], item["deadline"]) == (None, None)
    raw = item["raw"]
    assert raw["template"] == "prefecture-region" and raw["year"] is None
    assert raw["updated"] == "2024-02-29"
    assert raw["envelopes"][0]["amounts"] == [375510000.0, 1630000000.0]   # 2 330 projects is not an amount
    assert list(raw["sections"])[:2] == ["1-Qu'est-ce que la DSIL ?", "2-Qui peut percevoir la DSIL ?"]


def test_national_demarches_simplifiees_form():
    [item] = parse(DS, "https://www.demarches-simplifiees.fr/commencer/dotations-etat-investissement-local"
                       "?utm_source=prefecture&utm_medium=lien")
    url = "https://www.demarches-simplifiees.fr/commencer/dotations-etat-investissement-local"
    assert item["id"] == "dsil:fr-dotations-etat-investissement-local"
    assert item["source"] == "dsil"
    assert item["title"] == "Demande de subvention au titre de la DETR et de la DSIL"
    assert item["name_initial"] == ""
    assert item["url"] == url and item["application_url"] == url
    assert item["description"].startswith("Ce formulaire unique permet aux communes éligibles et aux EPCI éligibles")
    assert item["eligibility"] == item["description"]
    assert item["project_examples"].startswith("Quelles sont les priorités de la DSIL ? : 1° Rénovation thermique")
    assert "Commencer la démarche" not in item["project_examples"]
    assert "4° Développement du numérique et de la téléphonie mobile" in item["project_examples"]
    assert item["funders"] == ["État"]
    assert item["instructors"] == ["Préfet de département", "Préfet de région", "Préfecture de département"]
    assert item["programmes"] == ["DETR", "DSIL"]
    assert item["beneficiaries"] == ["commune", "epci"]
    assert item["aid_types"] == ["grant"] and item["destinations"] == ["investment"]
    assert item["recurrence"] == "recurring"
    assert item["themes"] == ALL_THEMES
    assert item["perimeter"] == "FR" and item["perimeter_label"] == "France"
    assert item["is_call_for_project"] is False and item["archived"] is False
    assert item["rate_comment"] == ""
    assert (item["start_date"], item["deadline"]) == (None, None)
    assert item["raw"]["template"] == "ds-form"


def test_marne_campaign_gives_detr_and_dsil():
    items = parse(MARNE, "https://maires51.fr/?p=14330&utm_source=newsletter&utm_medium=email")
    assert [i["id"] for i in items] == ["detr:51-2025", "dsil:51-2025"]
    detr, dsil = items
    assert detr["title"] == "DETR / DSIL 2025 : ouverture de la campagne de dépôt des dossiers (DETR)"
    assert dsil["title"] == "DETR / DSIL 2025 : ouverture de la campagne de dépôt des dossiers (DSIL)"
    assert detr["name_initial"] == "Dotation d'équipement des territoires ruraux"
    assert dsil["name_initial"] == "Dotation de soutien à l'investissement local"
    assert (detr["programmes"], dsil["programmes"]) == (["DETR"], ["DSIL"])
    for item in items:
        assert item["source"] == "dsil"
        assert item["url"] == "https://maires51.fr/?p=14330"
        assert item["application_url"] == ("https://www.demarches-simplifiees.fr/commencer/"
                                           "dotations-etat-investissement-local")
        assert item["description"].startswith("Les demandes de subvention des communes et EPCI éligibles")
        assert "Finances" not in item["description"] and "ACCEPTER" not in item["description"]
        eligibility = item["eligibility"].split("\n")
        assert eligibility[0].startswith("Les demandes de subvention des communes et EPCI éligibles")
        assert eligibility[1].startswith("Règles à respecter : Ne signer aucun acte juridique")
        assert "avance de 30 %" in item["eligibility"]
        assert item["project_examples"] == ""
        assert item["funders"] == ["État (préfecture de la Marne)"]
        assert item["instructors"] == ["Préfecture de la Marne"]
        assert item["beneficiaries"] == ["commune", "epci"]
        assert item["aid_types"] == ["grant"] and item["destinations"] == ["investment"]
        assert item["recurrence"] == "recurring"
        assert item["themes"] == []
        assert item["perimeter"] == "DEP:51" and item["perimeter_label"] == "Marne"
        assert item["is_call_for_project"] is False and item["archived"] is False
        assert item["rate_comment"] == ""     # "30 %" and "2 ans" are not envelopes
        assert item["start_date"] == dt.date(2024, 11, 20)
        assert item["deadline"] == dt.date(2025, 1, 31)   # "au 31 janvier 2025 à 23h59"
        assert item["raw"]["template"] == "news" and item["raw"]["year"] == 2025


def test_perimeter_from_site_name_on_a_mirror():
    """Without a canonical link on a loopback copy, the préfecture's own name gives the département."""
    response = file_response(DSIL / LOT, MIRROR + LOT)
    response = response.replace(body=response.body.replace(b'rel="canonical"', b'rel="alternate"'))
    with time_machine.travel(dt.datetime(2025, 3, 1), tick=False):
        [item] = DsilSpider().parse(response)
    assert item["perimeter"] == "DEP:46"
    assert item["id"] == "dsil:46-dotation-de-soutien-a-l-investissement-local-dsil-r4442"
    assert item["url"] == MIRROR + LOT


def test_page_without_territory_is_skipped():
    html = (b"<html><head><meta charset='utf-8'></head><body><main><h1>La DSIL</h1>"
            b"<p>Les communes peuvent d\xc3\xa9poser.</p></main></body></html>")
    response = file_response(DSIL / LOT, "http://127.0.0.1:8765/page.html").replace(body=html)
    assert list(DsilSpider().parse(response)) == []
