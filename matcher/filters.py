"""Hard eligibility filters, applied BEFORE ranking; every exclusion has a French reason.

Decisions (see also the report of issue 4):

- **No beneficiaries listed**: the scheme is kept, with the note « bénéficiaires non précisés
  par la source : à vérifier ». Sources often omit the field (saved pages, fact sheets); an
  unknown audience is not a proof of ineligibility, and dropping these would hide DSIL-like
  schemes whose page only says so in prose.
- **Reserved to businesses** (beneficiaries only among private-sector / private-person /
  farmer): the collectivité cannot be the project owner, so the scheme is excluded — except
  for an action where the collectivité relays support to local businesses, detected in the
  action text (commerçants, entreprises, TPE/PME, artisans, commerce de proximité, tissu
  économique…). Then it is kept with the note « à relayer auprès des entreprises ».
- **Territory**: ``Referential.is_open_to(perimeter, applicant)`` — the perimeter is the
  applicant's territory, contains it, or lies inside it. Without any territory in the plan
  (no code, no département, no région) nothing is excluded on this ground.
- **Status**: closed schemes (deadline passed, withdrawn from their source, archived) are
  excluded unless ``include_closed``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from aidenum.catalogue.model import Scheme
from aidenum.catalogue.formatting import fold
from aidenum.catalogue.vocabularies import BENEFICIARIES, STATUSES

BUSINESS_ONLY = frozenset({"private-sector", "private-person", "farmer"})
_RELAY_RE = re.compile(
    r"\b(commercants?|commerces?( de proximite)?|entreprises?|tpe|pme|tpe/pme|artisans?|artisanat"
    r"|acteurs economiques|tissu economique|professionnels locaux|independants)\b")


@dataclass
class Applicant:
    """What the filters need to know about the collectivité."""
    type: str                      # beneficiary slug
    territory: str | None          # COM:…, EPCI:…, DEP:…, REG:… or None
    name: str = ""

    @classmethod
    def from_collectivite(cls, collectivite) -> "Applicant":
        territory = collectivite.territory
        if not territory and collectivite.departement:
            territory = f"DEP:{collectivite.departement}"
        if not territory and collectivite.region:
            territory = f"REG:{collectivite.region}"
        return cls(collectivite.type, territory, collectivite.nom)


@dataclass
class Verdict:
    reason: str = ""                                 # "exclue : …" when excluded
    notes: list[str] = field(default_factory=list)   # caveats shown with a kept match

    @property
    def ok(self) -> bool:
        return not self.reason


def relays_to_businesses(action_text: str) -> bool:
    """True when the action is about supporting local businesses (France Num may then apply)."""
    return bool(_RELAY_RE.search(fold(action_text)))


def check(scheme: Scheme, applicant: Applicant | None, referential, today: dt.date,
          include_closed: bool = False, relay: bool = False) -> Verdict:
    """All filters in order: business-only, beneficiaries, territory, status."""
    verdict = Verdict()
    if applicant is not None:
        for rule in (check_business, check_beneficiary):
            reason = rule(scheme, applicant, relay, verdict.notes)
            if reason:
                return Verdict(reason)
        reason = check_territory(scheme, applicant, referential)
        if reason:
            return Verdict(reason)
    reason = check_status(scheme, today, include_closed, verdict.notes)
    if reason:
        return Verdict(reason)
    return verdict


def check_business(scheme: Scheme, applicant: Applicant, relay: bool, notes: list[str]) -> str:
    beneficiaries = set(scheme.beneficiaries)
    if not beneficiaries or not beneficiaries <= BUSINESS_ONLY or applicant.type in beneficiaries:
        return ""
    if relay:
        notes.append("aide réservée aux entreprises : à relayer auprès des entreprises du territoire "
                     "(la collectivité n'en est pas bénéficiaire)")
        return ""
    return "exclue : réservée aux entreprises"


def check_beneficiary(scheme: Scheme, applicant: Applicant, relay: bool, notes: list[str]) -> str:
    beneficiaries = scheme.beneficiaries
    if not beneficiaries:
        notes.append("bénéficiaires non précisés par la source : à vérifier")
        return ""
    if applicant.type in beneficiaries or (relay and set(beneficiaries) <= BUSINESS_ONLY):
        return ""
    labels = ", ".join(BENEFICIARIES.get(b, b) for b in beneficiaries)
    return f"exclue : bénéficiaires {labels} (pas {BENEFICIARIES.get(applicant.type, applicant.type)})"


def check_territory(scheme: Scheme, applicant: Applicant, referential) -> str:
    if not applicant.territory or referential.is_open_to(scheme.perimeter, applicant.territory):
        return ""
    where = applicant.name or referential.label(applicant.territory)
    if applicant.name and applicant.territory in referential.territories:
        where = f"{applicant.name} [{referential.label(applicant.territory)}]"
    return f"exclue : territoire {referential.label(scheme.perimeter)} hors de {where}"


def check_status(scheme: Scheme, today: dt.date, include_closed: bool, notes: list[str]) -> str:
    """Closed: excluded (kept with a note under ``include_closed``); a stale date: kept, with the warning."""
    status = scheme.status_detail(today)
    if status.code == "stale":
        notes.append(f"attention : {STATUSES['stale']} ({status.reason})")
        return ""
    if status.code != "closed":
        return ""
    if include_closed:
        notes.append(f"attention : {status.reason}")
        return ""
    return f"exclue : {status.reason}"


class Eligibility:
    """The hard filters over a whole index at once, from its side-file columns (see
    ``matcher.index.Facts``) rather than from full schemes: the verdict of ``check`` depends on
    (beneficiaries, perimeter) for the applicant rules and on (deadline, recurrence, archived,
    closed) for the status, so each distinct combination is checked once, with ``check``'s own
    rules, and the documents follow their combination."""

    def __init__(self, facts):
        self._who: dict[tuple, int] = {}
        self._when: dict[tuple, int] = {}
        self.who_of = [self._who.setdefault((tuple(b), p), len(self._who))
                       for b, p in zip(facts.beneficiaries, facts.perimeter)]
        self.when_of = [self._when.setdefault((d, r, a, bool(c), e), len(self._when))
                        for d, r, a, c, e in zip(facts.deadline, facts.recurrence, facts.archived, facts.closed_at,
                                                 facts.end_evidence)]

    def allowed(self, applicant: Applicant | None, referential, today: dt.date, include_closed: bool = False,
                relay: bool = False) -> frozenset[int]:
        """Docnums of the schemes ``check`` keeps for this applicant."""
        who_ok = [True] * len(self._who)
        if applicant is not None:
            # the beneficiary rules read only the beneficiaries and the territory rule only the
            # perimeter: each distinct value is checked once (10,000 schemes hold 6,000 pairs)
            by_beneficiaries: dict[tuple, bool] = {}
            by_perimeter: dict[str, bool] = {}
            for (beneficiaries, perimeter), group in self._who.items():
                ok = by_beneficiaries.get(beneficiaries)
                if ok is None:
                    stub = Scheme(id="x:x", source="x", title="x", beneficiaries=list(beneficiaries))
                    ok = by_beneficiaries[beneficiaries] = not (check_business(stub, applicant, relay, [])
                                                               or check_beneficiary(stub, applicant, relay, []))
                if ok:
                    ok = by_perimeter.get(perimeter)
                    if ok is None:
                        stub = Scheme(id="x:x", source="x", title="x", perimeter=perimeter)
                        ok = by_perimeter[perimeter] = not check_territory(stub, applicant, referential)
                who_ok[group] = ok
        when_ok = [False] * len(self._when)
        for (deadline, recurrence, archived, closed, evidence), group in self._when.items():
            stub = Scheme(id="x:x", source="x", title="x", recurrence=recurrence, archived=archived,
                          deadline=dt.date.fromisoformat(deadline) if deadline else None,
                          closed_at="closed" if closed else None, end_evidence=evidence)
            when_ok[group] = not check_status(stub, today, include_closed, [])
        return frozenset(docnum for docnum, (who, when) in enumerate(zip(self.who_of, self.when_of))
                         if who_ok[who] and when_ok[when])
