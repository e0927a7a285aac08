"""`aidenum draft`: one action, several schemes, --all, and every bad input (French, exit codes)."""
from __future__ import annotations

import importlib.util

import pytest
from click.testing import CliRunner

from aidenum.cli import cli
from aidenum.drafting.check import check_docx
from draft_helpers import EXAMPLE_PLAN, all_facts, fact, local_dsil, open_generic, store


@pytest.fixture
def catalogue():
    store([local_dsil(rate_max=50.0), fact("feder:feder-bzh-131", rate_max=40.0),
           fact("bdt:bdt-long-term-loans"), open_generic()])


def run(*args):
    return CliRunner().invoke(cli, ["draft", *map(str, args)], catch_exceptions=False)


def test_help_teaches_in_french():
    result = run("--help")
    assert result.exit_code == 0
    assert "Rédiger le dossier de demande" in result.output and "--chef-de-file" in result.output
    assert "Afficher cette aide" in result.output and "Show this message" not in result.output


def test_one_action_several_schemes(catalogue, tmp_path):
    out = tmp_path / "dossier.docx"
    result = run(EXAMPLE_PLAN, "--action", "A1", "--scheme", "feder:feder-bzh-131", "--scheme", "dsil:dsil-lot",
                 "-o", out)
    assert result.exit_code == 0, result.output
    assert f"Dossier écrit : {out} (modèle FEDER" in result.output
    assert "dépassent le plafond" in result.stderr  # 40 % + 50 % > 80 %: warned and capped
    text = check_docx(out).replace("\u00a0", " ")
    assert "« Cofinancé par l'Union européenne »" in text
    assert "37 000,00 €" in text


def test_chef_de_file_option(catalogue, tmp_path):
    out = tmp_path / "d.docx"
    result = run(EXAMPLE_PLAN, "-a", "A1", "-s", "feder:feder-bzh-131", "-s", "dsil:dsil-lot", "-o", out,
                 "--chef-de-file")
    assert result.exit_code == 0
    text = check_docx(out).replace("\u00a0", " ")
    assert "55 500,00 €" in text and "30,00 %" in text  # 185 000 × 70 % = 129 500 = 74 000 + 55 500


def test_default_name_and_output_directory(catalogue, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(EXAMPLE_PLAN, "-a", "A1", "-s", "dsil:dsil-lot").exit_code == 0
    assert (tmp_path / "dossier-a1-dsil-dsil-lot.docx").is_file()
    (tmp_path / "sortie").mkdir()
    assert run(EXAMPLE_PLAN, "-a", "A2", "-s", "dsil:dsil-lot", "-o", tmp_path / "sortie").exit_code == 0
    check_docx(tmp_path / "sortie" / "dossier-a2-dsil-dsil-lot.docx")
    again = run(EXAMPLE_PLAN, "-a", "A1", "-s", "dsil:dsil-lot")
    assert again.exit_code == 1 and "existe déjà" in again.stderr and "--ecraser" in again.stderr
    assert run(EXAMPLE_PLAN, "-a", "A1", "-s", "dsil:dsil-lot", "--ecraser").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["-a", "A99", "-s", "dsil:dsil-lot"], "action « A99 » absente du plan (actions connues : A1, A2"),
    (["-a", "A1", "-s", "dsil:dsil-lo"], "dispositif « dsil:dsil-lo » absent du catalogue ; vouliez-vous dire : dsil:dsil-lot"),
    (["-s", "dsil:dsil-lot"], "indiquez --action"),
    (["-a", "A1", "-s", "dsil:dsil-lot", "--taux", "DSIL"], "écrivez FINANCEUR=VALEUR"),
    (["-a", "A1", "-s", "dsil:dsil-lot", "--taux", "DSIL=120"], "taux de DSIL hors de 0 à 100 %"),
    (["-a", "A1", "-s", "dsil:dsil-lot", "--format", "ds", "-o", "f.docx"], "indiquez un fichier .json"),
    (["-a", "A1", "-s", "bdt:bdt-long-term-loans", "--format", "ds"], "n'est pas une dotation DETR ou DSIL"),
    (["--all", "-a", "A1"], "ne le combinez pas avec --action"),
    (["-a", "A1", "-s", "dsil:dsil-lot", "-o", "dossier.pdf"], "le dossier doit être un fichier .docx"),
    (["-a", "A1", "-s", "dsil:dsil-lot", "--templates", "/nulle/part"], "dossier de modèles introuvable"),
])
def test_bad_inputs_exit_1_in_french(catalogue, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(EXAMPLE_PLAN, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Erreur : ") and message in result.stderr
    assert "Traceback" not in result.output
    assert not list(tmp_path.glob("*.docx"))


def test_empty_catalogue_and_missing_plan(tmp_path):
    result = run(EXAMPLE_PLAN, "-a", "A1", "-s", "dsil:dsil-lot")
    assert result.exit_code == 1 and "le catalogue est vide" in result.stderr
    result = run(tmp_path / "absent.yaml", "-a", "A1", "-s", "dsil:dsil-lot")
    assert result.exit_code == 1 and "fichier introuvable" in result.stderr


def test_plan_without_budget_or_calendar(catalogue, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("collectivite:\n  nom: Lamballe-Armor\n  type: commune\n  code: \"22093\"\n"
                    "actions:\n  - id: B1\n    titre: Wifi public & <accès> dans les médiathèques\n",
                    encoding="utf-8")
    out = tmp_path / "b1.docx"
    result = run(plan, "-a", "B1", "-s", "dsil:dsil-lot", "-o", out)
    assert result.exit_code == 0, result.output
    text = check_docx(out)
    assert "Wifi public & <accès> dans les médiathèques" in text
    assert "«\u00a0à compléter\u00a0: coût total HT de l'opération (budget absent du plan)\u00a0»" in text
    assert "☐ coût total HT de l'opération (budget absent du plan)" in text
    assert "Le conseil municipal de Lamballe-Armor" in text


@pytest.mark.skipif(importlib.util.find_spec("aidenum.matcher.engine") is None, reason="matcher.engine absent")
def test_all_actions_best_matches(tmp_path):
    store(all_facts())
    out = tmp_path / "dossiers"
    result = run(EXAMPLE_PLAN, "--all", "--top", "1", "-o", out)
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.docx"))
    written = int(result.output.strip().splitlines()[-1].split()[0])
    assert written == len(files) >= 6
    for path in files:
        assert path.name.isascii() and path.name.startswith("a")
        check_docx(path)
    again = run(EXAMPLE_PLAN, "--all", "-o", out)
    assert again.exit_code == 1 and f"{len(files)} dossier(s) non écrit(s)" in again.stderr
