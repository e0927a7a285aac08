"""`aidenum plan check`: what aidenum understood of a plan, or a French error."""
from __future__ import annotations

from click.testing import CliRunner

from aidenum.cli import cli
from conftest import ROOT


def test_plan_check_shows_collectivite_and_actions():
    result = CliRunner().invoke(cli, ["plan", "check", str(ROOT / "data" / "plans" / "plan-exemple.xlsx")])
    assert result.exit_code == 0, result.output
    assert "[EPCI:200067460]" in result.output
    assert "12 action(s), budget total 2\u202f270\u202f000 € HT" in result.output
    assert "A9" in result.output and "650\u202f000 €" in result.output and "2027-01 → 2028-12" in result.output


def test_plan_check_options_and_errors(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("id;titre;budget\nA1;Wifi public;64 000 €\nA1;Fibre;\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["plan", "check", str(path), "--type", "commune", "--code", "14762"])
    assert result.exit_code == 1
    assert "plan.csv, ligne 3 : identifiant d'action « A1 » en double" in result.output
    assert "Traceback" not in result.output
    path.write_text("id;titre;budget\nA1;Wifi public;64 000 €\n", encoding="utf-8")
    result = runner.invoke(cli, ["plan", "check", str(path), "--type", "commune", "--code", "14762"])
    assert result.exit_code == 0, result.output
    assert "Vire Normandie (commune)" in result.output and "64\u202f000 €" in result.output
    missing = runner.invoke(cli, ["plan", "check", str(path)])
    assert missing.exit_code == 1 and "collectivité absente" in missing.output
