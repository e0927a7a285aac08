"""`aidenum laureats import|search` through click's CliRunner on the real excerpts."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from aidenum.catalogue.laureates import LaureateStore
from aidenum.cli import cli
from tests.conftest import SHARED_DATA

LAUREATES = SHARED_DATA / "laureates"
DGCL_2023 = LAUREATES / "dgcl-liste-projets-dotations-investissement-local-2023.csv"
DGCL_FILES = sorted(str(p) for p in LAUREATES.glob("dgcl-*.csv"))


@pytest.fixture
def runner():
    return CliRunner()


def stored(home) -> int:
    if not (home / "laureates.sqlite").exists():
        return 0
    with LaureateStore(home / "laureates.sqlite") as store:
        return store.count()


@pytest.fixture
def loaded(runner, aidenum_home):
    result = runner.invoke(cli, ["laureats", "import", *DGCL_FILES])
    assert result.exit_code == 1  # the excerpts hold real refused lines
    return aidenum_home


def test_import_reports_refused_lines_and_exits_1(runner, aidenum_home):
    result = runner.invoke(cli, ["laureats", "import", str(DGCL_2023)])
    assert result.exit_code == 1
    assert (f"refusé : {DGCL_2023.name}, ligne 97, champ « beneficiaire_dep » : département inconnu « nan »"
            in result.stderr)
    assert f"{DGCL_2023.name} : 93 projets importés, 2 ligne(s) refusée(s)" in result.stdout
    assert "Lauréats : 93 projets financés" in result.stdout
    assert "Erreur : des lignes ont été refusées (voir ci-dessus) ; les autres sont importées" in result.stderr
    assert "Traceback" not in result.output and stored(aidenum_home) == 93


def test_a_clean_file_exits_0_and_reimport_replaces(runner, aidenum_home):
    ods = str(LAUREATES / "anct_Projets_DI_2018.ods")
    first = runner.invoke(cli, ["laureats", "import", ods])
    assert first.exit_code == 0, first.output
    count = stored(aidenum_home)
    again = runner.invoke(cli, ["laureats", "import", ods])
    assert again.exit_code == 0 and f"{count} lignes précédentes remplacées" in again.stdout
    assert stored(aidenum_home) == count


def test_strict_writes_nothing(runner, aidenum_home):
    ods = str(LAUREATES / "anct_Projets_DI_2018.ods")
    result = runner.invoke(cli, ["laureats", "import", "--strict", ods, str(DGCL_2023)])
    assert result.exit_code == 1
    assert "Erreur : import strict : 2 ligne(s) refusée(s) ; rien n'a été écrit" in result.stderr
    assert "ligne 98, champ « taux »" in result.stderr
    assert stored(aidenum_home) == 0  # not even the clean ODS


def test_missing_and_unknown_files_are_french_errors(runner, aidenum_home, tmp_path):
    missing = runner.invoke(cli, ["laureats", "import", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 1 and "Erreur : fichier introuvable" in missing.stderr
    odd = tmp_path / "notes.txt"
    odd.write_text("bonjour\n", encoding="utf-8")
    unknown = runner.invoke(cli, ["laureats", "import", str(odd)])
    assert unknown.exit_code == 1 and "format non reconnu" in unknown.stderr
    assert "Traceback" not in missing.output + unknown.output
    assert runner.invoke(cli, ["laureats", "import"]).exit_code == 2  # usage error


def test_search_without_laureates_says_how_to_load_them(runner, aidenum_home):
    result = runner.invoke(cli, ["laureats", "search", "vidéoprotection"])
    assert result.exit_code == 1
    assert "aucun projet financé n'est chargé" in result.stderr and "aidenum laureats import" in result.stderr


def test_search_near_the_ain(runner, loaded):
    result = runner.invoke(cli, ["laureats", "search", "vidéoprotection", "--territoire", "Ain"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    projects = [line for line in lines if line.startswith("– ")]
    assert projects and all(" — DETR " in line or " — DSIL " in line for line in projects)
    # the territory counts: projects of the Ain's région come before those of elsewhere
    assert "même région" in projects[0] or "même département" in projects[0]
    assert "Projets financés : DGCL" in result.stdout  # licence credit


def test_search_json(runner, loaded):
    result = runner.invoke(cli, ["laureats", "search", "vidéoprotection", "--territoire", "departement:01",
                                 "--format", "json", "--top", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["territory"] == "DEP:01" and data["query"] == "vidéoprotection"
    assert len(data["similar_projects"]) == 3
    first = data["similar_projects"][0]
    assert {"title", "dispositif", "year", "place", "cost", "grant", "rate", "proximity"} <= set(first)
    assert "DETR" in data["funding_evidence"]
    assert data["funding_evidence"]["DETR"]["count"] >= 3


def test_search_by_commune_code_and_before_a_year(runner, loaded):
    result = runner.invoke(cli, ["laureats", "search", "vidéoprotection", "--territoire", "commune:01032",
                                 "--avant", "2023", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["territory"] == "COM:01032"
    assert data["similar_projects"] and all(p["year"] < 2023 for p in data["similar_projects"])


def test_search_errors_are_french(runner, loaded):
    unknown = runner.invoke(cli, ["laureats", "search", "vidéoprotection", "--territoire", "Atlantide"])
    assert unknown.exit_code == 1 and unknown.stderr.startswith("Erreur : ") and "Atlantide" in unknown.stderr
    empty = runner.invoke(cli, ["laureats", "search", "  "])
    assert empty.exit_code == 1 and "Erreur : texte de recherche vide" in empty.stderr
    bad_top = runner.invoke(cli, ["laureats", "search", "wifi", "--top", "0"])
    assert bad_top.exit_code == 2
    assert "Traceback" not in unknown.output + empty.output + bad_top.output


def test_help_teaches_in_french(runner):
    result = runner.invoke(cli, ["laureats", "search", "--help"])
    assert result.exit_code == 0
    assert "Exemples" in result.stdout and "--territoire Ain" in result.stdout
    imported = runner.invoke(cli, ["laureats", "import", "--help"])
    assert "réimporter remplace ses lignes" in imported.stdout.replace("\n", " ").lower()
