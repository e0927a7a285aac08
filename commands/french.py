"""French for click's own words (« Utilisation : », « Afficher cette aide et quitter. », usage errors).

click marks its messages for gettext, calling the module-level ``gettext.gettext``/``ngettext``
of the process's current text domain, but ships no French catalogue. aidenum ships one
(``commands/locale/fr/LC_MESSAGES/aidenum.po`` and its compiled ``.mo``), binds it as the text
domain and asks gettext for French first: gettext reads the language from ``LANGUAGE`` before
the locale, and a user's shell (or CI) often leaves the locale at C, so aidenum puts ``fr`` at
the head of ``LANGUAGE`` for its own process. Every word aidenum prints is French anyway.

Two things gettext cannot reach, done here with click's public API:
- headings (« Options », « Commandes ») get their colon from the help formatter: a formatter that
  writes the French « Options : » is set as each command's ``context_class.formatter_class``;
- type names in the usage (``TEXT``, ``INTEGER RANGE``, ``PATH``…) are click class attributes,
  never translated: an option without its own metavar gets the French one (``TEXTE``, ``ENTIER``…).
"""
from __future__ import annotations

import gettext
import os

import click

from aidenum.catalogue.paths import shipped

DOMAIN = "aidenum"
LOCALE_DIR = shipped("commands", "locale")

# click type name -> metavar shown in --help
TYPE_METAVARS = {
    "text": "TEXTE", "integer": "ENTIER", "integer range": "ENTIER", "float": "NOMBRE",
    "float range": "NOMBRE", "boolean": "OUI|NON", "uuid": "UUID", "filename": "FICHIER",
    "file": "FICHIER", "directory": "DOSSIER", "path": "CHEMIN", "datetime": "DATE",
    "fichier": "FICHIER", "dossier": "DOSSIER", "chemin": "CHEMIN",
}


def install() -> None:
    """Bind aidenum's catalogue as gettext's text domain, French first (idempotent).

    Must run before the command modules build their click types: ``click.Path`` translates
    its name (« fichier ») when it is constructed."""
    languages = os.environ.get("LANGUAGE", "")
    if not languages.startswith("fr"):
        os.environ["LANGUAGE"] = "fr" + (f":{languages}" if languages else "")
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)


class FrenchHelpFormatter(click.HelpFormatter):
    """« Options : » with the French space before the colon."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading} :\n")


class FrenchContext(click.Context):
    formatter_class = FrenchHelpFormatter


def localise(command: click.Command) -> None:
    """French help for ``command`` and everything under it: formatter and type metavars."""
    command.context_class = FrenchContext
    for param in command.params:
        if isinstance(param, click.Option) and param.metavar is None and not param.is_flag:
            name = getattr(param.type, "name", "")
            if name in TYPE_METAVARS:
                param.metavar = TYPE_METAVARS[name]
    for sub in getattr(command, "commands", {}).values():
        localise(sub)
