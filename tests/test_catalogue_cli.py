"""`aidenum catalogue …` through click's CliRunner, on the real Aides-territoires files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from aidenum.catalogue.store import Catalogue
from aidenum.cli import cli
from tests.conftest import FILES, SHARED_DATA

AT = SHARED_DATA / "aides-territoires"
REAL_CSV = str(AT / "aides-territoires_periurbain.csv")
DROME = str(AT / "feed-samples" / "departement_drome_data.json")
MORBIHAN = "at:e342-copie-14h23-favoriser-laccessibilite-des-bati"


def run(*args):
    return CliRunner().invoke(cli, ["catalogue", *args])


@pytest.fixture
def loaded():
    result = run("import", REAL_CSV, DROME)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("command", ["import", "export", "list", "show", "runs"])
def test_every_command_has_french_help_with_examples(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Exemple" in result.output and "aidenum catalogue " + command in result.output
    assert "Afficher cette aide" in result.output and "Show this message" not in result.output


def test_group_help():
    result = run("--help")
    assert result.exit_code == 0 and "Gérer le catalogue" in result.output
    for command in ("import", "export", "list", "show", "runs"):
        assert command in result.output


def test_import_prints_a_french_summary_per_file(loaded):
    lines = loaded.output.splitlines()
    assert lines[0].startswith("aides-territoires_periurbain.csv (CSV Aides-territoires, 274 lu(s)) : 274 nouveau(x), "
                               "0 modifié(s), 0 inchangé(s), 0 clôturé(s), 0 rouvert(s), 0 rejeté(s)")
    assert lines[1].startswith("departement_drome_data.json (JSON de l'API Aides-territoires, 3 lu(s)) : 3 nouveau(x)")
    assert "Catalogue : 277 dispositif(s)" in loaded.output


def test_second_import_says_nothing_changed(loaded):
    result = run("import", REAL_CSV)
    assert result.exit_code == 0
    assert "0 nouveau(x), 0 modifié(s), 274 inchangé(s)" in result.output
    assert "rien n'a changé, ce fichier était déjà importé" in result.output


def test_import_cp1252_says_so():
    result = run("import", str(FILES / "catalogue" / "aides-territoires_cp1252.csv"))
    assert result.exit_code == 0 and "12 nouveau(x)" in result.output and "Windows-1252" in result.output


def test_rejected_records_exit_1_and_name_file_line_field(tmp_path):
    data = json.loads(Path(DROME).read_text(encoding="utf-8"))
    data["results"][1]["targeted_audiences"] = ["Communes", "Licornes"]
    path = tmp_path / "drome.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert "2 nouveau(x)" in result.output and "1 rejeté(s)" in result.output
    assert ("rejeté : drome.json, enregistrement n° 2 (ligne 1) : « at:338 », champ « targeted_audiences » : "
            "valeur inconnue « Licornes »") in result.output
    assert "Traceback" not in result.output


def test_refused_file_exit_1_and_catalogue_kept(loaded, tmp_path):
    empty = tmp_path / "vide.csv"
    empty.write_text("", encoding="utf-8")
    result = run("import", str(empty))
    assert result.exit_code == 1 and "vide.csv : REFUSÉ — fichier vide" in result.output
    assert "Catalogue : 277 dispositif(s)" in result.output


def test_missing_file():
    result = run("import", "/nulle/part.csv")
    assert result.exit_code == 1 and "fichier introuvable" in result.output


def test_strict_checks_every_file_before_writing(tmp_path):
    bad = tmp_path / "mauvais.csv"
    lines = Path(REAL_CSV).read_text(encoding="utf-8").splitlines(keepends=True)
    bad.write_text(lines[0] + lines[1].replace("Communes;", "Communes;Lutins;", 1), encoding="utf-8")
    result = run("import", "--strict", DROME, str(bad))
    assert result.exit_code == 1
    assert "Lutins" in result.output and "rien n'a été écrit" in result.output
    with Catalogue() as store:
        assert store.count() == 0


def test_complete_option_closes_missing(loaded):
    truncated = str(FILES / "catalogue" / "aides-territoires_cp1252.csv")
    refused = run("import", "--complete", truncated)   # would close 265 of 277: held back (issue 15.5)
    assert refused.exit_code == 1 and "0 clôturé(s)" in refused.output and "--forcer" in refused.output
    result = run("import", "--complete", "--forcer", truncated)
    assert result.exit_code == 0 and "265 clôturé(s)" in result.output  # 274 + 3 Drôme − 12 seen
    shown = run("show", "at:162")
    assert "Statut : clôturé" in shown.output


def test_list_filters_by_territory_beneficiary_and_funder(loaded):
    result = run("list", "--territoire", "Drôme", "--format", "json")
    ids = {item["id"] for item in json.loads(result.output)}
    assert {"at:162", "at:338", "at:650"} <= ids and MORBIHAN not in ids
    morbihan = {item["id"] for item in json.loads(run("list", "--territoire", "56", "--format", "json").output)}
    assert MORBIHAN in morbihan and "at:162" not in morbihan
    result = run("list", "--beneficiaire", "Associations", "--financeur", "drome", "--format", "json")
    items = json.loads(result.output)
    assert "at:162" in {i["id"] for i in items}
    assert all("association" in i["beneficiaries"] and any("drôme" in f.lower() for f in i["funders"]) for i in items)
    assert all("raw" not in item for item in items)


def test_list_table_and_limit(loaded):
    result = run("list", "--source", "at", "--limite", "5")
    lines = result.output.splitlines()
    assert lines[0].split() == ["IDENTIFIANT", "STATUT", "CLÔTURE", "PÉRIMÈTRE", "TITRE"]
    assert len(lines) == 8 and lines[-2] == "5 dispositif(s)"
    assert lines[-1].startswith("Données Aides-territoires : date non indiquée par la source")  # issue 12.3


def test_list_open_only_depends_on_today(loaded):
    quebec = "at:8660-copie-16h28-financer-un-projet-de-cooperation"
    with time_machine.travel("2022-12-01", tick=False):
        open_ids = {i["id"] for i in json.loads(run("list", "--ouverts", "--format", "json").output)}
        assert quebec in open_ids
    with time_machine.travel("2023-01-15", tick=False):
        result = run("list", "--ouverts", "--format", "json")
        open_ids = {i["id"] for i in json.loads(result.output)}
        assert quebec not in open_ids and MORBIHAN in open_ids


def test_list_errors_are_french(loaded):
    result = run("list", "--territoire", "Atlantide")
    assert result.exit_code == 1 and "territoire inconnu : « Atlantide »" in result.output
    result = run("list", "--beneficiaire", "martiens")
    assert result.exit_code == 1 and "bénéficiaire inconnu « martiens »" in result.output
    assert run("list", "--source", "dsil").output.strip() == "Aucun dispositif ne correspond."


def test_show_in_french_with_history(loaded, tmp_path):
    data = json.loads(Path(DROME).read_text(encoding="utf-8"))
    data["results"][0]["submission_deadline"] = "2031-06-30"
    changed = tmp_path / "drome.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert run("import", str(changed)).exit_code == 0
    result = run("show", "at:162")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("Développement d’une alimentation de proximité\n")
    assert "Bénéficiaires : Communes, Intercommunalités / Pays, Associations, Particuliers" in out
    assert "Types d'aide : Ingénierie technique" in out and "Récurrence : Permanente" in out
    assert "Périmètre : DEP:26 — Drôme" in out and "Date limite : 30/06/2031" in out
    assert "Historique (2 version(s))" in out and "champs modifiés : Date limite" in out
    as_json = json.loads(run("show", "at:162", "--format", "json").output)
    assert as_json["perimeter"] == "DEP:26" and len(as_json["versions"]) == 2


def test_show_unknown_id():
    result = run("show", "at:999999")
    assert result.exit_code == 1 and "dispositif inconnu : « at:999999 »" in result.output


def test_export_to_file_then_reimport_elsewhere(loaded, tmp_path, monkeypatch):
    out = tmp_path / "export.jsonl"
    result = run("export", "-o", str(out), "--territoire", "Drôme")
    assert result.exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == int(result.output.split()[0]) and not (tmp_path / "export.jsonl.partiel").exists()
    assert {"at:162", "at:338", "at:650"} <= {json.loads(line)["id"] for line in lines}
    monkeypatch.setenv("AIDENUM_HOME", str(tmp_path / "autre"))
    result = run("import", str(out))
    assert result.exit_code == 0 and f"{len(lines)} nouveau(x)" in result.output
    assert run("show", "at:162").output.splitlines()[0] == "Développement d’une alimentation de proximité"


def test_export_to_stdout():
    run("import", DROME)
    result = CliRunner().invoke(cli, ["catalogue", "export", "--source", "at"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["at:162", "at:338", "at:650"]


def test_runs_lists_imports(loaded):
    run("import", DROME)
    lines = run("runs").output.splitlines()
    assert len(lines) == 3
    assert "aides-territoires_periurbain.csv : 274 nouveau(x)" in lines[0]
    assert "departement_drome_data.json : 0 nouveau(x), 0 modifié(s), 3 inchangé(s)" in lines[2]
