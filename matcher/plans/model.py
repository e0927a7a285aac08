"""The plan numérique's model: a collectivité and its actions (contract in DESIGN.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
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
    # what the collectivité states about its funding; it always wins over proposals.
    # One dict per line: {"financeur": "DETR", "taux": 30.0 | None, "montant": 36000.0 | None}
    financement: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.titre, self.axe, self.description) if part)


@dataclass
class Plan:
    collectivite: Collectivite
    actions: list[Action]
    source: str = ""
    # French sentences the commands print before the results (e.g. no territory filtering)
    warnings: list[str] = field(default_factory=list)

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
