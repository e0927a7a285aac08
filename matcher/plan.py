"""The plan numérique: a collectivité and its actions (contract in DESIGN.md).

``load_plan(path)`` picks the reader from the file extension. Every reader returns a ``Plan``
or raises ``PlanError`` with a French message naming the file, and the line/row/action and
field at fault.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aidenum.catalogue.vocabularies import COLLECTIVITE_TYPES, fold


class PlanError(ValueError):
    """A plan that cannot be read; ``str()`` is a French sentence for the user."""


@dataclass
class Collectivite:
    nom: str
    type: str                      # beneficiary slug: commune, epci, department, region, association…
    code: str | None = None        # INSEE or SIREN as written in the plan
    territory: str | None = None   # resolved territory code: COM:…, EPCI:…, DEP:…, REG:…
    departement: str | None = None
    region: str | None = None
    population: int | None = None
    chef_de_file: bool = False     # CGCT L1111-10: 30 % minimum self-financing when chef de file


@dataclass
class Action:
    id: str
    titre: str
    description: str = ""
    axe: str = ""
    budget_ht: float | None = None
    debut: str | None = None       # "2027-03"
    fin: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.titre, self.axe, self.description) if part)


@dataclass
class Plan:
    collectivite: Collectivite
    actions: list[Action]
    source: str = ""

    def action(self, action_id: str) -> Action:
        for action in self.actions:
            if action.id == action_id:
                return action
        known = ", ".join(a.id for a in self.actions)
        raise PlanError(f"action « {action_id} » absente du plan (actions connues : {known})")


def collectivite_type(value: str, where: str) -> str:
    slug = COLLECTIVITE_TYPES.get(fold(value or "").replace("é", "e"))
    if not slug:
        choices = "commune, epci, departement, region, association, etablissement public, sem, spl"
        raise PlanError(f"{where} : type de collectivité inconnu « {value} » (attendu : {choices})")
    return slug


def load_plan(path: str | Path, **options) -> Plan:
    """Read a plan from YAML, CSV, XLSX or DOCX according to the extension."""
    path = Path(path)
    if not path.exists():
        raise PlanError(f"fichier introuvable : {path}")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        from .plan_readers import read_yaml
        return read_yaml(path)
    if suffix == ".csv":
        from .plan_readers import read_csv
        return read_csv(path, **options)
    if suffix in (".xlsx", ".xlsm"):
        from .plan_readers import read_xlsx
        return read_xlsx(path, **options)
    if suffix == ".docx":
        from .plan_readers import read_docx
        return read_docx(path, **options)
    raise PlanError(f"{path.name} : format de plan non reconnu « {suffix} » (attendu : .yaml, .csv, .xlsx, .docx)")
