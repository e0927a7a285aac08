"""Validation shared by every reader: raw dictionaries become a ``Plan``, the collectivité's
territory is resolved through the referential, and every error names the file and the place."""
from __future__ import annotations

import math
import re
from typing import Any

from aidenum.catalogue.normalise import parse_amount
from aidenum.catalogue.vocabularies import fold

from .columns import cell_text, collectivite_key
from .model import Action, Collectivite, Plan, PlanError, collectivite_type
from .periods import month_of, parse_period

_SCALE_OF_TYPE = {"commune": "COM", "epci": "EPCI", "department": "DEP", "region": "REG"}
_TRUE = {"oui", "true", "vrai", "yes", "1", "x"}
_FALSE = {"non", "false", "faux", "no", "0", ""}


# -- shared validation --------------------------------------------------------------------------
def build_plan(source: str, collectivite: dict[str, Any], actions: list[dict[str, Any]],
               options: dict[str, Any] | None = None, referential=None) -> Plan:
    """Validate raw dictionaries into a ``Plan``; every error names ``source`` and the place.

    ``collectivite`` and each action may carry ``where`` (e.g. "ligne 12") for messages."""
    merged = dict(collectivite or {})
    for name, value in (options or {}).items():
        if value not in (None, "") and name.startswith("collectivite_"):
            key = collectivite_key(name)
            if not key:
                raise PlanError(f"option inconnue « {name} »")
            merged[key] = value
    if not actions:
        raise PlanError(f"{source} : le plan ne contient aucune action")
    warnings: list[str] = []
    coll = _build_collectivite(source, merged, referential, warnings)
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
    return Plan(collectivite=coll, actions=built, source=source, warnings=warnings)


# Legal forms that group collectivités without being an EPCI à fiscalité propre: the referential
# (COG EPCI list) does not hold them, so their SIREN may be absent and their territory comes from
# « departement » / « region » when given. Aides-territoires files them under « Intercommunalités /
# Pays » (slug epci), which COLLECTIVITE_TYPES maps them to.
GROUPING_TYPES = frozenset({"syndicat intercommunal", "syndicat mixte", "syndicat", "sivu", "sivom",
                            "petr", "pole d'equilibre territorial et rural", "pays"})
NO_TERRITORY_WARNING = ("correspondance sans filtre territorial : des dispositifs réservés à d'autres "
                        "territoires peuvent apparaître ; indiquez « code » (INSEE ou SIREN), "
                        "« departement » ou « region » pour les écarter")


def _build_collectivite(source: str, data: dict[str, Any], referential=None,
                        warnings: list[str] | None = None) -> Collectivite:
    """The collectivité with its territory resolved. A type without code and without a locatable
    name is accepted with ``territory=None`` (no territory filtering) and a sentence in ``warnings``."""
    from aidenum.catalogue import territory as territories
    warnings = warnings if warnings is not None else []
    where = f"{source}, collectivité" + (f" ({data['where']})" if data.get("where") else "")
    if not any(data.get(k) not in (None, "") for k in ("nom", "type", "code")):
        raise PlanError(f"{where} : collectivité absente (indiquez au moins son nom et son type)")
    if data.get("type") in (None, ""):
        raise PlanError(f"{where} : type de collectivité manquant (commune, epci, departement, region…)")
    kind = collectivite_type(str(data["type"]), where)
    grouping = fold(str(data["type"])) in GROUPING_TYPES
    ref = referential or territories.load()
    nom = cell_text(data.get("nom"))
    code = cell_text(data.get("code")) or None
    departement = cell_text(data.get("departement")) or None
    region = cell_text(data.get("region")) or None
    scale = _SCALE_OF_TYPE.get(kind)
    territory, unlocated = None, ""
    if code:
        territory = territories.code_for_collectivite(kind, code)
        if territory not in ref.territories and territories.normalise_code(code) in ref.territories:
            territory = territories.normalise_code(code)  # e.g. a SIREN given for a commune
        if territory not in ref.territories and grouping and re.fullmatch(r"\d{9}", code.replace(" ", "")):
            territory = None  # a syndicat's or PETR's SIREN: valid, just not in the EPCI list
        elif territory not in ref.territories:
            raise PlanError(f"{where} : code territoire inconnu « {code} » pour le type « {data['type']} » "
                            "(attendu : code INSEE pour une commune, un département ou une région, "
                            "SIREN à 9 chiffres pour une intercommunalité)" + _lost_zero_hint(kind, code))
        elif scale and not territory.startswith(scale + ":"):
            raise PlanError(f"{where} : le code « {code} » désigne {ref.label(territory)}, "
                            f"pas une collectivité de type « {data['type']} »")
    elif kind == "department" and departement:
        territory = _known(ref, f"DEP:{departement.upper()}", where, "département", departement)
    elif kind == "region" and region:
        territory = _known(ref, f"REG:{region}", where, "région", region)
    elif nom:
        territory, unlocated = _locate(ref, nom, scale if not grouping else None, departement)
    if territory is None and departement:
        territory = _known(ref, f"DEP:{departement.upper()}", where, "département", departement)
    if territory is None and region:
        territory = _known(ref, f"REG:{region}", where, "région", region)
    if territory is None:
        if code:
            named = f"SIREN « {code} » absent du référentiel des territoires"
        elif nom:
            named = f"impossible de situer « {nom} » ({unlocated or 'territoire inconnu'})"
        else:
            named = "aucun territoire indiqué"
        warnings.append(f"{where} : {named} ; {NO_TERRITORY_WARNING}")
    if departement:
        _known(ref, f"DEP:{departement.upper()}", where, "département", departement)
    if region:
        _known(ref, f"REG:{region}", where, "région", region)
    dep_code = ref.department_of(territory) if territory else None
    reg_code = ref.region_of(territory) if territory else None
    if not nom:
        nom = ref.territories[territory].name if territory else str(data["type"])
    population = _population(data.get("population"), where)
    if population is None and territory in ref.territories:
        population = ref.territories[territory].population
    return Collectivite(
        nom=nom, type=kind, code=code, territory=territory,
        departement=departement or (dep_code.split(":", 1)[1] if dep_code else None),
        region=region or (reg_code.split(":", 1)[1] if reg_code else None),
        population=population,
        chef_de_file=_boolean(data.get("chef_de_file"), where, "chef_de_file"))


