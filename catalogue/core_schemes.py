"""The core schemes for every territory (issue 12), expanded from ``data/sources/core-schemes.yaml``.

A chef de projet anywhere in France must at least see the State dotations, the FEDER programme of
the région and the national schemes. The facts file holds one entry per family with the page its
facts were read on; this module turns it into records:

- DETR: one per département listed in the national form, with that département's priority
  categories 2025-2026 (``detr-categories-2025-2026.csv``) said to be « d'après le formulaire
  national — à vérifier auprès de la préfecture », test markers of the form copy removed;
- DSIL, DSID, FEDER: one per région (DSID also for the collectivités that receive a quote-part);
- DPV, FIPD, FNADT, France services, Conseiller numérique, Banque des Territoires offers, France
  Num: national records.

Every record carries its ``programmes`` label (INTERFACES.md), its page address, the date the
facts were read (``data_date``) and leaves empty what the pages do not say.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import territory
from .model import Scheme
from .paths import shipped

FACTS_PATH = shipped("data", "sources", "core-schemes.yaml")
DETR_CATEGORIES_PATH = shipped("data", "sources", "detr-categories-2025-2026.csv")
MENTION = "Faits relevés le {read_on} sur {url} (page publique, paraphrasés)"
FORM_CAVEAT = "d'après le formulaire national — à vérifier auprès de la préfecture"
# Marks left in the TEST copy of the national form (« … scolaires TEST !! », « (02 - Aisne) ? »).
_TEST_MARKERS = re.compile(r"\s*\bTEST\b\s*!*|\s+\?$")
# Facts keys copied onto the Scheme as they are (same names as the model's fields).
_PLAIN_FIELDS = ("funders", "instructors", "beneficiaries", "aid_types", "destinations", "steps", "themes",
                 "keywords", "recurrence", "rate_min", "rate_max", "rate_comment", "amount_min", "amount_max",
                 "application_url", "is_call_for_project", "archived", "project_examples", "contact")


class CoreSchemesError(ValueError):
    """The facts file is malformed; ``str()`` is a French sentence."""


@dataclass
class DetrDepartment:
    """The rows of one département in the national form: categories by group, or the form's note."""
    code: str
    groups: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""

    @property
    def categories(self) -> list[str]:
        return [c for items in self.groups.values() for c in items]


def drop_test_markers(text: str) -> str:
    return re.sub(r"\s+", " ", _TEST_MARKERS.sub("", text)).strip()


