"""Plan readers: YAML, CSV, XLSX, DOCX on real-shaped files, and every bad input."""
from __future__ import annotations

import datetime as dt
import importlib.util

import pytest

from conftest import ROOT
from aidenum.matcher.plans import PlanError, load_plan

PLANS = ROOT / "data" / "plans"
EXAMPLE = PLANS / "plan-exemple.yaml"


def _fields(plan):
    return [(a.id, a.titre, a.description, a.axe, a.budget_ht, a.debut, a.fin) for a in plan.actions]


def _make_formats():
    spec = importlib.util.spec_from_file_location("make_formats", PLANS / "make_formats.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path


# -- YAML ---------------------------------------------------------------------------------------
def test_example_plan_reads_with_resolved_territory():
    plan = load_plan(EXAMPLE)
    c = plan.collectivite
    assert (c.type, c.territory, c.departement, c.region) == ("epci", "EPCI:200067460", "22", "53")
    assert len(plan.actions) == 12
    assert len({a.id for a in plan.actions}) == 12
    a1 = plan.action("A1")
    assert a1.budget_ht == 185000 and (a1.debut, a1.fin) == ("2027-02", "2027-12")
    assert a1.axe == "Administration numérique"
    assert all(a.budget_ht and a.debut.startswith("2027") for a in plan.actions)


def test_yaml_fills_department_region_and_population_from_referential(tmp_path):
    path = write(tmp_path / "p.yaml", """
collectivite: {nom: Ruffec, type: commune, code: "16292", chef_de_file: oui}
actions:
  - {id: A1, titre: SIG communal, budget_ht: "72 000 € HT", calendrier: "de mars à décembre 2027"}
  - titre: Sauvegarde externalisée
    calendrier: {debut: 2027-01-15, fin: "T3 2027"}
    indicateur: nombre de postes sauvegardés
""")
    plan = load_plan(path)
    c = plan.collectivite
    assert (c.territory, c.departement, c.region, c.chef_de_file) == ("COM:16292", "16", "75", True)
    assert c.population and c.population > 1000
    first, second = plan.actions
    assert (first.budget_ht, first.debut, first.fin) == (72000, "2027-03", "2027-12")
    # an action without id gets its position; a YAML date and a quarter are read as months
    assert (second.id, second.debut, second.fin) == ("A2", "2027-01", "2027-09")
    assert second.extra == {"indicateur": "nombre de postes sauvegardés"}


def test_yaml_collectivite_by_name_and_by_departement(tmp_path):
    by_name = write(tmp_path / "a.yaml", "collectivite: {nom: Communauté de communes de la Dombes, type: epci}\n"
                                         "actions: [{id: A1, titre: Wifi public}]\n")
    assert load_plan(by_name).collectivite.territory == "EPCI:200069193"
    association = write(tmp_path / "b.yaml", "collectivite: {nom: Les Petits Débrouillards, type: association, "
                                             "departement: '35'}\nactions: [{id: A1, titre: Fablab mobile}]\n")
    assert load_plan(association).collectivite.territory == "DEP:35"


@pytest.mark.parametrize("body, expected", [
    ("collectivite: {nom: X, type: canton, code: '35238'}\nactions: [{id: A1, titre: T}]\n",
     "type de collectivité inconnu « canton »"),
    ("collectivite: {nom: X, type: epci, code: '200000000'}\nactions: [{id: A1, titre: T}]\n",
     "code territoire inconnu « 200000000 »"),
    ("collectivite: {nom: X, type: commune, code: '200067460'}\nactions: [{id: A1, titre: T}]\n",
     "pas une collectivité de type « commune »"),
    ("collectivite: {nom: X, type: epci, code: '200067460'}\nactions: []\n",
     "aucune action"),
    ("collectivite: {nom: X, type: epci, code: '200067460'}\nactions:\n  - id: A1\n    titre: Un\n"
     "  - id: A1\n    titre: Deux\n", "ligne 5, action n° 2 (A1) : identifiant d'action « A1 » en double"),
    ("collectivite: {nom: X, type: epci, code: '200067460'}\nactions:\n  - id: A1\n    titre: Un\n"
     "  - id: A2\n    description: sans titre\n", "ligne 5, action n° 2 (A2) : titre manquant"),
    ("collectivite: {nom: X, type: epci, code: '200067460'}\nactions:\n  - id: A1\n    titre: T\n"
     "    budget_ht: beaucoup\n", "montant illisible « beaucoup »"),
    ("collectivite: {nom: X, type: epci, code: '200067460'}\nactions:\n  - id: A1\n    titre: T\n"
     "    calendrier: {debut: '2027-09', fin: '2027-03'}\n", "la fin (2027-03) précède le début (2027-09)"),
    ("collectivite: {nom: X, type: epci, code: '200067460'}\nactions:\n  - id: A1\n    titre: T\n"
     "    calendrier: bientôt\n", "période illisible « bientôt »"),
    ("collectivite:\n  nom: [X\n  type: commune\nactions: []\n", "ligne 3, colonne 7 : YAML invalide"),
    ("actions: [{id: A1, titre: T}]\n", "collectivité absente"),
    ("", "fichier vide"),
])
def test_yaml_errors_are_french_and_located(tmp_path, body, expected):
    path = write(tmp_path / "plan.yaml", body)
    with pytest.raises(PlanError) as error:
        load_plan(path)
    assert expected in str(error.value)
    assert str(error.value).startswith("plan.yaml")


def test_yaml_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_bytes("collectivite:\n  nom: Loudéac\n".encode("cp1252"))
    with pytest.raises(PlanError, match=r"plan.yaml, ligne 2 : le fichier n'est pas encodé en UTF-8"):
        load_plan(path)


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(PlanError, match="format de plan non reconnu « .odt »"):
        load_plan(write(tmp_path / "plan.odt", "x"))
    with pytest.raises(PlanError, match="fichier introuvable"):
        load_plan(tmp_path / "absent.yaml")


# -- the four shipped formats --------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["csv", "xlsx", "docx"])
def test_shipped_formats_read_as_the_yaml_plan(suffix):
    reference = load_plan(EXAMPLE)
    plan = load_plan(PLANS / f"plan-exemple.{suffix}")
    assert plan.collectivite == reference.collectivite
    assert _fields(plan) == _fields(reference)


def test_make_formats_regenerates_identical_plans(tmp_path):
    written = _make_formats().main([str(EXAMPLE), "--out", str(tmp_path)])
    reference = _fields(load_plan(EXAMPLE))
    assert [p.suffix for p in written] == [".csv", ".xlsx", ".docx"]
    for path in written:
        assert _fields(load_plan(path)) == reference


# -- CSV ----------------------------------------------------------------------------------------
EXCEL_CSV = (
    "N°;Intitulé de l'action;Descriptif;Axe stratégique;Budget HT (€);Calendrier\r\n"
    "1;Créer un tiers-lieu numérique;Coworking et fablab à Loudéac;Économie;420 000 €;mars 2027 – juin 2028\r\n"
    "2;Équiper les écoles (ENT, TNI);Écrans numériques interactifs;Éducation;\"1 250 000,50\";2027\r\n"
    ";;;;;\r\n"
    "3;Sécurité informatique;;Administration;96 k€;\r\n")


def test_csv_excel_windows_1252_with_french_headers_and_options(tmp_path):
    path = write(tmp_path / "plan.csv", EXCEL_CSV, encoding="cp1252")
    plan = load_plan(path, collectivite_type="epci", collectivite_code="200067460")
    assert plan.collectivite.territory == "EPCI:200067460"
    assert plan.collectivite.nom == "CC Loudéac Communauté - Bretagne Centre"
    one, two, three = plan.actions
    assert (one.id, one.titre, one.budget_ht, one.debut, one.fin) == (
        "1", "Créer un tiers-lieu numérique", 420000, "2027-03", "2028-06")
    assert one.axe == "Économie"
    assert (two.titre, two.budget_ht, two.debut, two.fin) == ("Équiper les écoles (ENT, TNI)", 1250000.5,
                                                             "2027-01", "2027-12")
    assert (three.id, three.budget_ht, three.description) == ("3", 96000, "")


def test_csv_comment_header_gives_the_collectivite_and_options_override(tmp_path):
    path = write(tmp_path / "plan.csv",
                 "# Collectivité : Ruffec\n# Type : commune\n# Code : 16292\n"
                 "id,titre,budget_ht,debut,fin\nA1,SIG communal,72000,2027-03,2027-12\n")
    plan = load_plan(path)
    assert (plan.collectivite.nom, plan.collectivite.territory) == ("Ruffec", "COM:16292")
    assert plan.actions[0].budget_ht == 72000
    overridden = load_plan(path, collectivite_nom="Ville de Ruffec")
    assert overridden.collectivite.nom == "Ville de Ruffec"


@pytest.mark.parametrize("content, expected", [
    ("# type : epci\n# code : 200067460\nid;titre\nA1;Un\nA1;Deux\n",
     "ligne 5 : identifiant d'action « A1 » en double (déjà utilisé ligne 4)"),
    ("# type : epci\n# code : 200067460\nid;titre;budget\nA1;Un;10\nA2;;20\n", "ligne 5 (action A2) : titre manquant"),
    ("# type : epci\n# code : 200067460\nid;nom du projet;budget\nA1;Un;10\n",
     "colonne « titre » (ou « Intitulé ») introuvable ; colonnes lues : « id », « nom du projet », « budget »"),
    ("# type : epci\n# code : 200067460\nid;titre;budget\n", "aucune action"),
    ("# type : département\n# code : 99\nid;titre\nA1;Un\n", "code territoire inconnu « 99 »"),
    ("id;titre\nA1;Un\n", "collectivité absente"),
    ("# type : epci\n# code : 200067460\nid;titre\nA1;Mise Ã\xa0jour du rÃ©seau\n", "les accents sont abîmés"),
])
def test_csv_errors(tmp_path, content, expected):
    path = write(tmp_path / "plan.csv", content)
    with pytest.raises(PlanError) as error:
        load_plan(path)
    assert expected in str(error.value)


def test_csv_in_an_unknown_encoding_is_refused_with_its_line(tmp_path):
    path = tmp_path / "plan.csv"
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8
    path.write_bytes(b"# type : epci\n# code : 200067460\nid;titre\nA1;Caf\x81\n")
    with pytest.raises(PlanError, match=r"plan.csv, ligne 4 : encodage non reconnu"):
        load_plan(path)


# -- XLSX ---------------------------------------------------------------------------------------
def _workbook(path, with_info=True, header=("Réf.", "Intitulé", "Description", "Budget HT (€)", "Début", "Fin")):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Plan d'actions"
    sheet.append(["Plan numérique territorial 2027"])
    sheet.append(list(header))
    sheet.append(["A1", "Portail citoyen", "Démarches en ligne", 185000, dt.datetime(2027, 2, 1), "décembre 2027"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["A2", "Conseillers numériques", None, "110 000 €", "01/2027", None])
    if with_info:
        info = workbook.create_sheet("Collectivité")
        info.append(["Nom", "Vire Normandie"])
        info.append(["Type", "Commune"])
        info.append(["Code INSEE", 14762])
        info.append(["Population", "17 457 habitants"])
    workbook.save(path)
    return path


def test_xlsx_banner_row_header_sheet_and_typed_cells(tmp_path):
    plan = load_plan(_workbook(tmp_path / "plan.xlsx"))
    c = plan.collectivite
    assert (c.nom, c.type, c.territory, c.population, c.region) == ("Vire Normandie", "commune", "COM:14762",
                                                                    17457, "28")
    a1, a2 = plan.actions
    assert (a1.id, a1.budget_ht, a1.debut, a1.fin) == ("A1", 185000, "2027-02", "2027-12")
    assert (a2.titre, a2.budget_ht, a2.debut, a2.fin, a2.description) == (
        "Conseillers numériques", 110000, "2027-01", None, "")


def test_xlsx_collectivite_from_options_and_errors(tmp_path):
    path = _workbook(tmp_path / "plan.xlsx", with_info=False)
    plan = load_plan(path, collectivite_type="commune", collectivite_code="14762")
    assert plan.collectivite.nom == "Vire Normandie"
    with pytest.raises(PlanError, match="collectivité absente"):
        load_plan(path)
    with pytest.raises(PlanError, match="type de collectivité inconnu « mairie »"):
        load_plan(path, collectivite_type="mairie", collectivite_code="14762")
    bad = _workbook(tmp_path / "bad.xlsx", header=("Réf.", "Projet", "Description", "Budget", "Début", "Fin"))
    with pytest.raises(PlanError, match="colonne « titre » .* introuvable"):
        load_plan(bad, collectivite_type="commune", collectivite_code="14762")
    broken = write(tmp_path / "broken.xlsx", "pas un classeur")
    with pytest.raises(PlanError, match="broken.xlsx : classeur Excel illisible"):
        load_plan(broken)


def test_xlsx_row_without_title_names_sheet_and_row(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Actions"
    sheet.append(["id", "titre"])
    sheet.append(["A1", "Wifi public"])
    sheet.append(["A2", None])
    workbook.save(tmp_path / "plan.xlsx")
    with pytest.raises(PlanError, match=r"feuille « Actions », ligne 3 \(action A2\) : titre manquant"):
        load_plan(tmp_path / "plan.xlsx", collectivite_type="epci", collectivite_code="200067460")


# -- DOCX ---------------------------------------------------------------------------------------
def test_docx_headings_for_axes_and_actions(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Schéma numérique de la commune", level=0)
    document.add_paragraph("Collectivité : Provins")
    document.add_paragraph("Type : commune")
    document.add_paragraph("Code INSEE : 77379")
    document.add_paragraph("Ce schéma a été adopté par le conseil municipal.")
    document.add_heading("Axe 1 – Sécurité", level=1)
    document.add_heading("Action 1 : Étendre la vidéoprotection", level=2)
    document.add_paragraph("Nouvelles caméras dans la ville haute.")
    document.add_paragraph("Centre de supervision urbain.")
    document.add_paragraph("Budget : 210 000 € HT")
    document.add_paragraph("Calendrier : mai 2027 – décembre 2027")
    document.add_heading("Axe 2 : Culture", level=1)
    document.add_heading("Informatiser la médiathèque", level=2)
    document.add_paragraph("Coût prévisionnel : 45 k€")
    path = tmp_path / "schema.docx"
    document.save(path)

    plan = load_plan(path)
    assert plan.collectivite.territory == "COM:77379"
    first, second = plan.actions
    assert (first.id, first.titre, first.axe) == ("1", "Étendre la vidéoprotection", "Sécurité")
    assert first.description == "Nouvelles caméras dans la ville haute.\nCentre de supervision urbain."
    assert (first.budget_ht, first.debut, first.fin) == (210000, "2027-05", "2027-12")
    # a heading without a number gets its position as id
    assert (second.id, second.titre, second.axe, second.budget_ht) == ("A2", "Informatiser la médiathèque",
                                                                       "Culture", 45000)


def test_docx_table_of_actions_with_options(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Plan d'actions numérique 2027")
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, ("N°", "Intitulé", "Coût HT", "Période")):
        cell.text = text
    for values in (("1", "Wifi public", "64 000 €", "avril à octobre 2027"),
                   ("2", "Open data", "28 000 €", "06/2027 - 12/2027")):
        for cell, text in zip(table.add_row().cells, values):
            cell.text = text
    path = tmp_path / "tableau.docx"
    document.save(path)
    plan = load_plan(path, collectivite_type="epci", collectivite_code="200067460")
    assert [(a.id, a.titre, a.budget_ht, a.debut, a.fin) for a in plan.actions] == [
        ("1", "Wifi public", 64000, "2027-04", "2027-10"), ("2", "Open data", 28000, "2027-06", "2027-12")]


def test_docx_errors(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Collectivité : Provins")
    document.add_paragraph("Type : commune")
    document.add_paragraph("Notre ambition numérique.")
    empty = tmp_path / "vide.docx"
    document.save(empty)
    with pytest.raises(PlanError, match="vide.docx : le plan ne contient aucune action"):
        load_plan(empty)
    document.add_heading("A1 – Wifi", level=2)
    document.add_heading("A1 – Fibre", level=2)
    twice = tmp_path / "double.docx"
    document.save(twice)
    with pytest.raises(PlanError, match="identifiant d'action « A1 » en double"):
        load_plan(twice)
    with pytest.raises(PlanError, match="document Word illisible"):
        load_plan(write(tmp_path / "faux.docx", "texte"))


# -- stated funding (« financement », DESIGN.md plan contract) ----------------------------------
_HEAD = "collectivite: {nom: X, type: epci, code: '200067460'}\nactions:\n  - id: A1\n    titre: T\n"


def test_yaml_financement_lines_by_rate_and_amount(tmp_path):
    path = write(tmp_path / "plan.yaml", _HEAD + "    budget_ht: 120000\n    financement:\n"
                 "      - {financeur: DETR, taux: 30}\n      - {financeur: Région Bretagne, montant: 36000}\n"
                 "      - {financeur: FEDER, taux: '12,5 %'}\n")
    action = load_plan(path).actions[0]
    assert action.financement == [{"financeur": "DETR", "taux": 30.0, "montant": None},
                                  {"financeur": "Région Bretagne", "taux": None, "montant": 36000.0},
                                  {"financeur": "FEDER", "taux": 12.5, "montant": None}]
    assert "financement" not in action.extra


def test_csv_and_xlsx_financement_cell(tmp_path):
    from openpyxl import Workbook

    csv_path = write(tmp_path / "plan.csv", "# Collectivité : Vire Normandie\n# Type : commune\n# Code : 14762\n"
                     "Intitulé;Budget HT;Financement\n"
                     "Portail;185 000 €;DETR 30 % ; Région Normandie : 36 000 € ; FEDER\n")
    expected = [{"financeur": "DETR", "taux": 30.0, "montant": None},
                {"financeur": "Région Normandie", "taux": None, "montant": 36000.0},
                {"financeur": "FEDER", "taux": None, "montant": None}]
    # the « ; » of the cell are also the CSV separator: the cell is quoted as a spreadsheet writes it
    csv_path.write_text(csv_path.read_text().replace("DETR 30 % ; Région Normandie : 36 000 € ; FEDER",
                                                     '"DETR 30 % ; Région Normandie : 36 000 € ; FEDER"'))
    assert load_plan(csv_path).actions[0].financement == expected
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Intitulé", "Budget HT", "Plan de financement"])
    sheet.append(["Portail", 185000, "DETR 30 %\nRégion Normandie : 36 000 €\nFEDER"])
    workbook.save(tmp_path / "plan.xlsx")
    plan = load_plan(tmp_path / "plan.xlsx", collectivite_type="commune", collectivite_code="14762")
    assert plan.actions[0].financement == expected


@pytest.mark.parametrize("financement, expected", [
    ("\n      - {financeur: DETR, taux: 150}", "taux impossible « 150 »"),
    ("\n      - {financeur: DETR, part: 30}", "clé inconnue « part » (attendu : financeur, taux ou montant)"),
    ("\n      - {taux: 30}", "financeur manquant"),
    (" DETR 30", "« DETR 30 » : précisez « % » pour un taux ou « € » pour un montant"),
    ("\n      - {financeur: DETR, taux: 60}\n      - {financeur: Région, taux: 50}",
     "la somme des taux dépasse 100 % (110 %)"),
    ("\n      - {financeur: Région, montant: 200000}", "la somme des montants (200000 €) dépasse le budget"),
    ("\n      - {financeur: Région, montant: .inf}", "champ « montant » : montant non fini"),
])
def test_financement_errors_are_french_and_located(tmp_path, financement, expected):
    path = write(tmp_path / "plan.yaml", _HEAD + "    budget_ht: 120000\n    financement:" + financement + "\n")
    with pytest.raises(PlanError) as error:
        load_plan(path)
    assert expected in str(error.value)
    assert str(error.value).startswith("plan.yaml, ligne 3, action n° 1 (A1)")


# -- collectivité without a territory, groupings (issue 10, plan contracts) ----------------------
@pytest.mark.parametrize("collectivite, reason", [
    ("{nom: Saint-Denis, type: commune}", "territoire ambigu : « Saint-Denis » désigne 4 territoires"),
    ("{nom: Mairie annexe, type: association}", "territoire inconnu : « Mairie annexe »"),
    ("{type: commune}", "aucun territoire indiqué"),
    ("{nom: Syndicat mixte du Bugey, type: syndicat mixte, code: '250100391'}",
     "SIREN « 250100391 » absent du référentiel"),
])
def test_type_without_locatable_territory_is_accepted_with_a_warning(tmp_path, collectivite, reason):
    plan = load_plan(write(tmp_path / "plan.yaml", f"collectivite: {collectivite}\nactions: [{{id: A1, titre: T}}]\n"))
    assert plan.collectivite.territory is None and plan.collectivite.departement is None
    (warning,) = plan.warnings
    assert reason in warning and "correspondance sans filtre territorial" in warning


def test_ambiguous_name_resolves_within_its_departement(tmp_path):
    plan = load_plan(write(tmp_path / "plan.yaml", "collectivite: {nom: Saint-Denis, type: commune, departement: '93'}\n"
                                                 "actions: [{id: A1, titre: T}]\n"))
    assert (plan.collectivite.territory, plan.collectivite.region, plan.warnings) == ("COM:93066", "11", [])


@pytest.mark.parametrize("kind", ["syndicat intercommunal", "Syndicat mixte", "PETR", "pays",
                                  "Pôle d'équilibre territorial et rural", "SIVOM"])
def test_groupings_map_to_the_intercommunalites_audience(tmp_path, kind):
    plan = load_plan(write(tmp_path / "plan.yaml", f"collectivite: {{nom: Groupement, type: {kind}, departement: '52'}}\n"
                                                 "actions: [{id: A1, titre: T}]\n"))
    assert (plan.collectivite.type, plan.collectivite.territory, plan.warnings) == ("epci", "DEP:52", [])


def test_grouping_siren_known_to_the_referential_is_resolved(tmp_path):
    plan = load_plan(write(tmp_path / "plan.yaml", "collectivite: {nom: X, type: PETR, code: '200067460'}\n"
                                                 "actions: [{id: A1, titre: T}]\n"))
    assert (plan.collectivite.territory, plan.collectivite.departement) == ("EPCI:200067460", "22")


def test_nonexistent_code_is_still_an_error(tmp_path):
    with pytest.raises(PlanError, match="code territoire inconnu « 99999 »"):
        load_plan(write(tmp_path / "plan.yaml", "collectivite: {nom: X, type: commune, code: '99999'}\n"
                                                "actions: [{id: A1, titre: T}]\n"))
    with pytest.raises(PlanError, match="code département inconnu « 99 »"):
        load_plan(write(tmp_path / "plan.yaml", "collectivite: {nom: X, type: syndicat mixte, departement: '99'}\n"
                                                "actions: [{id: A1, titre: T}]\n"))


# -- hostile plans (issue 15, point 9) ------------------------------------------------------------
def test_xlsx_formula_without_computed_value_is_refused_not_dropped(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()          # openpyxl, like most programs, writes formulas without their results
    sheet = workbook.active
    sheet.title = "Actions"
    sheet.append(["id", "titre", "budget_ht"])
    sheet.append(["A1", "Wifi public", 12000])
    sheet.append(["A2", "Portail", "=B2*10"])
    workbook.save(tmp_path / "plan.xlsx")
    with pytest.raises(PlanError) as error:
        load_plan(tmp_path / "plan.xlsx", collectivite_type="epci", collectivite_code="200067460")
    assert str(error.value) == (
        "plan.xlsx, feuille « Actions », cellule C3 : formule sans valeur calculée (=B2*10) : ouvrez et "
        "enregistrez le fichier dans un tableur (Excel, LibreOffice) pour que les résultats y soient écrits")


def test_xlsx_formula_with_its_saved_result_is_read(tmp_path):
    import zipfile

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "titre", "budget_ht"])
    sheet.append(["A1", "Portail", "=10*12000"])
    workbook.save(tmp_path / "raw.xlsx")
    # what a spreadsheet does on save: the cached result <v> next to the formula <f>
    with zipfile.ZipFile(tmp_path / "raw.xlsx") as source, \
            zipfile.ZipFile(tmp_path / "plan.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>10*12000</f><v></v>", b"<f>10*12000</f><v>120000</v>")
                assert b"<v>120000</v>" in data
            target.writestr(item, data)
    plan = load_plan(tmp_path / "plan.xlsx", collectivite_type="epci", collectivite_code="200067460")
    assert plan.actions[0].budget_ht == 120000


def test_yaml_unquoted_leading_zero_code_is_read_as_written(tmp_path):
    plan = load_plan(write(tmp_path / "plan.yaml", "collectivite: {nom: Bourg-en-Bresse, type: commune, code: 01053, "
                                                 "departement: 01}\nactions: [{id: A1, titre: T}]\n"))
    c = plan.collectivite
    assert (c.code, c.territory, c.departement) == ("01053", "COM:01053", "01")


def test_code_that_lost_its_leading_zero_gets_a_hint(tmp_path):
    with pytest.raises(PlanError, match=r"code territoire inconnu « 1053 ».*écrivez « 01053 » entre guillemets"):
        load_plan(write(tmp_path / "plan.yaml", "collectivite: {nom: X, type: commune, code: 1053}\n"
                                                "actions: [{id: A1, titre: T}]\n"))


@pytest.mark.parametrize("field, value, expected", [
    ("budget_ht", ".inf", "champ « budget_ht » : montant non fini"),
    ("budget_ht", ".nan", "champ « budget_ht » : montant non fini"),
    ("budget_ht", "-.inf", "champ « budget_ht » : montant non fini"),
])
def test_yaml_non_finite_numbers_are_french_errors(tmp_path, field, value, expected):
    path = write(tmp_path / "plan.yaml", _HEAD + f"    {field}: {value}\n")
    with pytest.raises(PlanError, match=expected):
        load_plan(path)
    population = write(tmp_path / "pop.yaml", "collectivite: {nom: X, type: epci, code: '200067460', "
                                              "population: .inf}\nactions: [{id: A1, titre: T}]\n")
    with pytest.raises(PlanError, match="champ « population » : nombre non fini"):
        load_plan(population)
