"""Plans as the web keeps them: a plain document (the YAML plan's shape) validated by the
plan readers' own ``build_plan``, uploaded files read by ``load_plan``, exports to YAML/XLSX.

The one place the web layer imports the plan package (``aidenum.matcher.plans``) from.
"""
from __future__ import annotations

import io
import math
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from aidenum.catalogue.formatting import amount_fr, percent_fr
from aidenum.catalogue.vocabularies import COLLECTIVITE_TYPES
from aidenum.drafting.render import safe_filename
from aidenum.matcher.plans import Plan, PlanError, build_plan, load_plan
from aidenum.matcher.plans.yaml_reader import NestingError

# Upload formats: the extension picks the reader; the first bytes must agree with it.
UPLOAD_SUFFIXES = {".yaml": "text", ".yml": "text", ".csv": "text", ".xlsx": "zip", ".docx": "zip"}
ZIP_MAGIC = b"PK\x03\x04"
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# The plan word of each beneficiary slug (« department » is written « departement » in a plan).
PLAN_TYPE_WORD = {slug: word for word, slug in reversed(list(COLLECTIVITE_TYPES.items()))}
COLLECTIVITE_FIELDS = ("nom", "type", "code", "departement", "region", "population", "chef_de_file")
ACTION_FIELDS = ("id", "axe", "titre", "description", "budget_ht")


class UploadError(ValueError):
    """An uploaded file refused before any reader saw it; ``str()`` is French."""


def document_of(plan: Plan) -> dict[str, Any]:
    """The plan as a YAML-shaped document (what is stored and exported)."""
    col = plan.collectivite
    collectivite = {"nom": col.nom, "type": PLAN_TYPE_WORD.get(col.type, col.type), "code": col.code,
                    "departement": col.departement, "region": col.region, "population": col.population}
    if col.chef_de_file:
        collectivite["chef_de_file"] = True
    actions = []
    for action in plan.actions:
        item: dict[str, Any] = {"id": action.id, "axe": action.axe, "titre": action.titre,
                                "description": action.description, "budget_ht": _number(action.budget_ht)}
        if action.debut or action.fin:
            item["calendrier"] = {k: v for k, v in (("debut", action.debut), ("fin", action.fin)) if v}
        if action.financement:  # what the collectivité states about its funding: drafts use it
            item["financement"] = [{k: _number(v) if k != "financeur" else v for k, v in line.items()
                                    if v is not None} for line in action.financement]
        for key, value in action.extra.items():
            item.setdefault(key, _plain(value))
        actions.append({k: v for k, v in item.items() if v not in (None, "")})
    return {"collectivite": {k: v for k, v in collectivite.items() if v not in (None, "")}, "actions": actions}


def plan_of(document: dict[str, Any], source: str = "plan", referential=None) -> Plan:
    """Validate a document into a ``Plan`` (same rules and French messages as a plan file)."""
    if not isinstance(document, dict) or not isinstance(document.get("collectivite"), dict) \
            or not isinstance(document.get("actions"), list):
        raise PlanError(f"{source} : attendu un plan avec « collectivite » et « actions »")
    actions = [dict(a, where=f"action n° {i}") if isinstance(a, dict) else a
               for i, a in enumerate(document["actions"], start=1)]
    for position, action in enumerate(actions, start=1):
        if not isinstance(action, dict):
            raise PlanError(f"{source}, action n° {position} : attendu id, titre, description…")
    return _finite(build_plan(source, dict(document["collectivite"]), actions, referential=referential))


