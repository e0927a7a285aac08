"""XLSX plan reader: a sheet of actions (a banner row may precede the header) and an optional
sheet « Collectivité » with keys in column A and values in column B."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .columns import collectivite_key, column_name, folded_key, map_header, row_action
from .model import Plan, PlanError
from .validation import build_plan

def read_xlsx(path: str | Path, referential=None, **options) -> Plan:
    import zipfile

    from openpyxl import load_workbook

    path = Path(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise PlanError(f"{path.name} : classeur Excel illisible ({error})") from None
    try:
        collectivite: dict[str, Any] = {}
        action_sheet = None
        for sheet in workbook.worksheets:
            if folded_key(sheet.title) in ("collectivite", "la collectivite", "porteur"):
                for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                    cells = list(row) + [None, None]
                    name = collectivite_key(cells[0]) if cells[0] is not None else None
                    if name:
                        collectivite[name] = cells[1]
                        collectivite["where"] = f"feuille « {sheet.title} »"
            elif action_sheet is None or folded_key(sheet.title) in ("actions", "plan", "plan d'actions"):
                if action_sheet is None or folded_key(action_sheet.title) not in ("actions", "plan", "plan d'actions"):
                    action_sheet = sheet
        if action_sheet is None:
            raise PlanError(f"{path.name} : aucune feuille d'actions")
        rows = list(action_sheet.iter_rows(values_only=True))
        values = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}
    finally:
        workbook.close()
    _refuse_uncomputed_formulas(path, values)
    sheet_label = f"feuille « {action_sheet.title} »"
    # the header is the first row with a title column (a banner row may come first)
    header_index = next((i for i, row in enumerate(rows[:10])
                         if any(column_name(c) == "titre" for c in row if c is not None)), None)
    if header_index is None:
        first = next((row for row in rows if any(c not in (None, "") for c in row)), ())
        map_header([c for c in first if c is not None], f"{path.name}, {sheet_label}")
        raise PlanError(f"{path.name}, {sheet_label} : le plan ne contient aucune action")
    columns = map_header(rows[header_index], f"{path.name}, {sheet_label}, ligne {header_index + 1}")
    actions = []
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        if not any(c not in (None, "") and str(c).strip() for c in row):
            continue
        actions.append(row_action(columns, row, f"{sheet_label}, ligne {offset}"))
    return build_plan(path.name, collectivite, actions, options, referential)


def _refuse_uncomputed_formulas(path: Path, values: dict[str, list[tuple]]) -> None:
    """A formula cell saved without its result (files written by a program, not by a spreadsheet)
    reads as empty: refuse it rather than silently drop a budget or a title."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        for sheet in workbook.worksheets:
            computed = values.get(sheet.title, [])
            for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                cached = computed[row_number - 1] if row_number <= len(computed) else ()
                for column, cell in enumerate(row):
                    result = cached[column] if column < len(cached) else None
                    if isinstance(cell, str) and cell.startswith("=") and result is None:
                        raise PlanError(
                            f"{path.name}, feuille « {sheet.title} », cellule {get_column_letter(column + 1)}"
                            f"{row_number} : formule sans valeur calculée ({cell[:40]}) : ouvrez et "
                            "enregistrez le fichier dans un tableur (Excel, LibreOffice) pour que les "
                            "résultats y soient écrits")
    finally:
        workbook.close()
