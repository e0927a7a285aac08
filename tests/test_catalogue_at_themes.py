"""Aides-territoires categories « Thème / Catégorie » split on the real theme names (issue 12.6)."""
from __future__ import annotations

import json

import pytest
from conftest import FILES

from aidenum.catalogue.aides_territoires_themes import THEMES, split_categories, split_category

DUMP = json.loads((FILES / "aides_territoires" / "themes_2023.json").read_text(encoding="utf-8"))


def test_theme_names_are_those_of_the_api_dump():
    assert list(THEMES) == [theme["name"] for theme in DUMP["results"]]
    assert sum(" / " in name for name in THEMES) == 7   # API_SHAPE.md: 7 of the 9 contain « / »


def test_every_category_of_the_dump_splits_back():
    pairs = [(t["name"], c["name"]) for t in DUMP["results"] for c in t["categories"]]
    assert len(pairs) > 80
    for theme, category in pairs:
        assert split_category(f"{theme} / {category}") == (theme, category)
    # a category with « / » of its own, under a theme without one
    assert split_category("Eau et milieux aquatiques / Cours d'eau / canaux / plans d'eau") == (
        "Eau et milieux aquatiques", "Cours d'eau / canaux / plans d'eau")


@pytest.mark.parametrize("value, expected", [
    ("Urbanisme / logement / aménagement|Friche", ("Urbanisme / logement / aménagement", "Friche")),  # Django ≤ 1.1
    ("Numérique / Inclusion numérique", ("", "Numérique / Inclusion numérique")),   # unknown theme: whole
    ("Alimentation", ("", "Alimentation")),
])
def test_other_forms(value, expected):
    assert split_category(value) == expected


def test_split_categories_keeps_each_name_once():
    assert split_categories(["Solidarités / lien social / Alimentation",
                             "Solidarités / lien social / Inclusion numérique"]) == [
        "Solidarités / lien social", "Alimentation", "Inclusion numérique"]
