"""CSV plan reader: UTF-8 (with or without BOM) or Windows-1252, which is what Excel
« CSV (séparateur : point-virgule) » writes on a French Windows. The collectivité comes from optional
comment lines before the header, ``# clé : valeur``."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from aidenum.catalogue.files import UndecodableError, read_text_any

from .columns import collectivite_key, map_header, row_action
from .model import Plan, PlanError
from .validation import build_plan


def _decode_csv(path: Path) -> str:
    try:
        return read_text_any(path)
    except UndecodableError as error:
        raise PlanError(f"{path.name}, ligne {error.line} : encodage non reconnu (ni UTF-8 ni Windows-1252) ; "
                        "enregistrez le fichier en « CSV UTF-8 »") from None


_MOJIBAKE = re.compile("Ã[\u00a0-\u00bf‰€]")  # UTF-8 accents decoded as Windows-1252: « Ã© » for « é »


def read_csv(path: str | Path, referential=None, **options) -> Plan:
    path = Path(path)
    text = _decode_csv(path)
    if _MOJIBAKE.search(text):
        raise PlanError(f"{path.name} : les accents sont abîmés (« Ã© » au lieu de « é ») : le fichier a été "
                        "converti deux fois ; réenregistrez-le en « CSV UTF-8 » depuis le tableur")
    lines = text.splitlines()
    collectivite: dict[str, Any] = {}
    start = 0
    for start, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        key, sep, value = stripped.lstrip("#").partition(":")
        name = collectivite_key(key)
        if sep and name:
            collectivite[name] = value.strip()
            collectivite["where"] = f"en-tête, ligne {start + 1}"
    else:
        start = len(lines)
    body = "\n".join(lines[start:])
    if not body.strip():
        raise PlanError(f"{path.name} : le plan ne contient aucune action (ni en-tête de colonnes)")
    try:
        dialect = csv.Sniffer().sniff(lines[start], delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";"
    reader = csv.reader(io.StringIO(body), delimiter=delimiter)
    header = next(reader)
    columns = map_header(header, f"{path.name}, ligne {start + 1}")
    actions = []
    for row in reader:
        line_number = start + reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        actions.append(row_action(columns, row, f"ligne {line_number}"))
    return build_plan(path.name, collectivite, actions, options, referential)
