"""click's own words in French through aidenum's gettext catalogue (commands/locale), bound to click's
messages without setting LANGUAGE in the process environment."""
from __future__ import annotations

import ast
import gettext
import os
import re
import subprocess
import sys

import click
import click.core
import pytest
from click.testing import CliRunner

from aidenum.cli import cli
from aidenum.commands import french

PO = french.LOCALE_DIR / "fr" / "LC_MESSAGES" / "aidenum.po"
MO = PO.with_suffix(".mo")
ENGLISH = re.compile(r"Options:|Commands:|Usage:|\[required\]|default:|\b(TEXT|INTEGER|FLOAT|PATH|FILENAME|"
                     r"DIRECTORY|BOOLEAN|RANGE)\b|Show this message")


def _po_entries(text: str) -> dict[str, list[str]]:
    """msgid -> msgstr(s) of a .po file (enough of the format for our own catalogue)."""
    entries, current, key = {}, {}, None

    def unquote(line):
        return ast.literal_eval(line[line.index('"'):])  # .po escapes (\\n, \\t, \\") are Python's

    for line in text.splitlines() + [""]:
        if not line.strip() or line.startswith("#"):
            if current.get("msgid") is not None and current["msgid"] != "":
                entries[current["msgid"]] = [current[k] for k in sorted(current) if k.startswith("msgstr")]
            if not line.strip():
                current, key = {}, None
            continue
        match = re.match(r'(msgid_plural|msgid|msgstr(?:\[\d\])?)\s+"', line)
        if match:
            key = match.group(1)
            current[key] = unquote(line)
        elif line.startswith('"') and key:
            current[key] += unquote(line)
    return entries


def test_compiled_catalogue_matches_its_source():
    with MO.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    entries = _po_entries(PO.read_text(encoding="utf-8"))
    assert len(entries) >= 65  # every message of click 8.x a user can meet
    for msgid, msgstrs in entries.items():
        assert translations.gettext(msgid) == msgstrs[0], f"{msgid!r}: run « make locale »"
        if len(msgstrs) == 2:
            assert translations.ngettext(msgid, "x", 2) == msgstrs[1]


def test_click_speaks_french_from_the_catalogue_without_touching_the_environment(tmp_path):
    # click's messages go through the shipped catalogue, not through strings written in aidenum
    assert click.core._("Missing argument") == "Argument manquant"
    assert click.core.ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})",
                               2) == "Arguments en trop : {args}"
    assert gettext.gettext("Missing argument") == "Missing argument"  # the standard module is left as it is
    # nothing leaks to the programs aidenum starts (weekly.sh, LibreOffice): their own messages keep their language
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    probe = ("import os, subprocess, sys; import aidenum.cli; "
             "print(os.environ.get('LANGUAGE')); "
             "print(subprocess.run([sys.executable, '-c', 'import os; print(os.environ.get(\\'LANGUAGE\\'))'], "
             "capture_output=True, text=True).stdout.strip())")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            env=dict(env, AIDENUM_HOME=str(tmp_path)), cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "None"]


def _commands(group, path=()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


@pytest.mark.parametrize("path", [()] + list(_commands(cli)), ids=lambda p: " ".join(p) or "aidenum")
def test_no_english_left_in_help(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert not ENGLISH.search(result.output), f"{ENGLISH.search(result.output)} in aidenum {' '.join(path)} --help"
    assert "Options :" in result.output and "Utilisation :" in result.output


def test_required_options_say_obligatoire():
    out = CliRunner().invoke(cli, ["calendar", "--help"]).output
    assert "FICHIER.ics" in out and "[obligatoire]" in out


@pytest.mark.parametrize("environment", [{"LANG": "C", "LC_ALL": "C"}, {"LANG": "en_US.UTF-8", "LANGUAGE": "en"},
                                         {"LANGUAGE": "fr_FR:en"}])
def test_french_whatever_the_locale(environment, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update(environment, AIDENUM_HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "aidenum.cli", "match", "--top", "0", "plan.yaml"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "Erreur : Valeur invalide pour '--top' : 0 n'est pas dans l'intervalle 1<=x<=200." in result.stderr
    assert "Utilisation : aidenum match" in result.stderr or "Utilisation : python -m aidenum.cli" in result.stderr
