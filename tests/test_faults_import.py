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


# -- catalogue imports (points 1, 5, 7, 10) ------------------------------------------------------
import json  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402

FILES = Path(__file__).resolve().parent / "files"
API_PAGE = FILES / "aides_territoires" / "aids-page-1.json"   # two real API records (see its README)


def scheme_line(number: int, **fields) -> str:
    record = {"id": f"import:s{number}", "source": "import", "title": f"Dispositif numéro {number}",
              "url": f"https://example.gouv.fr/aides/{number}", "beneficiaries": ["commune"],
              "perimeter": "FR", **fields}
    return json.dumps(record, ensure_ascii=False)


@pytest.fixture
def home(tmp_path):
    """A catalogue holding eight good schemes of source « import »."""
    home = tmp_path / "home"
    home.mkdir()
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(scheme_line(n) for n in range(1, 9)) + "\n", encoding="utf-8")
    result = aidenum("catalogue", "import", good, home=home)
    assert result.returncode == 0, result.stderr
    return home


def rows(home: Path) -> list[tuple]:
    with sqlite3.connect(home / "catalogue.sqlite") as db:
        return db.execute("SELECT id, content_hash, closed_at, data FROM schemes ORDER BY id").fetchall()


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_readable(home: Path, count: int) -> None:
    """list, index and search still work on the catalogue."""
    listed = aidenum("catalogue", "list", "--format", "json", home=home)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert len(json.loads(listed.stdout)) == count
    indexed = aidenum("index", home=home)
    assert indexed.returncode == 0 and "Traceback" not in indexed.stderr, indexed.stderr
    found = aidenum("search", "dispositif numéro", "--format", "json", home=home)
    assert found.returncode == 0 and "Traceback" not in found.stderr, found.stderr


@pytest.mark.parametrize("bad, field, message", [
    ('{"id": "import:nan", "source": "import", "title": "T", "rate_max": NaN}', "rate_max",
     "nombre fini attendu, reçu « nan »"),
    ('{"id": "import:inf", "source": "import", "title": "T", "amount_max": Infinity}', "amount_max",
     "nombre fini attendu, reçu « inf »"),
    ('{"id": "import:raw", "source": "import", "title": "T", "raw": {"x": -Infinity}}', "raw",
     "valeur non finie (NaN ou infini)"),
    ('{"id": "import:fs", "source": "import", "title": "T", "first_seen": {"a": 1}}', "first_seen",
     "date et heure attendues"),
    ('{"id": "import:ca", "source": "import", "title": "T", "closed_at": [1, 2]}', "closed_at",
     "date et heure attendues"),
    ('{"id": "import:fl", "source": "import", "title": "T", "archived": "oui"}', "archived",
     "true ou false attendu"),
    ("[" * 100_000, "*", "JSON trop imbriqué"),
    ('{"id": 5, "source": "import", "title": "T"}', "id", "identifiant attendu"),
    ('{"id": "import:su", "source": "import", "title": "T \\ud800 x"}', "title",
     "caractère invalide (« \\ud800 », une moitié de paire UTF-16 seule)"),
])
def test_bad_jsonl_record_is_reported_and_skipped(home, tmp_path, bad, field, message):
    before = rows(home)
    path = write_lines(tmp_path / "bad.jsonl", scheme_line(20), bad, scheme_line(21))
    result = aidenum("catalogue", "import", path, home=home)
    assert_clean_failure(result, f"rejeté : bad.jsonl, ligne 2 : ")
    assert f"champ « {field} » : {message}" in result.stderr
    assert "2 nouveau(x)" in result.stdout
    after = rows(home)
    assert [r for r in after if r[0] not in ("import:s20", "import:s21")] == before
    assert_readable(home, 10)


def test_api_rate_bound_nan_is_refused_per_record(home, tmp_path):
    page = json.loads(API_PAGE.read_text(encoding="utf-8"))
    first, second = page["results"]
    first["subvention_rate_upper_bound"] = "nan"
    second["subvention_rate"] = "[nan, 50)"
    page["results"].append({**second, "id": 99162, "subvention_rate": None, "subvention_rate_upper_bound": None})
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    result = aidenum("catalogue", "import", path, home=home)
    assert_clean_failure(result, "champ « subvention_rate » : nombre fini attendu, reçu « nan »")
    assert "fourchette de taux illisible « [nan, 50) »" in result.stderr
    assert "1 nouveau(x)" in result.stdout and "2 rejeté(s)" in result.stdout
    assert_readable(home, 9)


def test_bad_value_already_stored_is_skipped_named_and_warned(home):
    with sqlite3.connect(home / "catalogue.sqlite") as db:   # a catalogue written by an older version
        db.execute("UPDATE schemes SET data = replace(data, '\"rate_max\": null', '\"rate_max\": NaN') "
                   "WHERE id='import:s3'")
        db.execute("UPDATE schemes SET data = '{\"id\": \"import:s4\", \"title\": ' WHERE id='import:s4'")
    listed = aidenum("catalogue", "list", home=home)
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    assert "dispositif « import:s3 » illisible dans le catalogue" in listed.stderr
    assert "dispositif « import:s4 » illisible dans le catalogue (JSON mal formé" in listed.stderr
    assert "6 dispositif(s)" in listed.stdout
    assert_readable(home, 6)


def test_complete_import_of_a_truncated_file_closes_nothing_without_forcer(home, tmp_path):
    before = rows(home)
    truncated = write_lines(tmp_path / "truncated.jsonl", scheme_line(1), scheme_line(2))
    result = aidenum("catalogue", "import", "--complete", truncated, home=home)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "0 clôturé(s)" in result.stdout and "6 fiches sur 8 auraient disparu d'un coup" in result.stdout
    assert "--forcer" in result.stdout
    assert [r[:3] for r in rows(home)] == [r[:3] for r in before]
    forced = aidenum("catalogue", "import", "--complete", "--forcer", truncated, home=home)
    assert forced.returncode == 0 and "6 clôturé(s)" in forced.stdout
    assert sum(1 for r in rows(home) if r[2]) == 6 and len(rows(home)) == 8   # closed, never deleted


def test_control_characters_are_stripped_at_import(home, tmp_path):
    path = write_lines(tmp_path / "ctl.jsonl", scheme_line(
        30, title="Wifi\u0000 public \u001b[31mrouge\u001b[0m\u0007", description="ligne 1\nligne\u0085 2\tfin",
        funders=["Région\u001b]0;titre\u0007 Bretagne"]))
    result = aidenum("catalogue", "import", path, home=home)
    assert result.returncode == 0, result.stderr
    shown = aidenum("catalogue", "show", "import:s30", "--format", "json", home=home)
    scheme = json.loads(shown.stdout)
    assert scheme["title"] == "Wifi public rouge"
    assert scheme["description"] == "ligne 1\nligne 2\tfin"
    assert scheme["funders"] == ["Région Bretagne"]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_import_file_that_is_not_a_regular_file(home, tmp_path, kind):
    before = rows(home)
    path = tmp_path / "input.jsonl"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    result = aidenum("catalogue", "import", path, home=home, timeout=30)
    assert_clean_failure(result, "ce n'est pas un fichier ordinaire")
    assert rows(home) == before