# INSEE codes of communes have 5 characters and of départements 2: a shorter all-digit code is
# usually one whose leading zero a spreadsheet or an unquoted YAML number dropped (01053 -> 1053).
_INSEE_LENGTH = {"commune": 5, "department": 2}


def _lost_zero_hint(kind: str, code: str) -> str:
    length = _INSEE_LENGTH.get(kind)
    if length and code.isdigit() and len(code) == length - 1:
        return (f" ; si le zéro initial a été perdu, écrivez « 0{code} » entre guillemets (YAML) "
                "ou en cellule au format Texte (tableur)")
    return ""


def _locate(ref, nom: str, scale: str | None, departement: str | None) -> tuple[str | None, str]:
    """(territory, "") for the name, looked up within ``departement`` when given; (None, the
    referential's French reason) when it is unknown or ambiguous."""
    from aidenum.catalogue.territory import TerritoryError
    attempts = [f"{nom} ({departement.upper()})", nom] if departement else [nom]
    reason = ""
    for text in attempts:
        try:
            return ref.resolve(text, scale=scale), ""
        except TerritoryError as error:
            reason = reason or str(error)
    return None, reason


def _known(ref, code: str, where: str, what: str, value: str) -> str:
    if code not in ref.territories:
        raise PlanError(f"{where} : code {what} inconnu « {value} »")
    return code


def _build_action(source: str, raw: dict[str, Any], position: int) -> Action:
    where = raw.get("where") or f"action n° {position}"
    action_id = cell_text(raw.get("id")) or f"A{position}"
    label = f"{source}, {where}" + (f" (action {action_id})" if raw.get("id") and action_id not in where else "")
    titre = cell_text(raw.get("titre"))
    if not titre:
        raise PlanError(f"{label} : titre manquant")
    debut, fin = None, None
    if raw.get("calendrier") not in (None, ""):
        calendrier = raw["calendrier"]
        if isinstance(calendrier, dict):
            debut = month_of(calendrier.get("debut"), label, "debut")
            fin = month_of(calendrier.get("fin"), label, "fin", end=True)
        else:
            debut, fin = parse_period(calendrier, label)
    if raw.get("debut") not in (None, ""):
        debut = month_of(raw["debut"], label, "debut")
    if raw.get("fin") not in (None, ""):
        fin = month_of(raw["fin"], label, "fin", end=True)
    if debut and fin and fin < debut:
        raise PlanError(f"{label} : la fin ({fin}) précède le début ({debut})")
    known = {"id", "titre", "description", "axe", "budget_ht", "calendrier", "debut", "fin", "where",
             "financement"}
    extra = {k: v for k, v in raw.items() if k not in known and v not in (None, "")}
    budget = _budget(raw.get("budget_ht"), label)
    return Action(id=action_id, titre=titre, description=cell_text(raw.get("description")),
                  axe=cell_text(raw.get("axe")), budget_ht=budget,
                  debut=debut, fin=fin, extra=extra,
                  financement=_financement(raw.get("financement"), label, budget))


def _budget(value: Any, label: str) -> float | None:
    return _amount(value, label, "budget_ht")


