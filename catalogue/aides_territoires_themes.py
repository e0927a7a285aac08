"""Aides-territoires categories: « <Thème> / <Catégorie> » split into the theme and the category.

The API writes each category of an aid as « Thème / Catégorie », and 7 of its 9 theme names
themselves contain « / » (« Urbanisme / logement / aménagement »), as do some categories
(« Cours d'eau / canaux / plans d'eau »): no split on the first or the last « / » is right for
every value. The theme is therefore recognised by its known name; the old Django API wrote
« Thème|Catégorie ». A value that starts with no known theme is kept whole.

THEMES are the 9 theme names of ``/api/themes/`` as dumped in 2023 (``themes_2023.json`` of the
Aides-territoires data, copied in ``tests/files/aides_territoires/`` where a test checks them).
"""
from __future__ import annotations

THEMES = (
    "Eau et milieux aquatiques",
    "Culture et identité collective / patrimoine / sports",
    "Nature / environnement",
    "Urbanisme / logement / aménagement",
    "Énergies / Déchets",
    "Solidarités / lien social",
    "Développement économique / production et consommation",
    "Mobilité / transports",
    "Fonctions support",
)
# longest first, so that a theme whose name begins another's can never win by accident
_BY_LENGTH = sorted(THEMES, key=len, reverse=True)


def split_category(value: str) -> tuple[str, str]:
    """(theme, category) of one API value; ("", value) when no known theme starts it."""
    value = value.strip()
    if "|" in value:
        theme, _, category = value.partition("|")
        return theme.strip(), category.strip()
    for theme in _BY_LENGTH:
        if value.startswith(theme + " / "):
            return theme, value[len(theme) + 3:].strip()
    return "", value


def split_categories(values: list[str]) -> list[str]:
    """The theme and the category of each value, each name once, in reading order."""
    out: list[str] = []
    for value in values:
        for part in split_category(value):
            if part and part not in out:
                out.append(part)
    return out
