"""DOCX plan reader: headings 1 are axes, headings 2 are actions (« A1 – Titre »), field lines
« Budget : … » inside an action; paragraphs « Collectivité : … » before the first heading. A document
without action headings is read from its first table with a title column."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .columns import cell_text, collectivite_key, column_name, folded_key, map_header, row_action
from .model import Plan, PlanError
from .validation import build_plan

_HEADING_ACTION_RE = re.compile(
    r"^(?:action\s+)?(?:n°\s*)?(?P<id>[A-Z]{0,3}\s?\d+(?:[.\-]\d+)*)\s*(?:[–—:.)\-]\s*|\s+)(?P<titre>\S.*)$",
    re.IGNORECASE)
_AXE_PREFIX_RE = re.compile(r"^axe\s*(?:n°\s*)?[\dIVX]+\s*[–—:.\-]?\s*", re.IGNORECASE)
_FIELD_LINE_RE = re.compile(r"^\s*(?P<key>[^:]{2,40}?)\s*:\s*(?P<value>.+)$")
_ACTION_FIELD_LINES = {"budget": "budget_ht", "budget ht": "budget_ht", "budget previsionnel": "budget_ht",
                       "cout": "budget_ht", "cout ht": "budget_ht", "cout previsionnel": "budget_ht",
                       "montant": "budget_ht", "calendrier": "calendrier", "periode": "calendrier",
                       "calendrier previsionnel": "calendrier", "debut": "debut", "fin": "fin",
                       "identifiant": "id", "axe": "axe", "financement": "financement",
                       "plan de financement": "financement", "financeurs": "financement"}


def _heading_level(paragraph) -> int | None:
    names = []
    style = paragraph.style
    while style is not None:
        names.append(folded_key(style.name))
        names.append(folded_key(style.style_id))
        style = style.base_style
    for name in names:
        match = re.fullmatch(r"(?:heading|titre) ?(\d)", name)
        if match:
            return int(match.group(1))
    return None


def read_docx(path: str | Path, referential=None, **options) -> Plan:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    path = Path(path)
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError) as error:
        raise PlanError(f"{path.name} : document Word illisible ({error})") from None
    collectivite: dict[str, Any] = {}
    actions: list[dict[str, Any]] = []
    axe = ""
    current: dict[str, Any] | None = None
    description: list[str] = []

    def close_action():
        if current is not None:
            current["description"] = "\n".join(description)
            actions.append(current)

    for number, paragraph in enumerate(document.paragraphs, start=1):
        text = cell_text(paragraph.text)
        if not text:
            continue
        level = _heading_level(paragraph)
        if level == 1:
            close_action()
            current, description = None, []
            axe = _AXE_PREFIX_RE.sub("", text)
            continue
        if level is not None and level >= 2:
            close_action()
            description = []
            match = _HEADING_ACTION_RE.match(text)
            current = {"axe": axe, "where": f"paragraphe {number} (« {text[:40]} »)"}
            if match:
                current["id"] = match.group("id").replace(" ", "").upper()
                current["titre"] = match.group("titre").strip()
            else:
                current["titre"] = text
            continue
        field_line = _FIELD_LINE_RE.match(text)
        if current is None:
            if field_line and collectivite_key(field_line.group("key")):
                collectivite[collectivite_key(field_line.group("key"))] = field_line.group("value").strip()
                collectivite["where"] = "premiers paragraphes"
            continue
        if field_line and folded_key(field_line.group("key")) in _ACTION_FIELD_LINES:
            current[_ACTION_FIELD_LINES[folded_key(field_line.group("key"))]] = field_line.group("value").strip()
        else:
            description.append(text)
    close_action()
    if not actions:
        for table_number, table in enumerate(document.tables, start=1):
            rows = [[cell_text(cell.text) for cell in row.cells] for row in table.rows]
            if not rows or not any(column_name(c) == "titre" for c in rows[0]):
                continue
            columns = map_header(rows[0], f"{path.name}, tableau {table_number}")
            for row_number, row in enumerate(rows[1:], start=2):
                if any(row):
                    actions.append(row_action(columns, row, f"tableau {table_number}, ligne {row_number}"))
            break
    return build_plan(path.name, collectivite, actions, options, referential)
