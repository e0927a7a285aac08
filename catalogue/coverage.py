"""Which national scheme families a collectivité can see in the catalogue, said out loud (issue 12).

A project manager must know when the catalogue has nothing for her: « DETR Ain, DSIL
Auvergne-Rhône-Alpes, FEDER Auvergne-Rhône-Alpes, FIPD… présents ; DSID : réservée aux
départements ; FEDER : absent pour ce territoire ». A family is found through
``Scheme.programmes`` (the labels of INTERFACES.md); whether the collectivité may apply is decided
by ``aidenum.matcher.filters``, never here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

from .formatting import date_fr
from .model import Scheme
from .vocabularies import BENEFICIARIES, STATUSES

FAMILIES = ("DETR", "DSIL", "DSID", "DPV", "FNADT", "France services", "FIPD", "FEDER", "Conseiller numérique",
            "Banque des Territoires", "France Num")
# A territory scale -> the collectivité of that scale, for `catalogue couverture --territoire`.
TYPE_OF_SCALE = {"COM": "commune", "EPCI": "epci", "DEP": "department", "REG": "region"}
TYPE_LABELS = {"commune": "commune", "epci": "intercommunalité", "department": "département", "region": "région"}


class CoverageError(ValueError):
    """A territory coverage cannot be computed for; ``str()`` is a French sentence."""


@dataclass
class FamilyCoverage:
    family: str
    status: str                 # present | closed | relay | not-for-type | missing
    labels: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class Coverage:
    applicant_label: str
    families: list[FamilyCoverage]

    def of(self, status: str) -> list[FamilyCoverage]:
        return [f for f in self.families if f.status == status]

    @property
    def missing(self) -> list[str]:
        return [f.family for f in self.of("missing")]

    def lines(self) -> list[str]:
        """The short French block printed by `catalogue couverture` and above `match` results."""
        out = [f"Couverture des grands dispositifs pour {self.applicant_label} :"]
        groups = (("present", "présents"), ("closed", "clôturés"), ("relay", "à relayer auprès des entreprises"),
                  ("not-for-type", "non ouverts à ce type de collectivité"), ("missing", "absents du catalogue pour ce territoire"))
        for status, heading in groups:
            items = self.of(status)
            if not items:
                continue
            out.append(f"  {heading} : " + " ; ".join(_item_text(item) for item in items))
        if self.missing:
            out.append("  → pour les dispositifs absents, renseignez-vous auprès de la préfecture ou de la Région : "
                       "le catalogue ne les connaît pas ici.")
        return out

    def to_dict(self) -> dict:
        return {"collectivite": self.applicant_label,
                "familles": [{"famille": f.family, "statut": f.status, "dispositifs": f.labels, "detail": f.detail}
                             for f in self.families]}


def _item_text(item: FamilyCoverage) -> str:
    text = ", ".join(item.labels) if item.labels else item.family
    return f"{text} ({item.detail})" if item.detail else text


def of_applicant(schemes: Iterable[Scheme], applicant, referential, today: dt.date) -> Coverage:
    """The coverage of every family for ``applicant`` (a ``matcher.filters.Applicant``)."""
    from aidenum.matcher import filters
    by_family: dict[str, list[Scheme]] = {family: [] for family in FAMILIES}
    for scheme in schemes:
        for family in FAMILIES:
            if family in scheme.programmes:
                by_family[family].append(scheme)
    families = []
    for family, candidates in by_family.items():
        open_, closed, relay, other_type, stale = [], [], [], [], []
        for scheme in candidates:
            if filters.check_territory(scheme, applicant, referential):
                continue
            if filters.check_business(scheme, applicant, False, []):
                relay.append(scheme)
            elif filters.check_beneficiary(scheme, applicant, False, []):
                other_type.append(scheme)
            elif filters.check_status(scheme, today, False, []):
                closed.append(scheme)
            elif scheme.status(today) == "stale":
                stale.append(scheme)
            else:
                open_.append(scheme)
        coverage = _family_coverage(family, open_, closed, relay, other_type, stale)
        if coverage.status == "missing":
            coverage = _not_for_type(family, candidates, applicant) or coverage
        families.append(coverage)
    return Coverage(_applicant_label(applicant, referential), families)


def _not_for_type(family: str, candidates: list[Scheme], applicant) -> FamilyCoverage | None:
    """A family none of whose records, anywhere, is open to this type of collectivité (the DETR
    of no territory is open to a département) is « not for this type », not « missing here »."""
    from aidenum.matcher import filters
    if not candidates or any(not filters.check_beneficiary(s, applicant, False, []) for s in candidates):
        return None
    return _family_coverage(family, [], [], [], candidates)


def _family_coverage(family, open_, closed, relay, other_type, stale=()) -> FamilyCoverage:
    if open_:
        return FamilyCoverage(family, "present", _labels(family, open_))
    if stale:  # still matched, with the warning: present, but said
        return FamilyCoverage(family, "present", _labels(family, list(stale)), STATUSES["stale"])
    if closed:
        last = max((s.deadline for s in closed if s.deadline), default=None)
        detail = f"clôturé le {date_fr(last)}" if last else "clôturé : archivé, retiré de sa source ou terminé d'après son texte"
        return FamilyCoverage(family, "closed", _labels(family, closed), detail)
    if relay:
        return FamilyCoverage(family, "relay", _labels(family, relay), "réservé aux entreprises")
    if other_type:
        who = sorted({b for s in other_type for b in s.beneficiaries})
        return FamilyCoverage(family, "not-for-type", [family],
                              "réservé aux " + ", ".join(_lower_first(BENEFICIARIES.get(b, b)) for b in who))
    return FamilyCoverage(family, "missing", [family])


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _labels(family: str, schemes: list[Scheme]) -> list[str]:
    """« DETR Ain », « FEDER Auvergne-Rhône-Alpes », « FIPD » — narrowest perimeter first, once each."""
    seen: dict[str, None] = {}
    for scheme in sorted(schemes, key=lambda s: (s.perimeter == "FR", s.perimeter, s.id)):
        place = scheme.perimeter_label if scheme.perimeter not in ("FR", "EU") else ""
        seen.setdefault(f"{family} {place}".strip(), None)
    return list(seen)


def _applicant_label(applicant, referential) -> str:
    kind = TYPE_LABELS.get(applicant.type, applicant.type)
    if applicant.territory and applicant.territory in referential.territories:
        name = applicant.name or referential.territories[applicant.territory].name
        department = referential.department_of(applicant.territory)
        if department and department != applicant.territory:
            return f"{name} [{kind}, {referential.territories[department].name}]"
        return f"{name} [{kind}]"
    return f"{applicant.name or 'collectivité'} [{kind}]"


def applicant_for_territory(text: str, referential):
    """The collectivité a ``--territoire`` names: a commune, an EPCI, a département or a région."""
    from aidenum.matcher.filters import Applicant
    from .territory import TerritoryError
    try:
        code = referential.resolve(text)
    except TerritoryError as error:
        raise CoverageError(str(error)) from None
    kind = TYPE_OF_SCALE.get(code.split(":")[0])
    if kind is None:
        raise CoverageError(f"« {text} » désigne {referential.label(code)} : indiquez une commune, une "
                            "intercommunalité, un département ou une région")
    return Applicant(kind, code, referential.territories[code].name)


def schemes_of_families(catalogue, candidates: Iterable[str] | None = None) -> list[Scheme]:
    """The catalogue's schemes that belong to one of the families, by id (long texts not decoded
    when the whole catalogue is searched). ``candidates``: ids known to hold every such scheme
    (the index's facts list each record's programmes): only those few records are read, whole,
    instead of SQLite parsing every record's JSON to find them (0.1 s for 10,000 schemes)."""
    if candidates is not None:
        found = catalogue.get_many(candidates)
        schemes = [found[sid] for sid in sorted(found)]
    else:
        without = ("raw", "description", "eligibility", "project_examples", "contact")
        schemes = catalogue.all(without=without, programmes=FAMILIES)
    return [s for s in schemes if any(family in s.programmes for family in FAMILIES)]