def read_upload(filename: str, data: bytes) -> Plan:
    """Read an uploaded plan with ``load_plan``. The file goes to a private temporary folder
    under a slug of its name (never a path taken from the request)."""
    suffix = Path(filename or "").suffix.lower()
    kind = UPLOAD_SUFFIXES.get(suffix)
    if kind is None:
        raise UploadError(f"format de fichier non accepté « {suffix or 'sans extension'} » "
                          "(attendu : .yaml, .csv, .xlsx ou .docx)")
    if not data:
        raise UploadError("le fichier envoyé est vide")
    if kind == "zip" and not data.startswith(ZIP_MAGIC):
        raise UploadError(f"ce fichier {suffix} n'est pas un document {suffix[1:].upper()} valide "
                          "(contenu illisible ou renommé)")
    if kind == "text" and b"\x00" in data[:4096]:
        raise UploadError(f"ce fichier {suffix} n'est pas un fichier texte (contenu binaire)")
    stem = safe_filename(Path(filename).stem, max_length=60)
    with tempfile.TemporaryDirectory(prefix="aidenum-web-") as folder:
        path = Path(folder) / f"{stem}{suffix}"
        path.write_bytes(data)
        try:
            plan = load_plan(path)
        except NestingError:  # YAML nested thousands of levels deep (the reader names it)
            raise UploadError(f"{filename} : structure imbriquée trop profondément pour être un plan") from None
    return _finite(plan)


def _finite(plan: Plan) -> Plan:
    """Refuse what the web could not store or address: an infinite or NaN budget (YAML « .inf »,
    « .nan », which would be summed) and an action id with control characters (no URL reaches it)."""
    for action in plan.actions:
        if CONTROL_CHARS.search(action.id):
            raise PlanError(f"{plan.source}, action {action.id!r} : identifiant d'action avec des caractères "
                            "de contrôle (retour à la ligne, tabulation…) : choisissez un identifiant simple, "
                            "par ex. A1")
        if action.budget_ht is not None and not math.isfinite(action.budget_ht):
            raise PlanError(f"{plan.source}, action {action.id}, champ « budget_ht » : montant non fini "
                            f"« {action.budget_ht} » (indiquez un montant en euros, par ex. 120000)")
    return plan


def to_yaml(document: dict[str, Any]) -> str:
    header = "# Plan numérique exporté par aidenum (relisible par « aidenum match » et la page Plans).\n"
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


XLSX_HEADER = ["Identifiant", "Axe", "Intitulé", "Description", "Budget HT (€)", "Début", "Fin", "Financement"]


def financement_cell(lines: list[dict[str, Any]]) -> str:
    """The stated funding as the plan readers read a cell: « DETR 30 % ; Région 12 345 € »
    (a line giving both a rate and an amount keeps its rate, as the cell reader would)."""
    parts = []
    for line in lines:
        if line.get("taux") is not None:
            parts.append(f"{line['financeur']} {percent_fr(line['taux'])}")
        elif line.get("montant") is not None:
            parts.append(f"{line['financeur']} {amount_fr(line['montant'], 2, fixed=False)}")
        else:
            parts.append(line["financeur"])
    return " ; ".join(parts)


def to_xlsx(document: dict[str, Any]) -> bytes:
    """A workbook the XLSX plan reader reads back: « Actions » and « Collectivité » sheets."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Actions"
    sheet.append(XLSX_HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for action in document["actions"]:
        calendrier = action.get("calendrier") or {}
        sheet.append([action.get("id"), action.get("axe", ""), action.get("titre"), action.get("description", ""),
                      action.get("budget_ht"), calendrier.get("debut", ""), calendrier.get("fin", ""),
                      financement_cell(action.get("financement") or [])])
        sheet.cell(sheet.max_row, 5).number_format = '#,##0 "€"'
    for column, width in zip("ABCDEFGH", (12, 26, 50, 80, 16, 10, 10, 40)):
        sheet.column_dimensions[column].width = width
    info = workbook.create_sheet("Collectivité")
    labels = {"nom": "Collectivité", "type": "Type", "code": "Code", "departement": "Département",
              "region": "Région", "population": "Population", "chef_de_file": "Chef de file"}
    for key, label in labels.items():
        value = document["collectivite"].get(key)
        if value not in (None, ""):
            info.append([label, "oui" if value is True else str(value)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _number(value):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _plain(value):
    """Extra action fields as YAML-safe values (a date read from a workbook becomes text)."""
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