def _amount(value: Any, label: str, name: str) -> float | None:
    """Euros from 120000, « 120 000 € », « 120 k€ », « 120 000 HT »; None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise PlanError(f"{label}, champ « {name} » : montant illisible « {value} »")
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
            raise PlanError(f"{label}, champ « {name} » : montant illisible « {text} » "
                            "(exemples acceptés : 120000, « 120 000 € », « 120 k€ »)")
    if not math.isfinite(amount):
        # YAML reads .inf and .nan as numbers: no sum or rate can be computed from them
        raise PlanError(f"{label}, champ « {name} » : montant non fini « {value} » ; "
                        "indiquez un nombre d'euros (exemple : 120000)")
    if amount < 0:
        raise PlanError(f"{label}, champ « {name} » : montant négatif ({amount:g})")
    return amount


# -- stated funding (« financement ») ---------------------------------------------------------
_FINANCEMENT_KEYS = {"financeur": "financeur", "dispositif": "financeur", "taux": "taux",
                     "montant": "montant", "montant ht": "montant"}
_RATE_IN_TEXT = re.compile(r"(\d{1,3}(?:[,.]\d+)?)\s*%")
_FINANCEMENT_EXAMPLE = "exemples : « DETR 30 % ; Région 36 000 € » ou, en YAML, {financeur: DETR, taux: 30}"


def _financement(value: Any, label: str, budget: float | None) -> list[dict[str, Any]]:
    """The funding the collectivité states: a YAML list of {financeur, taux | montant}, or a cell
    « DETR 30 % ; Région 36 000 € » (lines separated by « ; » or line breaks)."""
    if value in (None, "", []):
        return []
    where = f"{label}, champ « financement »"
    items = value if isinstance(value, list) else [value]
    lines: list[dict[str, Any]] = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            lines.append(_financement_mapping(item, f"{where}, ligne n° {number}"))
        elif isinstance(item, str):
            lines.extend(_financement_text(part, where)
                         for part in re.split(r"[;\n]", item) if part.strip())
        else:
            raise PlanError(f"{where} : ligne n° {number} illisible « {item} » ({_FINANCEMENT_EXAMPLE})")
    total_rate = sum(line["taux"] or 0 for line in lines)
    if total_rate > 100:
        raise PlanError(f"{where} : la somme des taux dépasse 100 % ({total_rate:g} %)")
    total_amount = sum(line["montant"] or 0 for line in lines)
    if budget is not None and total_amount > budget:
        raise PlanError(f"{where} : la somme des montants ({total_amount:g} €) dépasse le budget "
                        f"de l'action ({budget:g} €)")
    return lines


def _financement_mapping(item: dict[str, Any], where: str) -> dict[str, Any]:
    line: dict[str, Any] = {"financeur": "", "taux": None, "montant": None}
    for key, value in item.items():
        if key == "__line__":
            continue
        name = _FINANCEMENT_KEYS.get(fold(str(key)).replace("_", " "))
        if name is None:
            raise PlanError(f"{where} : clé inconnue « {key} » (attendu : financeur, taux ou montant)")
        if name == "financeur":
            line["financeur"] = cell_text(value)
        elif name == "taux":
            line["taux"] = _rate(value, where)
        else:
            line["montant"] = _amount(value, where, "montant")
    if not line["financeur"]:
        raise PlanError(f"{where} : financeur manquant ({_FINANCEMENT_EXAMPLE})")
    return line


def _financement_text(text: str, where: str) -> dict[str, Any]:
    text = cell_text(text)
    rate = _RATE_IN_TEXT.search(text)
    if rate:
        financeur = text[:rate.start()] + " " + text[rate.end():]
        line = {"taux": _rate(rate.group(1), where), "montant": None}
    else:
        amounts = [m for m in re.finditer(r"\d[\d\s\u00a0\u202f.,]*\s*(?:k€|m€|€|euros?)", text, re.I)]
        if not amounts and re.search(r"\d", text):
            raise PlanError(f"{where} : « {text} » : précisez « % » pour un taux ou « € » pour un montant "
                            f"({_FINANCEMENT_EXAMPLE})")
        financeur = text
        line = {"taux": None, "montant": None}
        if amounts:
            found = amounts[-1]
            financeur = text[:found.start()] + " " + text[found.end():]
            line["montant"] = _amount(found.group(0), where, "montant")
    line["financeur"] = re.sub(r"\s+", " ", financeur).strip(" :-–—()")
    if not line["financeur"]:
        raise PlanError(f"{where} : financeur manquant dans « {text} » ({_FINANCEMENT_EXAMPLE})")
    return {"financeur": line["financeur"], "taux": line["taux"], "montant": line["montant"]}


def _rate(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise PlanError(f"{where}, taux illisible « {value} »")
    if isinstance(value, (int, float)):
        rate = float(value)
    else:
        text = str(value).strip().rstrip("%").strip().replace(",", ".")
        try:
            rate = float(text)
        except ValueError:
            raise PlanError(f"{where}, taux illisible « {value} » (exemple : 30 pour 30 %)") from None
    if not math.isfinite(rate) or not 0 < rate <= 100:
        raise PlanError(f"{where}, taux impossible « {value} » (attendu : un pourcentage entre 0 et 100)")
    return rate


def _population(value: Any, where: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise PlanError(f"{where}, champ « population » : nombre non fini « {value} »")
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
