"""Field names shared by every plan reader: column and key aliases, cell cleaning, header mapping.

Headers and keys are folded (accents, case, units in brackets removed) before being looked up, so
« Coût HT (€) », « cout ht » and « COÛT HT » name the same field."""
from __future__ import annotations

import re
from typing import Any, Iterable

from aidenum.catalogue.vocabularies import fold

from .model import PlanError

# -- column / key aliases (folded, units in brackets removed) -----------------------------------
ACTION_COLUMNS = {
    "id": ("id", "identifiant", "ref", "reference", "code action", "n°", "no", "num", "numero",
           "numero d'action", "n° action", "action id"),
    "titre": ("titre", "intitule", "intitule de l'action", "titre de l'action", "action", "libelle",
              "nom de l'action", "nom"),
    "description": ("description", "descriptif", "description de l'action", "contenu", "detail",
                    "details", "objectifs"),
    "axe": ("axe", "axe strategique", "orientation", "thematique", "volet"),
    "budget_ht": ("budget_ht", "budget ht", "budget", "cout ht", "cout", "montant ht", "montant",
                  "budget previsionnel", "cout previsionnel", "cout total ht", "budget previsionnel ht",
                  "cout estime"),
    "debut": ("debut", "date de debut", "demarrage", "date debut", "lancement"),
    "fin": ("fin", "date de fin", "echeance", "achevement", "date fin"),
    "calendrier": ("calendrier", "periode", "calendrier previsionnel", "dates"),
    "financement": ("financement", "financements", "plan de financement", "financeurs", "cofinancements",
                    "cofinanceurs", "financement envisage"),
}
COLLECTIVITE_KEYS = {
    "nom": ("nom", "collectivite", "collectivite_nom", "nom de la collectivite", "structure",
            "porteur", "maitre d'ouvrage"),
    "type": ("type", "collectivite_type", "type de collectivite", "nature", "categorie"),
    "code": ("code", "collectivite_code", "code insee", "siren", "code insee / siren", "insee"),
    "departement": ("departement", "collectivite_departement", "dep", "code departement"),
    "region": ("region", "collectivite_region", "code region"),
    "population": ("population", "collectivite_population", "habitants", "nombre d'habitants"),
    "chef_de_file": ("chef_de_file", "chef de file", "collectivite_chef_de_file"),
}
_ACTION_ALIAS = {alias: name for name, aliases in ACTION_COLUMNS.items() for alias in aliases}
_COLLECTIVITE_ALIAS = {alias: name for name, aliases in COLLECTIVITE_KEYS.items() for alias in aliases}


def folded_key(text: Any) -> str:
    """Folded header / key: accents, case, units in brackets, colons and stars removed."""
    value = fold(str(text or ""))
    value = re.sub(r"\(.*?\)|\[.*?\]", " ", value)
    value = value.replace("_", " ").replace("*", " ").strip(" :.")
    return re.sub(r"\s+", " ", value)


def column_name(header: Any) -> str | None:
    key = folded_key(header)
    return _ACTION_ALIAS.get(key) or _ACTION_ALIAS.get(key.replace(" ", "_"))


def collectivite_key(key: Any) -> str | None:
    folded = folded_key(key)
    return _COLLECTIVITE_ALIAS.get(folded) or _COLLECTIVITE_ALIAS.get(folded.replace(" ", "_"))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"[ \t]+", " ", str(value)).strip()


def map_header(header: Iterable[Any], where: str) -> list[tuple[str, str]]:
    """(field or extra name, original header) per column; requires a title column."""
    columns = []
    for cell in header:
        name = column_name(cell)
        columns.append((name or folded_key(cell), cell_text(cell)))
    names = [name for name, _ in columns]
    if "titre" not in names:
        read = ", ".join(f"« {original} »" for _, original in columns if original) or "aucune"
        raise PlanError(f"{where} : colonne « titre » (ou « Intitulé ») introuvable ; colonnes lues : {read}")
    for name in set(names):
        if name in ACTION_COLUMNS and names.count(name) > 1:
            twins = ", ".join(f"« {o} »" for n, o in columns if n == name)
            raise PlanError(f"{where} : plusieurs colonnes pour « {name} » ({twins})")
    return columns


def row_action(columns: list[tuple[str, str]], row: Iterable[Any], where: str) -> dict[str, Any]:
    action: dict[str, Any] = {"where": where}
    for (name, _original), value in zip(columns, row):
        if name:
            action[name] = value.strip() if isinstance(value, str) else value
    return action