def read_detr_categories(path: Path = DETR_CATEGORIES_PATH) -> dict[str, DetrDepartment]:
    """Département code -> its DETR categories in the form. A département whose only row has no
    group heading carries a note instead (« Merci d'attendre la mise en ligne… »)."""
    rows: dict[str, list[tuple[str, str]]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            rows.setdefault(row["departement"].strip(), []).append(
                (drop_test_markers(row["groupe"] or "").rstrip(" :"), drop_test_markers(row["categorie"] or "")))
    departments = {}
    for code, items in rows.items():
        if len(items) == 1 and not items[0][0]:
            departments[code] = DetrDepartment(code, note=items[0][1])
            continue
        department = DetrDepartment(code)
        for group, category in items:
            if category:
                department.groups.setdefault(group, []).append(category)
        departments[code] = department
    return departments


def load_facts(path: Path = FACTS_PATH) -> dict[str, Any]:
    try:
        facts = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CoreSchemesError(f"{path.name} : YAML illisible ({error})") from None
    if not isinstance(facts, dict):
        raise CoreSchemesError(f"{path.name} : un dictionnaire de familles est attendu")
    return _plain(facts)


def _plain(value: Any) -> Any:
    """YAML dates as ISO strings, so that the facts can be kept as a record's JSON ``raw``."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def build(referential=None, facts_path: Path = FACTS_PATH,
          categories_path: Path = DETR_CATEGORIES_PATH) -> list[Scheme]:
    """Every core record, sorted by id."""
    referential = referential or territory.load()
    facts = load_facts(facts_path)
    schemes: list[Scheme] = []
    schemes += detr_records(facts["detr"], facts["national_form"], read_detr_categories(categories_path),
                            referential)
    schemes += regional_records(facts["dsil"], referential, priorities=True)
    if "dsid" in facts:
        schemes += regional_records(facts["dsid"], referential)
    if "feder" in facts:
        schemes += feder_records(facts["feder"], referential)
    for family in facts.get("national", []):
        schemes.append(_scheme(family, f"{family['id']}", "FR", "France", family["title"]))
    return sorted(schemes, key=lambda s: s.id)


# -- DETR ---------------------------------------------------------------------------------------------
def detr_records(family: dict, form: dict, departments: dict[str, DetrDepartment], referential) -> list[Scheme]:
    revision = _date(form["revision_published"])
    schemes = []
    for code in sorted(departments):
        department = departments[code]
        place = referential.get(f"DEP:{code}")
        lines = [family["description"].strip(), ""]
        source_line = f"source : {form['name']}, version publiée le {revision:%d/%m/%Y}"
        if department.groups:
            lines.append(f"Catégories prioritaires 2025-2026 en {place.name}, {FORM_CAVEAT} ({source_line}) :")
            for group, categories in department.groups.items():
                if group:
                    lines.append(f"{group} :")
                lines += [f"- {category}" for category in categories]
        else:
            lines.append(f"Catégories prioritaires 2025-2026 en {place.name} : pas encore publiées dans le "
                         f"formulaire national, qui indique « {department.note} » ({FORM_CAVEAT}).")
        scheme = _scheme(family, f"detr:{code}", place.code, place.name,
                         f"DETR {place.name} — {family['name']}", description="\n".join(lines))
        scheme.themes = [g for g in department.groups if g]
        scheme.application_url = scheme.application_url or form["url"]
        scheme.raw = {**scheme.raw, "form": form["url"], "categories": department.groups, "note": department.note}
        schemes.append(scheme.validate())
    return schemes


# -- DSIL, DSID: one record per région ---------------------------------------------------------------------
def regions(referential, zones: list[str]) -> list[tuple[str, str]]:
    """(code, name) of the régions of these zones: ``metro`` and ``drom`` (the 18 régions)."""
    wanted = {"metro": "METRO", "drom": "OM"}
    out = []
    for code in referential.territories:
        if not re.fullmatch(r"REG:\d{2}", code):  # 3-digit REG codes are the COM, not régions
            continue
        if any(parent == wanted[zone] for zone in zones for parent in referential.parents[code]):
            out.append((code, referential.territories[code].name))
    return out


def regional_records(family: dict, referential, priorities: bool = False) -> list[Scheme]:
    prefix = family["source"]
    schemes = []
    for code, name in regions(referential, family["regions"]):
        description = family["description"].strip()
        if priorities:
            description += "\n\nCatégories d'opérations (" + family["legal_basis"] + ", formulaire national) :\n" \
                + "\n".join(f"- {p}" for p in family["priorities"])
        scheme = _scheme(family, f"{prefix}:{code.split(':')[1]}", code, name,
                         f"{family['programme']} {name} — {family['name']}", description=description)
        if priorities:
            scheme.themes = [re.sub(r"^\d°\s*", "", p) for p in family["priorities"]]
        scheme.beneficiaries = list(family.get("beneficiaries_by_region", {}).get(code.split(":")[1],
                                                                               scheme.beneficiaries))
        schemes.append(scheme.validate())
    for extra in family.get("collectivites", []):  # e.g. the DSID quote-part of Saint-Martin…
        place = referential.get(extra["perimeter"])
        scheme = _scheme({**family, **extra}, f"{prefix}:{place.code.split(':')[1]}", place.code, place.name,
                         f"{family['programme']} {place.name} — {family['name']}")
        schemes.append(scheme.validate())
    return schemes


# -- FEDER: the 2021-2027 programme of each région ----------------------------------------------------------
def feder_records(family: dict, referential) -> list[Scheme]:
    schemes = []
    for programme in family["programmes"]:
        code = f"REG:{programme['region']}"
        place = referential.get(code)
        facts = {**family, **programme}
        lines = [f"Programme : {programme['name']}."]
        if programme.get("managing_authority"):
            lines.append(f"Autorité de gestion : {programme['managing_authority']}.")
        if programme.get("digital_objectives"):
            lines.append("Objectifs numériques (d'après les pages lues) : " + " ; ".join(programme["digital_objectives"])
                         + ".")
        else:
            lines.append("Objectifs numériques : à compléter (non relevés sur les pages lues).")
        if programme.get("site"):
            lines.append(f"Site des fonds européens : {programme['site']}")
        lines += ["", family["description"].strip()]
        if programme.get("facts"):
            lines += ["", programme["facts"].strip()]
        scheme = _scheme(facts, f"feder:{programme['region']}", code, place.name,
                         f"FEDER {place.name} — {programme['name']}", description="\n".join(lines))
        scheme.programmes = [family["programme"], programme["name"]]
        authority = programme.get("managing_authority", "")
        if authority and "à vérifier" not in authority:
            scheme.funders = [*scheme.funders, authority]
        schemes.append(scheme.validate())
    return schemes


# -- one record ------------------------------------------------------------------------------------
def _scheme(facts: dict, scheme_id: str, perimeter: str, perimeter_label: str, title: str,
            description: str | None = None) -> Scheme:
    read_on = _date(facts["read_on"])
    values = {name: facts[name] for name in _PLAIN_FIELDS if name in facts}
    for name in ("funders", "instructors", "beneficiaries", "aid_types", "destinations", "steps", "themes",
                 "keywords"):
        values[name] = list(values.get(name, []))
    also = facts.get("also_read") or []
    text = (description if description is not None else facts.get("description", "")).strip()
    if also:
        text += "\n\nAutres pages lues : " + " ; ".join(also)
    return Scheme(
        id=scheme_id, source=facts["source"], title=title, name_initial=facts.get("name", ""),
        url=facts["page_url"], description=text, eligibility=(facts.get("eligibility") or "").strip(),
        programmes=[facts["programme"], *facts.get("also_programmes", [])],
        perimeter=perimeter, perimeter_label=perimeter_label,
        start_date=_date(facts.get("start_date")), deadline=_date(facts.get("deadline")),
        licence=MENTION.format(read_on=f"{read_on:%d/%m/%Y}", url=facts["page_url"]),
        data_date=read_on.isoformat(), raw={"page_url": facts["page_url"], "read_on": read_on.isoformat()},
        **values,
    ).validate()


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
