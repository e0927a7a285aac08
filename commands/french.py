"""French for click's own words (« Usage: », « Show this message and exit. », usage errors).

click marks its messages for gettext but ships no French catalogue, and gettext only looks at
the process locale, which a user's shell (or CI) often leaves at C. So the few dozen messages a
user can meet are translated here and click's modules are pointed at this table. A message not
listed stays in English rather than failing.
"""
from __future__ import annotations

import importlib

MESSAGES = {
    "Usage:": "Utilisation :",
    "Options": "Options",
    "Commands": "Commandes",
    "Positional arguments": "Arguments",
    "Show this message and exit.": "Afficher cette aide et quitter.",
    "Show the version and exit.": "Afficher la version et quitter.",
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "Error: {message}": "Erreur : {message}",
    "Try '{command} {option}' for help.": "Essayez « {command} {option} » pour l'aide.",
    "Invalid value: {message}": "Valeur invalide : {message}",
    "Invalid value for {param_hint}: {message}": "Valeur invalide pour {param_hint} : {message}",
    "Missing argument": "Argument manquant",
    "Missing option": "Option manquante",
    "Missing parameter": "Paramètre manquant",
    "Missing command.": "Commande manquante.",
    "Missing {param_type}": "{param_type} manquant",
    "Missing parameter: {param_name}": "Paramètre manquant : {param_name}",
    "No such option {name!r}.": "Option inconnue : {name!r}.",
    "No such command {name!r}.": "Commande inconnue : {name!r}.",
    "Option {name!r} does not take a value.": "L'option {name!r} ne prend pas de valeur.",
    "Could not open file {filename!r}: {message}": "Impossible d'ouvrir le fichier {filename!r} : {message}",
    "unknown error": "erreur inconnue",
    "Aborted!": "Interrompu.",
    "default: {default}": "par défaut : {default}",
    "file": "fichier",  # click capitalises it: « Fichier '/tmp' est un dossier. »
    "directory": "dossier",
    "path": "chemin",
    "{name} {filename!r} does not exist.": "{name} {filename!r} introuvable.",
    "{name} {filename!r} is a file.": "{name} {filename!r} est un fichier.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} est un dossier.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} illisible.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} non modifiable.",
    "{value!r} is not a valid {number_type}.": "{value!r} n'est pas un {number_type} valide.",
    "{value} is not in the range {range}.": "{value} n'est pas dans l'intervalle {range}.",
    "integer": "entier",
    "float": "nombre",
    "Choose from:\n\t{choices}": "Choisir parmi :\n\t{choices}",
}
PLURALS = {
    "Did you mean {possibility}?": ("Vouliez-vous dire {possibility} ?", "(Vouliez-vous dire : {possibilities} ?)"),
    "Option {name!r} requires an argument.": ("L'option {name!r} attend une valeur.",
                                              "L'option {name!r} attend {nargs} valeurs."),
    "{value!r} is not {choice}.": ("{value!r} n'est pas {choice}.", "{value!r} ne fait pas partie de {choices}."),
    "{value!r} does not match the format {format}.": ("{value!r} ne respecte pas le format {format}.",
                                                      "{value!r} ne respecte aucun des formats {formats}."),
    "Got unexpected extra argument ({args})": ("Argument en trop : {args}", "Arguments en trop : {args}"),
    "Takes {nargs} values but 1 was given.": ("{nargs} valeurs attendues, 1 reçue.",
                                              "{nargs} valeurs attendues, {len} reçues."),
}
_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui")


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    if singular in PLURALS:
        return PLURALS[singular][0 if count == 1 else 1]
    return singular if count == 1 else plural


def install() -> None:
    """Point click's modules at the French table (idempotent)."""
    for name in _MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
