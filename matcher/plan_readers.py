"""Readers of a plan numérique: YAML, CSV, XLSX and DOCX, all producing a ``Plan``.

Every reader turns its file into plain dictionaries (one for the collectivité, one per action,
each with a ``where`` telling the user where it came from: "ligne 12", "action A3"…) and hands
them to ``build_plan``, so validation and error messages are the same for every format.

Collectivité outside YAML:

- CSV: optional comment lines before the header, ``# clé : valeur`` (keys: collectivite or
  nom, type, code, departement, region, population, chef_de_file);
- XLSX: a sheet named « Collectivité » with keys in column A and values in column B;
- DOCX: paragraphs « Collectivité : … », « Type : … », « Code : … » before the first heading;
- every format: keyword options ``collectivite_nom``, ``collectivite_type``,
  ``collectivite_code`` (also ``collectivite_departement``, ``collectivite_region``,
  ``collectivite_population``), which override what the file says.

Encoding: YAML must be UTF-8. A CSV may be UTF-8 (with or without BOM) or Windows-1252, which
is what Excel « CSV (séparateur : point-virgule) » writes on a French Windows; anything else is
refused with the line of the first unreadable byte.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any, Iterable

from aidenum.catalogue.files import UndecodableError, read_text_any
from aidenum.catalogue.normalise import MONTHS, parse_amount
from aidenum.catalogue.vocabularies import fold

from .plan import Action, Collectivite, Plan, PlanError, collectivite_type

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
_SCALE_OF_TYPE = {"commune": "COM", "epci": "EPCI", "department": "DEP", "region": "REG"}
_TRUE = {"oui", "true", "vrai", "yes", "1", "x"}
_FALSE = {"non", "false", "faux", "no", "0", ""}


def _key(text: Any) -> str:
    """Folded header / key: accents, case, units in brackets, colons and stars removed."""
    value = fold(str(text or ""))
    value = re.sub(r"\(.*?\)|\[.*?\]", " ", value)
    value = value.replace("_", " ").replace("*", " ").strip(" :.")
    return re.sub(r"\s+", " ", value)


def _column_name(header: Any) -> str | None:
    key = _key(header)
    return _ACTION_ALIAS.get(key) or _ACTION_ALIAS.get(key.replace(" ", "_"))


def _collectivite_key(key: Any) -> str | None:
    folded = _key(key)
    return _COLLECTIVITE_ALIAS.get(folded) or _COLLECTIVITE_ALIAS.get(folded.replace(" ", "_"))


# -- shared validation --------------------------------------------------------------------------
def build_plan(source: str, collectivite: dict[str, Any], actions: list[dict[str, Any]],
               options: dict[str, Any] | None = None, referential=None) -> Plan:
    """Validate raw dictionaries into a ``Plan``; every error names ``source`` and the place.

    ``collectivite`` and each action may carry ``where`` (e.g. "ligne 12") for messages."""
    merged = dict(collectivite or {})
    for name, value in (options or {}).items():
        if value not in (None, "") and name.startswith("collectivite_"):
            key = _collectivite_key(name)
            if not key:
                raise PlanError(f"option inconnue « {name} »")
            merged[key] = value
    if not actions:
        raise PlanError(f"{source} : le plan ne contient aucune action")
    coll = _build_collectivite(source, merged, referential)
    built: list[Action] = []
    seen: dict[str, str] = {}
    for position, raw in enumerate(actions, start=1):
        action = _build_action(source, raw, position)
        where = raw.get("where") or f"action n° {position}"
        if action.id in seen:
            raise PlanError(f"{source}, {where} : identifiant d'action « {action.id} » en double "
                            f"(déjà utilisé {seen[action.id]})")
        seen[action.id] = where
        built.append(action)
    return Plan(collectivite=coll, actions=built, source=source)


def _build_collectivite(source: str, data: dict[str, Any], referential=None) -> Collectivite:
    from aidenum.catalogue import territory as territories
    where = f"{source}, collectivité" + (f" ({data['where']})" if data.get("where") else "")
    if not any(data.get(k) not in (None, "") for k in ("nom", "type", "code")):
        raise PlanError(f"{where} : collectivité absente (indiquez au moins son nom et son type)")
    if data.get("type") in (None, ""):
        raise PlanError(f"{where} : type de collectivité manquant (commune, epci, departement, region…)")
    kind = collectivite_type(str(data["type"]), where)
    ref = referential or territories.load()
    nom = _text(data.get("nom"))
    code = _text(data.get("code")) or None
    departement = _text(data.get("departement")) or None
    region = _text(data.get("region")) or None
    scale = _SCALE_OF_TYPE.get(kind)
    territory = None
    if code:
        territory = territories.code_for_collectivite(kind, code)
        if territory not in ref.territories and territories.normalise_code(code) in ref.territories:
            territory = territories.normalise_code(code)  # e.g. a SIREN given for a commune
        if territory not in ref.territories:
            raise PlanError(f"{where} : code territoire inconnu « {code} » pour le type « {data['type']} » "
                            "(attendu : code INSEE pour une commune, un département ou une région, "
                            "SIREN à 9 chiffres pour une intercommunalité)")
        if scale and not territory.startswith(scale + ":"):
            raise PlanError(f"{where} : le code « {code} » désigne {ref.label(territory)}, "
                            f"pas une collectivité de type « {data['type']} »")
    elif kind == "department" and departement:
        territory = _known(ref, f"DEP:{departement.upper()}", where, "département", departement)
    elif kind == "region" and region:
        territory = _known(ref, f"REG:{region}", where, "région", region)
    elif nom:
        try:
            territory = ref.resolve(nom, scale=scale)
        except territories.TerritoryError as error:
            if scale:
                raise PlanError(f"{where} : impossible de situer « {nom} » ({error}) ; "
                                "indiquez son code INSEE ou SIREN dans « code »") from None
    if territory is None and departement:
        territory = _known(ref, f"DEP:{departement.upper()}", where, "département", departement)
    if territory is None and region:
        territory = _known(ref, f"REG:{region}", where, "région", region)
    if territory is None:
        raise PlanError(f"{where} : territoire de la collectivité inconnu ; indiquez « code », "
                        "« departement » ou « region »")
    if departement:
        _known(ref, f"DEP:{departement.upper()}", where, "département", departement)
    if region:
        _known(ref, f"REG:{region}", where, "région", region)
    dep_code = ref.department_of(territory)
    reg_code = ref.region_of(territory)
    if not nom:
        nom = ref.territories[territory].name
    population = _population(data.get("population"), where)
    if population is None and territory in ref.territories:
        population = ref.territories[territory].population
    return Collectivite(
        nom=nom, type=kind, code=code, territory=territory,
        departement=departement or (dep_code.split(":", 1)[1] if dep_code else None),
        region=region or (reg_code.split(":", 1)[1] if reg_code else None),
        population=population,
        chef_de_file=_boolean(data.get("chef_de_file"), where, "chef_de_file"))


def _known(ref, code: str, where: str, what: str, value: str) -> str:
    if code not in ref.territories:
        raise PlanError(f"{where} : code {what} inconnu « {value} »")
    return code


def _build_action(source: str, raw: dict[str, Any], position: int) -> Action:
    where = raw.get("where") or f"action n° {position}"
    action_id = _text(raw.get("id")) or f"A{position}"
    label = f"{source}, {where}" + (f" (action {action_id})" if raw.get("id") and action_id not in where else "")
    titre = _text(raw.get("titre"))
    if not titre:
        raise PlanError(f"{label} : titre manquant")
    debut, fin = None, None
    if raw.get("calendrier") not in (None, ""):
        calendrier = raw["calendrier"]
        if isinstance(calendrier, dict):
            debut = _month(calendrier.get("debut"), label, "debut")
            fin = _month(calendrier.get("fin"), label, "fin", end=True)
        else:
            debut, fin = parse_period(calendrier, label)
    if raw.get("debut") not in (None, ""):
        debut = _month(raw["debut"], label, "debut")
    if raw.get("fin") not in (None, ""):
        fin = _month(raw["fin"], label, "fin", end=True)
    if debut and fin and fin < debut:
        raise PlanError(f"{label} : la fin ({fin}) précède le début ({debut})")
    known = {"id", "titre", "description", "axe", "budget_ht", "calendrier", "debut", "fin", "where"}
    extra = {k: v for k, v in raw.items() if k not in known and v not in (None, "")}
    return Action(id=action_id, titre=titre, description=_text(raw.get("description")),
                  axe=_text(raw.get("axe")), budget_ht=_budget(raw.get("budget_ht"), label),
                  debut=debut, fin=fin, extra=extra)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"[ \t]+", " ", str(value)).strip()


def _budget(value: Any, label: str) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise PlanError(f"{label}, champ « budget_ht » : montant illisible « {value} »")
    if isinstance(value, (int, float)):
        amount = float(value)
    else:
        text = str(value).strip()
        cleaned = re.sub(r"\b(HT|H\.T\.|hors taxes?)\b", "", text, flags=re.IGNORECASE).strip()
        amount = parse_amount(cleaned)
        if amount is None:
            digits = cleaned.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
            if re.fullmatch(r"\d+([,.]\d+)?", digits):
                amount = float(digits.replace(",", "."))
        if amount is None:
            raise PlanError(f"{label}, champ « budget_ht » : montant illisible « {text} » "
                            "(exemples acceptés : 120000, « 120 000 € », « 120 k€ »)")
    if amount < 0:
        raise PlanError(f"{label}, champ « budget_ht » : montant négatif ({amount:g})")
    return amount


def _population(value: Any, where: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    digits = re.sub(r"[\s\u00a0\u202f.]|habitants?|hab\.?", "", str(value), flags=re.IGNORECASE)
    if not digits.isdigit():
        raise PlanError(f"{where}, champ « population » : nombre illisible « {value} »")
    return int(digits)


def _boolean(value: Any, where: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    folded = fold(str(value if value is not None else ""))
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise PlanError(f"{where}, champ « {name} » : attendu oui ou non, lu « {value} »")


# -- months and periods ------------------------------------------------------------------------
_MONTH_NAMES = "|".join(sorted({fold(m) for m in MONTHS}, key=len, reverse=True))
_PERIOD_TOKEN = re.compile(
    rf"(?P<iso>(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})(?:-\d{{1,2}})?)"
    rf"|(?P<dmy>(?:\d{{1,2}}/)?(?P<nm>\d{{1,2}})/(?P<ny>\d{{4}}))"
    rf"|(?P<quarter>(?:t|trimestre\s*)(?P<q>[1-4])\s*(?P<qy>\d{{4}})?)"
    rf"|(?P<named>(?:(?:1er|\d{{1,2}})\s+)?(?P<mn>{_MONTH_NAMES})\.?\s*(?P<my>\d{{4}})?)"
    rf"|(?P<year>\b(?P<y>\d{{4}})\b)")


def _tokens(text: str) -> list[tuple[int | None, int | None, str]]:
    """(year, month, kind) for each month-like token of ``text`` in order."""
    found = []
    for match in _PERIOD_TOKEN.finditer(fold(text)):
        if match.group("iso"):
            found.append((int(match.group("iy")), int(match.group("im")), "month"))
        elif match.group("dmy"):
            found.append((int(match.group("ny")), int(match.group("nm")), "month"))
        elif match.group("quarter"):
            year = int(match.group("qy")) if match.group("qy") else None
            found.append((year, int(match.group("q")), "quarter"))
        elif match.group("named"):
            year = int(match.group("my")) if match.group("my") else None
            found.append((year, MONTHS[match.group("mn")], "month"))
        else:
            found.append((int(match.group("y")), None, "year"))
    return found


def parse_period(value: Any, label: str) -> tuple[str | None, str | None]:
    """("2027-03", "2027-12") from "mars 2027 – décembre 2027", "de mars à décembre 2027",
    "03/2027 - 12/2027", "T2 2027 – T1 2028", "2027"; PlanError when nothing is readable."""
    text = _text(value)
    tokens = _tokens(text)
    if not tokens:
        raise PlanError(f"{label}, champ « calendrier » : période illisible « {text} » "
                        "(exemple : « mars 2027 – décembre 2027 »)")
    # a month without a year takes the year of the next token ("de mars à décembre 2027")
    resolved = []
    for index, (year, month, kind) in enumerate(tokens):
        if year is None:
            year = next((y for y, _m, _k in tokens[index + 1:] if y), None)
            if year is None:
                raise PlanError(f"{label}, champ « calendrier » : année manquante dans « {text} »")
        resolved.append((year, month, kind))
    start = _as_month(*resolved[0], end=False)
    end = _as_month(*resolved[-1], end=True)
    if len(resolved) == 1 and resolved[0][2] == "month":
        end = None
    return start, end


def _as_month(year: int, month: int | None, kind: str, end: bool) -> str:
    if kind == "year":
        month = 12 if end else 1
    elif kind == "quarter":
        month = month * 3 if end else month * 3 - 2
    if not 1 <= month <= 12:
        raise ValueError(month)
    return f"{year:04d}-{month:02d}"


def _month(value: Any, label: str, name: str, end: bool = False) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    tokens = _tokens(_text(value))
    if len(tokens) != 1 or tokens[0][0] is None:
        raise PlanError(f"{label}, champ « {name} » : date illisible « {value} » "
                        "(exemples acceptés : 2027-03, 03/2027, mars 2027)")
    try:
        return _as_month(*tokens[0], end=end)
    except ValueError:
        raise PlanError(f"{label}, champ « {name} » : mois impossible « {value} »") from None


# -- YAML ---------------------------------------------------------------------------------------
def read_yaml(path: str | Path, referential=None, **options) -> Plan:
    import yaml

    path = Path(path)
    text = _decode_utf8(path)

    class LineLoader(yaml.SafeLoader):
        """Remembers the line of each mapping so errors can point at the action."""

    def construct_mapping(loader, node, deep=False):
        mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        data = yaml.load(text, Loader=LineLoader)  # noqa: S506 — a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        raise PlanError(f"{path.name}{where} : YAML invalide ({problem})") from None
    if data is None:
        raise PlanError(f"{path.name} : fichier vide")
    if not isinstance(data, dict):
        raise PlanError(f"{path.name} : le plan doit commencer par « collectivite: » puis « actions: »")
    collectivite = data.get("collectivite") or data.get("collectivité") or {}
    if not isinstance(collectivite, dict):
        raise PlanError(f"{path.name}, ligne {data['__line__']} : « collectivite » doit contenir "
                        "nom, type, code…")
    collectivite = {(_collectivite_key(k) or k): v for k, v in collectivite.items()}
    if "__line__" in collectivite:
        collectivite["where"] = f"ligne {collectivite.pop('__line__')}"
    raw_actions = data.get("actions")
    if raw_actions in (None, []):
        raw_actions = []
    if not isinstance(raw_actions, list):
        raise PlanError(f"{path.name} : « actions » doit être une liste (chaque action commence par « - id: »)")
    actions = []
    for position, raw in enumerate(raw_actions, start=1):
        if not isinstance(raw, dict):
            raise PlanError(f"{path.name}, action n° {position} : attendu id, titre, description…, "
                            f"lu « {raw} »")
        action = {k: v for k, v in raw.items() if k != "__line__"}
        if isinstance(action.get("calendrier"), dict):
            action["calendrier"] = {k: v for k, v in action["calendrier"].items() if k != "__line__"}
        name = f" ({action['id']})" if action.get("id") not in (None, "") else ""
        action["where"] = f"ligne {raw['__line__']}, action n° {position}{name}"
        actions.append(action)
    return build_plan(path.name, collectivite, actions, options, referential)


def _decode_utf8(path: Path) -> str:
    try:
        return read_text_any(path, encodings=("utf-8-sig",))
    except UndecodableError as error:
        raise PlanError(f"{path.name}, ligne {error.line} : le fichier n'est pas encodé en UTF-8 ; "
                        "enregistrez-le en UTF-8 (dans le Bloc-notes : Enregistrer sous › Encodage UTF-8)") from None


# -- CSV ----------------------------------------------------------------------------------------
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
        name = _collectivite_key(key)
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
    columns = _map_header(header, f"{path.name}, ligne {start + 1}")
    actions = []
    for row in reader:
        line_number = start + reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        actions.append(_row_action(columns, row, f"ligne {line_number}"))
    return build_plan(path.name, collectivite, actions, options, referential)


def _map_header(header: Iterable[Any], where: str) -> list[tuple[str, str]]:
    """(field or extra name, original header) per column; requires a title column."""
    columns = []
    for cell in header:
        name = _column_name(cell)
        columns.append((name or _key(cell), _text(cell)))
    names = [name for name, _ in columns]
    if "titre" not in names:
        read = ", ".join(f"« {original} »" for _, original in columns if original) or "aucune"
        raise PlanError(f"{where} : colonne « titre » (ou « Intitulé ») introuvable ; colonnes lues : {read}")
    for name in set(names):
        if name in ACTION_COLUMNS and names.count(name) > 1:
            twins = ", ".join(f"« {o} »" for n, o in columns if n == name)
            raise PlanError(f"{where} : plusieurs colonnes pour « {name} » ({twins})")
    return columns


def _row_action(columns: list[tuple[str, str]], row: Iterable[Any], where: str) -> dict[str, Any]:
    action: dict[str, Any] = {"where": where}
    for (name, _original), value in zip(columns, row):
        if name:
            action[name] = value.strip() if isinstance(value, str) else value
    return action


# -- XLSX ---------------------------------------------------------------------------------------
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
            if _key(sheet.title) in ("collectivite", "la collectivite", "porteur"):
                for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                    cells = list(row) + [None, None]
                    name = _collectivite_key(cells[0]) if cells[0] is not None else None
                    if name:
                        collectivite[name] = cells[1]
                        collectivite["where"] = f"feuille « {sheet.title} »"
            elif action_sheet is None or _key(sheet.title) in ("actions", "plan", "plan d'actions"):
                if action_sheet is None or _key(action_sheet.title) not in ("actions", "plan", "plan d'actions"):
                    action_sheet = sheet
        if action_sheet is None:
            raise PlanError(f"{path.name} : aucune feuille d'actions")
        rows = list(action_sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    sheet_label = f"feuille « {action_sheet.title} »"
    # the header is the first row with a title column (a banner row may come first)
    header_index = next((i for i, row in enumerate(rows[:10])
                         if any(_column_name(c) == "titre" for c in row if c is not None)), None)
    if header_index is None:
        first = next((row for row in rows if any(c not in (None, "") for c in row)), ())
        _map_header([c for c in first if c is not None], f"{path.name}, {sheet_label}")
        raise PlanError(f"{path.name}, {sheet_label} : le plan ne contient aucune action")
    columns = _map_header(rows[header_index], f"{path.name}, {sheet_label}, ligne {header_index + 1}")
    actions = []
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        if not any(c not in (None, "") and str(c).strip() for c in row):
            continue
        actions.append(_row_action(columns, row, f"{sheet_label}, ligne {offset}"))
    return build_plan(path.name, collectivite, actions, options, referential)


# -- DOCX ---------------------------------------------------------------------------------------
_HEADING_ACTION_RE = re.compile(
    r"^(?:action\s+)?(?:n°\s*)?(?P<id>[A-Z]{0,3}\s?\d+(?:[.\-]\d+)*)\s*(?:[–—:.)\-]\s*|\s+)(?P<titre>\S.*)$",
    re.IGNORECASE)
_AXE_PREFIX_RE = re.compile(r"^axe\s*(?:n°\s*)?[\dIVX]+\s*[–—:.\-]?\s*", re.IGNORECASE)
_FIELD_LINE_RE = re.compile(r"^\s*(?P<key>[^:]{2,40}?)\s*:\s*(?P<value>.+)$")
_ACTION_FIELD_LINES = {"budget": "budget_ht", "budget ht": "budget_ht", "budget previsionnel": "budget_ht",
                       "cout": "budget_ht", "cout ht": "budget_ht", "cout previsionnel": "budget_ht",
                       "montant": "budget_ht", "calendrier": "calendrier", "periode": "calendrier",
                       "calendrier previsionnel": "calendrier", "debut": "debut", "fin": "fin",
                       "identifiant": "id", "axe": "axe"}


def _heading_level(paragraph) -> int | None:
    names = []
    style = paragraph.style
    while style is not None:
        names.append(_key(style.name))
        names.append(_key(style.style_id))
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
        text = _text(paragraph.text)
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
            if field_line and _collectivite_key(field_line.group("key")):
                collectivite[_collectivite_key(field_line.group("key"))] = field_line.group("value").strip()
                collectivite["where"] = "premiers paragraphes"
            continue
        if field_line and _key(field_line.group("key")) in _ACTION_FIELD_LINES:
            current[_ACTION_FIELD_LINES[_key(field_line.group("key"))]] = field_line.group("value").strip()
        else:
            description.append(text)
    close_action()
    if not actions:
        for table_number, table in enumerate(document.tables, start=1):
            rows = [[_text(cell.text) for cell in row.cells] for row in table.rows]
            if not rows or not any(_column_name(c) == "titre" for c in rows[0]):
                continue
            columns = _map_header(rows[0], f"{path.name}, tableau {table_number}")
            for row_number, row in enumerate(rows[1:], start=2):
                if any(row):
                    actions.append(_row_action(columns, row, f"tableau {table_number}, ligne {row_number}"))
            break
    return build_plan(path.name, collectivite, actions, options, referential)
