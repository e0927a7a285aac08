"""French for click's own words (« Utilisation : », « Afficher cette aide et quitter. », usage errors).

click marks its messages for gettext: each of its modules calls the ``gettext``/``ngettext``
functions it imported from the standard module, which pick the language from the environment
(``LANGUAGE``, ``LC_ALL``…) and ship no French. aidenum ships a French catalogue
(``commands/locale/fr/LC_MESSAGES/aidenum.po`` and its compiled ``.mo``) and binds those two names
in click's modules to it, whatever the user's locale. The process environment is left alone:
setting ``LANGUAGE`` would leak into every program aidenum or its tests start (``weekly.sh``,
LibreOffice), whose messages would change language.

Two things gettext cannot reach, done here with click's public API:
- headings (« Options », « Commandes ») get their colon from the help formatter: a formatter that
  writes the French « Options : » is set as each command's ``context_class.formatter_class``;
- type names in the usage (``TEXT``, ``INTEGER RANGE``, ``PATH``…) are click class attributes,
  never translated: an option without its own metavar gets the French one (``TEXTE``, ``ENTIER``…).
"""
from __future__ import annotations

import functools
import gettext
import sys

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
    """Make click's own words French (idempotent), without touching ``os.environ``.

    Must run before the command modules build their click types: ``click.Path`` translates
    its name (« fichier ») when it is constructed."""
    import click._termui_impl  # noqa: F401  (imported lazily by click: bind its words too)
    import click.shell_completion  # noqa: F401

    french = _catalogue()
    replacements = {"_": (gettext.gettext, french.gettext), "ngettext": (gettext.ngettext, french.ngettext)}
    for name, module in list(sys.modules.items()):
        if name != "click" and not name.startswith("click."):
            continue
        for attribute, (original, translated) in replacements.items():
            if getattr(module, attribute, None) is original:
                setattr(module, attribute, translated)


@functools.lru_cache(maxsize=1)
def _catalogue() -> gettext.NullTranslations:
    """aidenum's French catalogue (English, untranslated, if the .mo were missing from a broken install)."""
    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=["fr"], fallback=True)


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
