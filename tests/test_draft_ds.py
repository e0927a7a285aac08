"""`draft --format ds`: the national DETR/DSIL form's fields in its order, answered or « à compléter »."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json

import pytest
from click.testing import CliRunner

from aidenum.cli import cli
from aidenum.drafting.ds_form import answers, best_category, detr_categories, form, write_form
from aidenum.drafting.financing import Stated, build_plan
from aidenum.drafting.render import prepare
from draft_helpers import EXAMPLE_PLAN, example_plan, fact, local_dsil, store

TODAY = dt.date(2026, 11, 20)


def detr(**changes):
    return local_dsil(programmes=["DETR"], title="DETR 2027 (Côtes-d'Armor)", **changes)


def test_fields_in_the_form_order_with_prefilled_values():
    plan = example_plan()
    action = plan.action("A1")
    prepared = prepare(plan, action, [detr()], today=TODAY)
    items = answers(plan, action, [detr()], prepared.financing, prepared.context["_facts"])
    order = [f["label"] for f in form()["fields"]]
    position = -1
    for item in items:  # same order as the form (labels such as « Nom » occur twice)
        position = order.index(item.label, position + 1)
    by_label = {item.label: item for item in items}
    assert by_label["Nature du porteur de projet"].text == "EPCI à fiscalité propre"
    assert by_label["Code SIREN ou INSEE du demandeur -"].text == "200067460"
    assert by_label["Département ou collectivité du demandeur"].text == "22 - Côtes-d'Armor"
    assert by_label["Dispositif de financement sollicité"].text == "DETR"
    assert by_label["Coût total de l'opération (en euros HT)"].text == "185000"
    assert by_label["Date de commencement de l'opération"].text == "février 2027 (jour à préciser)"
    assert by_label["Intitulé du projet"].text.startswith("Déployer un guichet numérique")
    contracts = by_label["Contractualisation : le projet est-il inscrit dans un ou plusieurs contrats avec l'Etat ?"]
    assert contracts.status == "à compléter" and "CRTE" in contracts.text
    assert by_label["DSIL · Éligibilité de l'opération"].status == "sans objet"
    assert by_label["Montant de l'aide demandée (en euros)"].status == "à compléter"  # no rate anywhere
    assert all("TEST" not in item.label and all("TEST" not in o for o in item.options) for item in items)


def test_stated_rate_fills_the_amounts_and_the_category_is_quoted():
    plan = example_plan()
    action = plan.action("A6")  # France services: matches a Côtes-d'Armor priority category
    prepared = prepare(plan, action, [detr()], today=TODAY, stated=[Stated("DETR", rate=30)])
    items = {i.label: i for i in answers(plan, action, [detr()], prepared.financing, prepared.context["_facts"])}
    assert items["Montant de l'aide demandée (en euros)"].text == "48000"  # 30 % of 160 000
    assert items["dont DETR"].text == "48000" and items["dont DSIL"].status == "sans objet"
    category = items["DETR · Le projet s'inscrit-il dans une des catégories prioritaires définies par la "
                     "commission départementale d'élus ?"]
    assert category.text == ("Oui, à vérifier : « Les projets visant à maintenir et développer les services "
                             "publics notamment en milieu rural »")
    assert category.status == "à vérifier" and "à vérifier auprès de votre préfecture" in category.source


def test_categories_from_the_scheme_record_win_over_the_shipped_copy():
    record = detr(raw={"categories_prioritaires": [{"groupe": "NUMÉRIQUE", "categorie": "Guichets numériques"}]})
    assert detr_categories("22", record) == [("NUMÉRIQUE", "Guichets numériques")]
    assert len(detr_categories("22")) == 10 and detr_categories("2a")[0][1]
    ain = detr_categories("01")
    assert best_category("Déployer la vidéoprotection sur la voie publique", ain,
                         "Vidéo-protection des abords des écoles")[1].startswith("Vidéo-protection sur la voie publique")
    assert best_category("Ouvrir les données publiques", ain, "Ouvrir les données publiques") is None


def test_cli_writes_json_and_csv(tmp_path):
    store([detr(), fact("feder:feder-bzh-131")])
    out = tmp_path / "formulaire.json"
    result = CliRunner().invoke(cli, ["draft", str(EXAMPLE_PLAN), "-a", "A6", "-s", "dsil:dsil-lot", "--format", "ds",
                                      "--taux", "DETR=30", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Formulaire écrit" in result.output and "à compléter" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["collectivite"] == "Loudéac Communauté - Bretagne Centre" and data["action"] == "A6"
    fields = {f["libelle"]: f for f in data["champs"]}
    assert fields["Montant de l'aide demandée (en euros)"]["valeur"] == "48000"
    assert fields["Fonction du porteur de projet"]["choix"] == ["Maire", "Président de l'EPCI",
                                                                "Chef de circonscription de Wallis-et-Futuna"]
    raw = (tmp_path / "formulaire.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the accents right
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["Section", "Champ du formulaire", "Réponse", "Statut", "Source ou remarque"]
    assert len(rows) == len(data["champs"]) + 1
    assert ["Code SIREN ou INSEE du demandeur", "200067460"] == rows[3][1:3]
    again = CliRunner().invoke(cli, ["draft", str(EXAMPLE_PLAN), "-a", "A6", "-s", "dsil:dsil-lot", "--format", "ds",
                                     "-o", str(out)], catch_exceptions=False)
    assert again.exit_code == 1 and "existe déjà" in again.stderr


def test_commune_gets_its_insee_code_and_epci(tmp_path):
    plan = example_plan()
    commune = dataclasses.replace(plan.collectivite, nom="Loudéac", type="commune", code="22136",
                                  territory="COM:22136", population=None)
    other = dataclasses.replace(plan, collectivite=commune)
    written = write_form(other, other.action("A1"), [detr()], tmp_path / "f.json", today=TODAY)
    fields = {f["libelle"]: f for f in json.loads(written[0][0].read_text(encoding="utf-8"))["champs"]}
    assert fields["Code SIREN ou INSEE du demandeur"]["valeur"] == "22136"
    assert fields["Nature du porteur de projet"]["valeur"] == "Commune"
    assert fields["Fonction du porteur de projet"]["valeur"] == "Maire"
    assert fields["EPCI à fiscalité propre dont est membre la commune"]["valeur"] == \
        "200067460 - CC Loudéac Communauté - Bretagne Centre"
