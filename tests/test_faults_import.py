"""Fault matrix for what aidenum reads (issue 15, points 1, 5, 7, 9, 10): hostile plans and catalogue
imports, each run end to end in a subprocess. Every case asserts the exit code, a French message,
no Python traceback and, for imports, a catalogue left intact."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60  # seconds: a case that hangs (a FIFO, /dev/zero) fails instead of blocking the suite


def aidenum(*args: str, home: Path, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIDENUM_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=ROOT)


def assert_clean_failure(result: subprocess.CompletedProcess, message: str, code: int = 1) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert message in result.stderr, result.stderr


# -- plans (point 9) ---------------------------------------------------------------------------
HEAD = "collectivite: {nom: Loudéac Communauté, type: epci, code: '200067460'}\nactions:\n  - id: A1\n    titre: Wifi\n"


@pytest.mark.parametrize("body, message", [
    (HEAD + "    budget_ht: .inf\n", "champ « budget_ht » : montant non fini"),
    (HEAD + "    budget_ht: .nan\n", "champ « budget_ht » : montant non fini"),
    ("collectivite: {nom: X, type: commune, code: 1053}\nactions: [{id: A1, titre: T}]\n",
     "si le zéro initial a été perdu, écrivez « 01053 » entre guillemets"),
])
def test_hostile_yaml_plan(tmp_path, body, message):
    plan = tmp_path / "plan.yaml"
    plan.write_text(body, encoding="utf-8")
    assert_clean_failure(aidenum("plan", "check", plan, home=tmp_path), message)


def test_unquoted_octal_looking_code_is_read_as_written(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("collectivite: {nom: Bourg-en-Bresse, type: commune, code: 01053}\n"
                    "actions: [{id: A1, titre: T}]\n", encoding="utf-8")
    result = aidenum("plan", "check", plan, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[COM:01053]" in result.stdout


def test_xlsx_formula_without_value(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "titre", "budget_ht"])
    sheet.append(["A1", "Portail", "=12000*10"])
    workbook.save(tmp_path / "plan.xlsx")
    result = aidenum("plan", "check", tmp_path / "plan.xlsx", "--type", "epci", "--code", "200067460", home=tmp_path)
    assert_clean_failure(result, "formule sans valeur calculée (=12000*10) : ouvrez et enregistrez le fichier")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_plan_that_is_not_a_regular_file(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "plan.yaml"
        os.mkfifo(path)
    else:
        path = tmp_path / "zero.yaml"
        path.symlink_to("/dev/zero")
    assert_clean_failure(aidenum("plan", "check", path, home=tmp_path), "ce n'est pas un fichier ordinaire")
