"""Shared click options (commands/options.py): one --format vocabulary, one date type."""
from __future__ import annotations

import json

import click
from click.testing import CliRunner

from aidenum.catalogue.store import Catalogue, upsert_all
from aidenum.catalogue.model import Scheme
from aidenum.cli import cli


def _formats(path):
    command = cli
    for name in path:
        command = command.commands[name]
    option = next(p for p in command.params if p.name == "fmt")
    return list(option.type.choices), option.default


def test_one_format_vocabulary_across_commands():
    offered = {" ".join(path): _formats(path) for path in (("match",), ("search",), ("eval",), ("digest",),
                                                            ("catalogue", "list"), ("catalogue", "show"))}
    for name, (choices, default) in offered.items():
        assert default == "texte" and choices[0] == "texte", name
        assert set(choices) <= {"texte", "json", "csv", "html", "markdown"}, name
    assert offered["match"][0] == offered["search"][0] == ["texte", "json", "csv", "html"]


def test_former_format_names_still_work():
    with Catalogue() as store:
        upsert_all(store, "at", [Scheme(id="at:1", source="at", title="Aide au numérique des communes")])
    runner = CliRunner()
    for value in ("table", "texte", "TEXTE"):
        result = runner.invoke(cli, ["catalogue", "list", "--format", value])
        assert result.exit_code == 0 and "at:1" in result.output and "1 dispositif(s)" in result.output, value
    assert json.loads(runner.invoke(cli, ["catalogue", "list", "--format", "json"]).output)[0]["id"] == "at:1"
    refused = runner.invoke(cli, ["catalogue", "list", "--format", "xml"])
    assert refused.exit_code == 2 and "xml" in refused.output


def test_match_and_search_share_their_options():
    def options(name):
        return {p.name: (p.opts, p.type.__class__, p.default) for p in cli.commands[name].params
                if isinstance(p, click.Option) and p.name != "help"}
    match, search = options("match"), options("search")
    for name in ("top", "fmt", "output", "include_closed", "date_"):
        assert match[name] == search[name], name


def test_every_date_option_reads_aaaa_mm_jj_in_french(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("collectivite: {nom: X, type: commune, code: '01053'}\nactions: []\n", encoding="utf-8")
    runner = CliRunner()
    for args in (["match", str(plan), "--date", "2027-02-30"], ["digest", str(plan), "--since", "hier"],
                 ["calendar", str(plan), "-o", str(tmp_path / "x.ics"), "--date", "31/01/2027"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2 and "date invalide" in result.output and "AAAA-MM-JJ" in result.output, args
        assert "Traceback" not in result.output
