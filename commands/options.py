"""Options that several commands take, declared once: same name, same type, same French help.

``--format`` speaks one vocabulary everywhere: ``texte`` (for a person, on the terminal), ``json``
(for another program), ``csv`` (a spreadsheet), ``html`` (a printable report or an e-mail) and
``markdown``. Each command offers the subset it can write. The names used before this vocabulary
(``table`` for match, search, list and eval, ``terminal`` for digest) are still accepted.
"""
from __future__ import annotations

import datetime as dt

import click

FORMAT_HELP = {
    "texte": "texte (terminal)",
    "json": "json (pour un autre programme)",
    "csv": "csv (tableur)",
    "html": "html (rapport imprimable)",
    "markdown": "markdown (wiki, messagerie)",
}
FORMAT_ALIASES = {"table": "texte", "terminal": "texte"}


class FormatChoice(click.Choice):
    """A ``--format`` value from the shared vocabulary; old names map to the new ones."""

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            value = FORMAT_ALIASES.get(value.lower(), value)
        return super().convert(value, param, ctx)


class DateType(click.ParamType):
    """AAAA-MM-JJ -> ``datetime.date``, with a French message for anything else."""

    name = "date"

    def get_metavar(self, param, ctx=None) -> str:
        return "AAAA-MM-JJ"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            # a usage error (exit code 2), like any other option value click refuses
            self.fail(f"date invalide « {value} » (attendu AAAA-MM-JJ, par ex. 2027-03-01)", param, ctx)


DATE = DateType()


def format_option(*formats: str, default: str = "texte"):
    """``--format`` restricted to ``formats`` (in the shared vocabulary), passed as ``fmt``."""
    unknown = [f for f in formats if f not in FORMAT_HELP]
    if unknown:
        raise ValueError(f"format hors vocabulaire : {', '.join(unknown)}")
    names = [FORMAT_HELP[f] for f in formats]
    help_text = (", ".join(names[:-1]) + " ou " + names[-1]) if len(names) > 1 else names[0]
    return click.option("--format", "fmt", type=FormatChoice(formats, case_sensitive=False), default=default, show_default=True,
                        help=help_text[0].upper() + help_text[1:] + ".")


def top_option(default: int, maximum: int, help: str = "Nombre de dispositifs proposés par action."):
    return click.option("--top", default=default, show_default=True, type=click.IntRange(1, maximum), help=help)


def output_option(help: str = "Écrire le résultat dans ce fichier.", metavar: str = "FICHIER",
                  required: bool = False, name: str = "output"):
    return click.option("-o", "--output", name, type=click.Path(dir_okay=False), metavar=metavar,
                        required=required, help=help)


def date_option(name: str = "date_", help: str = "Date de référence (par défaut : aujourd'hui).",
                flag: str = "--date"):
    """``--date AAAA-MM-JJ`` (or ``flag``) as a ``datetime.date``, None when absent."""
    return click.option(flag, name, type=DATE, help=help)


include_closed_option = click.option("--include-closed", is_flag=True,
                                     help="Montrer aussi les dispositifs clôturés.")


def reference_day(value: dt.date | None) -> dt.date:
    """The reference date of a command: ``--date`` when given, else today."""
    return value or dt.date.today()
