"""Every command teaches in French, and click's own words are French too."""
import click
import pytest
from click.testing import CliRunner

from aidenum.cli import cli


def _all_commands(group: click.Group, path=()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*path, name))


COMMANDS = list(_all_commands(cli))


def test_the_command_tree_is_complete():
    names = {" ".join(path) for path, _ in COMMANDS}
    for expected in ("catalogue import", "catalogue export", "catalogue list", "catalogue show", "crawl",
                     "index", "match", "search", "draft", "digest", "calendar", "eval"):
        assert expected in names


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=lambda p: " ".join(p))
def test_every_command_has_french_help(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Utilisation :" in result.output
    assert "Afficher cette aide et quitter." in result.output
    assert "Show this message" not in result.output
    command = dict(COMMANDS)[path]
    assert command.help and len(command.help) > 20
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"option {param.opts} de « {' '.join(path)} » sans aide"


def test_usage_errors_are_french_with_exit_code_2():
    runner = CliRunner()
    missing = runner.invoke(cli, ["match"])
    assert missing.exit_code == 2 and "Argument manquant" in missing.output
    unknown = runner.invoke(cli, ["match", "plan.yaml", "--inconnue"])
    assert unknown.exit_code == 2 and "Option inconnue" in unknown.output
    bad_choice = runner.invoke(cli, ["match", "plan.yaml", "--format", "xml"])
    assert bad_choice.exit_code == 2 and "ne fait pas partie de" in bad_choice.output
    no_command = runner.invoke(cli, ["inexistante"])
    assert no_command.exit_code == 2 and "Commande inconnue" in no_command.output


def test_system_errors_are_french(tmp_path):
    runner = CliRunner()
    directory = runner.invoke(cli, ["catalogue", "import", str(tmp_path)])
    assert directory.exit_code == 2 and "est un dossier" in directory.output
    unwritable = runner.invoke(cli, ["catalogue", "export", "-o", str(tmp_path / "absent" / "x.jsonl")])
    assert unwritable.exit_code == 1 and "fichier ou dossier introuvable" in unwritable.output
    assert "No such file" not in unwritable.output
