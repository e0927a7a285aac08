"""`aidenum match`, `search` and `index` through click's CliRunner, on a small real-shaped catalogue."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from aidenum.cli import cli
from tests.conftest import ROOT
from tests.matcher_helpers import fill_catalogue, plan_yaml


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def plan_file(aidenum_home, tmp_path):
    fill_catalogue(aidenum_home)
    return plan_yaml(tmp_path / "plan.yaml")


def test_match_json_contract(runner, plan_file):
    result = runner.invoke(cli, ["match", str(plan_file), "--format", "json", "--date", "2026-11-22"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["actions"]
    assert [a["id"] for a in data["actions"]] == ["A1", "A2", "A3"]
    first = data["actions"][0]
    assert first["titre"] == "Recruter deux conseillers numériques"
    match = first["matches"][0]
    assert {"rank", "scheme_id", "title", "url", "score", "deadline", "why"} <= set(match)
    assert match["rank"] == 1 and match["scheme_id"] == "bdt:cnfs"
    assert match["url"].startswith("https://") and isinstance(match["score"], float)
    assert match["deadline"] is None and isinstance(match["why"], list) and match["why"]
    video = data["actions"][1]["matches"][0]
    assert video["scheme_id"] == "at:fipd-video" and video["deadline"] == "2027-03-31"
    assert data["actions"][2]["matches"] == []          # the gymnasium roof: nothing related


def test_match_table_is_french_and_readable(runner, plan_file):
    result = runner.invoke(cli, ["match", str(plan_file), "--top", "1", "--date", "2026-11-22", "--exclusions"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Action A1 — Recruter deux conseillers numériques" in out
    assert "1. Conseiller numérique France Services (CnFS)" in out
    assert "Aucun dispositif accessible ne correspond à cette action." in out
    assert "Dispositifs écartés" in out and "exclue : territoire Nièvre" not in out.split("Action A2")[1]


def test_match_csv_and_html_files(runner, plan_file, tmp_path):
    out_csv = tmp_path / "r.csv"
    result = runner.invoke(cli, ["match", str(plan_file), "--format", "csv", "-o", str(out_csv), "--date", "2026-11-22"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8")), delimiter=";"))
    assert rows[0]["action_id"] == "A1" and rows[0]["dispositif_id"] == "bdt:cnfs"
    assert rows[0]["montant_max"] == "50000" and "Financeurs" in rows[0]["pourquoi"]
    out_html = tmp_path / "r.html"
    result = runner.invoke(cli, ["match", str(plan_file), "--format", "html", "-o", str(out_html),
                                 "--date", "2026-11-22"])
    assert result.exit_code == 0, result.output
    html = out_html.read_text(encoding="utf-8")
    assert html.count('<section class="action"') == 3
    assert '<a href="https://pqn-a.fr/' in html
    assert "Financements du plan numérique — Loudéac Communauté - Bretagne Centre" in html
    assert "Côtes-d&#39;Armor" in html            # escaped, not raw


def test_search_with_and_without_collectivite(runner, aidenum_home):
    fill_catalogue(aidenum_home)
    result = runner.invoke(cli, ["search", "guichet numérique des démarches", "--format", "json", "--date", "2026-11-22"])
    assert result.exit_code == 0, result.output
    ids = [m["scheme_id"] for m in json.loads(result.stdout)["actions"][0]["matches"]]
    assert "at:nievre-numerique" in ids
    result = runner.invoke(cli, ["search", "guichet numérique des démarches", "--pour", "epci:200067460",
                                 "--format", "json", "--date", "2026-11-22"])
    assert result.exit_code == 0, result.output
    ids = [m["scheme_id"] for m in json.loads(result.stdout)["actions"][0]["matches"]]
    assert "at:nievre-numerique" not in ids


def test_index_command_prints_count_and_rate(runner, aidenum_home):
    fill_catalogue(aidenum_home)
    result = runner.invoke(cli, ["index"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Index construit : 7 dispositifs en ")
    assert "dispositifs/s" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["match", "absent.yaml"], "fichier introuvable"),
    (["match", "{plan}", "--date", "22/11/2026"], "date invalide « 22/11/2026 »"),
    (["search", "x", "--pour", "ville:1"], "type de collectivité inconnu « ville »"),
    (["search", "x", "--pour", "commune"], "attendu TYPE:CODE"),
    (["search", "x", "--pour", "commune:99999"], "territoire inconnu"),
])
def test_bad_input_gives_french_error_without_traceback(runner, plan_file, args, message):
    args = [a.replace("{plan}", str(plan_file)) for a in args]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_empty_catalogue_is_explained(runner, tmp_path):
    result = runner.invoke(cli, ["match", str(plan_yaml(tmp_path / "p.yaml"))])
    assert result.exit_code == 1 and "catalogue" in result.output and "est vide" in result.output


def test_help_is_french_with_examples(runner):
    for command in ("match", "search", "index"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "Exemple" in result.output


def test_match_path_does_not_import_scrapy(plan_file, aidenum_home):
    code = ("import sys, cli\n"
            "try:\n    cli.cli(['match', sys.argv[1], '--format', 'json'])\n"
            "except SystemExit:\n    pass\n"
            "print('SCRAPY' if any(m == 'scrapy' or m.startswith('scrapy.') for m in sys.modules) else 'OK')")
    out = subprocess.run([sys.executable, "-c", code, str(plan_file)], cwd=ROOT, capture_output=True, text=True,
                         env={"AIDENUM_HOME": str(aidenum_home), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.stdout.strip().endswith("OK"), out.stderr[-2000:]


def test_reports_credit_aides_territoires_with_the_date_of_last_update(tmp_path):
    from click.testing import CliRunner

    from aidenum.catalogue.model import Scheme
    from aidenum.catalogue.store import Catalogue
    from aidenum.cli import cli
    with Catalogue() as cat, cat.run("at") as run:
        run.upsert(Scheme.from_dict({"id": "at:1", "source": "at", "title": "Déployer la vidéoprotection",
                                     "beneficiaries": ["commune"], "perimeter": "FR"}))
    runner = CliRunner()
    table = runner.invoke(cli, ["search", "vidéoprotection"])
    assert table.exit_code == 0, table.output
    assert "Données Aides-territoires (Licence Ouverte, https://aides-territoires.beta.gouv.fr), mises à jour le" in table.output
    page = tmp_path / "r.html"
    html = runner.invoke(cli, ["search", "vidéoprotection", "--format", "html", "-o", str(page)])
    assert html.exit_code == 0, html.output
    assert "mises à jour le" in page.read_text(encoding="utf-8")


def test_plan_without_locatable_territory_is_matched_unfiltered_with_a_french_warning(runner, aidenum_home, tmp_path):
    fill_catalogue(aidenum_home)
    plan = tmp_path / "plan.yaml"
    plan.write_text("collectivite: {nom: Syndicat mixte du numérique, type: syndicat mixte}\n"
                    "actions:\n  - id: A1\n    titre: Installer la vidéoprotection des bâtiments\n", encoding="utf-8")
    result = runner.invoke(cli, ["match", str(plan), "--format", "json", "--date", "2026-11-22"])
    assert result.exit_code == 0, result.output
    assert "Attention :" in result.stderr and "correspondance sans filtre territorial" in result.stderr
    ids = [m["scheme_id"] for m in json.loads(result.stdout)["actions"][0]["matches"]]
    assert "at:fipd-video" in ids          # a Côtes-d'Armor scheme: kept, since nothing says where
