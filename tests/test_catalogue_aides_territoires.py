"""Aides-territoires API records and CSV rows -> Scheme, checked on real records."""
from __future__ import annotations

import copy
import csv
import datetime as dt
import json

import pytest

from aidenum.catalogue.aides_territoires import (LICENCE, PERIMETER_NOT_GIVEN, perimeter_from_funders,
                                         scheme_from_api, scheme_from_csv_row)
from aidenum.catalogue.model import SchemeError
from tests.conftest import SHARED_DATA

AT = SHARED_DATA / "aides-territoires"


@pytest.fixture(scope="module")
def drome():
    return json.loads((AT / "feed-samples" / "departement_drome_data.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def csv_rows():
    with open(AT / "aides-territoires_periurbain.csv", encoding="utf-8", newline="") as handle:
        return {row["Lien"].rstrip("/").rsplit("/", 1)[1]: row for row in csv.DictReader(handle)}


def api_record(drome, aid_id):
    return copy.deepcopy(next(r for r in drome["results"] if r["id"] == aid_id))


# -- API ---------------------------------------------------------------------------------------

def test_drome_alimentation_de_proximite_field_by_field(drome, referential):
    scheme = scheme_from_api(api_record(drome, 162), referential)
    assert scheme.id == "at:162" and scheme.source == "at"
    assert scheme.title == "Développement d’une alimentation de proximité"
    assert scheme.beneficiaries == ["commune", "epci", "association", "private-person"]
    assert scheme.aid_types == ["technical-engineering"]
    assert scheme.recurrence == "ongoing"
    assert scheme.perimeter == "DEP:26" and scheme.perimeter_label == "Drôme"
    assert scheme.funders == ["Chambre d’agriculture de la Drôme"]
    assert scheme.themes == ["Alimentation"]
    assert scheme.url == "https://collectivites.ladrome.fr/service/developpement-dune-alimentation-de-proximite/"
    assert scheme.deadline is None and scheme.destinations == [] and scheme.steps == []
    assert scheme.licence == LICENCE
    assert scheme.raw["id"] == 162 and scheme.raw["perimeter"] == "Drôme"


def test_drome_html_is_cleaned(drome, referential):
    scheme = scheme_from_api(api_record(drome, 162), referential)
    assert "<" not in scheme.description and "&#8230;" not in scheme.description
    assert "OPÉRATIONS CONCERNÉES\nActions favorisant l’accès aux produits alimentaires" in scheme.description
    assert "producteurs…)" in scheme.description  # &#8230; decoded
    assert scheme.contact.startswith("Chambre d’Agriculture de la Drôme\nService Alimentation et Tourisme")
    assert "ina.croizet@drome.chambagri.fr" in scheme.contact


def test_drome_public_org_label(drome, referential):
    scheme = scheme_from_api(api_record(drome, 338), referential)
    assert scheme.beneficiaries == ["commune", "epci", "public-org"]
    assert scheme.funders == ["Conseil Départemental de la Drôme"]


def test_api_dates_rates_steps_and_lists(drome, referential):
    record = api_record(drome, 650)
    record.update(submission_deadline="2025-01-31", start_date="2024-11-20", subvention_rate="[10,80]",
                  subvention_comment="<p>Jusqu'à 80&nbsp;%</p>", mobilization_steps=["Réflexion / conception"],
                  destinations=["Dépenses d'investissement"], is_call_for_project=True,
                  categories=["Numérique / Inclusion numérique", "Numérique / Inclusion numérique"],
                  programs="Petites villes de demain", instructors=["Préfecture de la Drôme"],
                  perimeter_scale="Département")
    scheme = scheme_from_api(record, referential)
    assert (scheme.start_date, scheme.deadline) == (dt.date(2024, 11, 20), dt.date(2025, 1, 31))
    assert (scheme.rate_min, scheme.rate_max) == (10, 80)
    assert scheme.rate_comment == "Jusqu'à 80 %"
    assert scheme.steps == ["preop"] and scheme.destinations == ["investment"]
    assert scheme.is_call_for_project is True
    assert scheme.themes == ["Numérique / Inclusion numérique"]
    assert scheme.programmes == ["Petites villes de demain"] and scheme.instructors == ["Préfecture de la Drôme"]


@pytest.mark.parametrize("rate, expected", [
    ([20, 50], (20, 50)), ("[10,81)", (10, 80)), ({"lower": 5, "upper": 25}, (5, 25)), (None, (None, None)),
])
def test_api_rate_shapes(drome, referential, rate, expected):
    record = api_record(drome, 650)
    record["subvention_rate"] = rate
    scheme = scheme_from_api(record, referential)
    assert (scheme.rate_min, scheme.rate_max) == expected


def test_api_unknown_label_names_record_and_field(drome, referential):
    record = api_record(drome, 162)
    record["targeted_audiences"] = ["Communes", "Collectivités martiennes"]
    with pytest.raises(SchemeError) as caught:
        scheme_from_api(record, referential)
    assert caught.value.record == "at:162" and caught.value.field == "targeted_audiences"
    assert "Collectivités martiennes" in str(caught.value) and "valeur inconnue" in str(caught.value)


def test_api_unknown_territory(drome, referential):
    record = api_record(drome, 162)
    record["perimeter"] = "Atlantide"
    with pytest.raises(SchemeError) as caught:
        scheme_from_api(record, referential)
    assert caught.value.field == "perimeter" and "territoire inconnu" in str(caught.value)


def test_api_national_and_regional_perimeters(drome, referential):
    record = api_record(drome, 162)
    for name, code in (("France", "FR"), ("Europe", "EU"), ("Bretagne", "REG:53"), ("Auvergne-Rhône-Alpes", "REG:84")):
        record["perimeter"] = name
        assert scheme_from_api(record, referential).perimeter == code


@pytest.mark.parametrize("key, value, field", [
    ("submission_deadline", "31/01/2025", "submission_deadline"),
    ("recurrence", "Tous les jeudis", "recurrence"),
    ("subvention_rate", "beaucoup", "subvention_rate"),
    ("origin_url", "pas une adresse", "origin_url"),
    ("name", "", "title"),
])
def test_api_bad_fields(drome, referential, key, value, field):
    record = api_record(drome, 338)
    record[key] = value
    with pytest.raises(SchemeError) as caught:
        scheme_from_api(record, referential)
    assert caught.value.field == field


def test_api_huge_text_rejected(drome, referential):
    record = api_record(drome, 338)
    record["description"] = "Numérique " * 100_000
    with pytest.raises(SchemeError) as caught:
        scheme_from_api(record, referential)
    assert caught.value.field == "description" and "200 000" in str(caught.value)


# -- CSV ---------------------------------------------------------------------------------------

def test_csv_morbihan_cycling_row(csv_rows, referential):
    slug = "e342-copie-14h23-favoriser-laccessibilite-des-bati"
    scheme = scheme_from_csv_row(csv_rows[slug], 2, referential)
    assert scheme.id == f"at:{slug}"
    assert scheme.title.startswith("Accompagner et développer le maillage des liaisons et des équipements cyclables")
    assert scheme.funders == ["Conseil départemental du Morbihan"]
    assert scheme.beneficiaries == ["commune", "epci"]
    assert scheme.aid_types == ["grant", "financial-engineering"]
    assert scheme.recurrence == "ongoing" and scheme.is_call_for_project is False and scheme.deadline is None
    assert scheme.perimeter == "DEP:56" and "Morbihan" in scheme.perimeter_label
    assert scheme.description == ("Soutien financier en faveur du développement des itinéraires cyclables "
                                  "et de leurs équipements.")
    assert scheme.url == f"https://aides-territoires.beta.gouv.fr/aides/{slug}/"
    assert scheme.licence == LICENCE and scheme.raw["line"] == 2


def test_csv_call_for_projects_with_deadline(csv_rows, referential):
    scheme = scheme_from_csv_row(csv_rows["8660-copie-16h28-financer-un-projet-de-cooperation"],
                                 164, referential)
    assert scheme.title == "Financer un projet de coopération avec le Québec"
    assert scheme.is_call_for_project is True and scheme.recurrence == "oneoff"
    assert scheme.deadline == dt.date(2022, 12, 28)
    assert scheme.funders == ["Ministère de l'Europe et des Affaires étrangères"]
    assert scheme.perimeter == "FR" and scheme.perimeter_label == PERIMETER_NOT_GIVEN


def test_csv_several_funders_and_loans(csv_rows, referential):
    scheme = scheme_from_csv_row(csv_rows["1f44-financer-vos-budgets-dinvestissement"], 165, referential)
    assert scheme.funders == ["Agence France Locale (AFL)"]
    assert scheme.aid_types == ["loan", "financial-engineering"]
    multi = scheme_from_csv_row(csv_rows["496e-beneficier-dun-soutien-dans-vos-projets-dhabi"],
                                72, referential)
    assert multi.funders == ["Caisse nationale de solidarité pour l'autonomie (CNSA)", "Banque des Territoires",
                             "Agence nationale de la cohésion des territoires (ANCT)"]
    assert multi.deadline == dt.date(2022, 12, 31) and multi.perimeter == "FR"


def test_every_real_csv_row_converts(csv_rows, referential):
    schemes = [scheme_from_csv_row(row, 0, referential) for row in csv_rows.values()]
    assert len({s.id for s in schemes}) == 274
    assert sum(s.perimeter == "DEP:26" for s in schemes) >= 8  # the Drôme's own offers


@pytest.mark.parametrize("funders, code", [
    (["Conseil départemental du Morbihan"], "DEP:56"),
    (["Conseil régional d'Occitanie"], "REG:76"),
    (["Établissement public foncier d'Occitanie (EPF)"], "REG:76"),
    (["Agence technique départementale de Meurthe et Moselle (ATD 54)"], "DEP:54"),
    (["DDT du Tarn-et-Garonne"], "DEP:82"),
    (["Syndicat Départemental d'Energie de la Savoie (SDES73)"], "DEP:73"),
    (["ID77"], "DEP:77"),
    (["Établissement public foncier local de l'Oise et Aisne (EPFLO)"], "REG:32"),
    (["Agence nationale de la cohésion des territoires (ANCT)", "DDT du Puy-de-Dôme"], "DEP:63"),
    (["Agence d'Urbanisme de Rouen et des Boucles de Seine et Eure (AURBSE)"], "FR"),
    (["Alliance Intermétropolitaine Loire Bretagne"], "FR"),
    (["Banque des Territoires"], "FR"),
])
def test_perimeter_from_funders(referential, funders, code):
    assert perimeter_from_funders(funders, referential)[0] == code


@pytest.mark.parametrize("column, value, message", [
    ("Bénéficiaire", "Communes;Extraterrestres", "Extraterrestres"),
    ("Types d'aides", "Subvention;Chèque cadeau", "Chèque cadeau"),
    ("Récurrence", "Parfois", "Parfois"),
    ("Date Clôture", "31/02/2023", "31/02/2023"),
    ("AAP/AMI", "Peut-être", "Peut-être"),
    ("Lien", "https://example.org/aide", "lien d'aide"),
    ("Nom", "  ", "nom de l'aide manquant"),
])
def test_csv_bad_cells_name_the_column(csv_rows, referential, column, value, message):
    row = dict(csv_rows["e342-copie-14h23-favoriser-laccessibilite-des-bati"])
    row[column] = value
    with pytest.raises(SchemeError) as caught:
        scheme_from_csv_row(row, 7, referential)
    assert caught.value.field == column and message in str(caught.value)
