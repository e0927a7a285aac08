"""Financing-plan arithmetic: pure functions on ``Decimal``, exact to the cent.

Rules (DOMAIN.md §5):

- each grant is ``budget_ht × rate_max``, rounded *down* to the cent (a share never exceeds
  the published rate), then limited to the scheme's ``amount_max``; a scheme without a
  published rate gets no amount: it is left « à compléter », never guessed;
- CGCT L1111-10: public grants together are at most 80 % of the cost (70 % when the
  collectivité is chef de file), unless a documented exception applies; when the computed
  shares exceed the cap, the *last* shares are reduced (the first scheme is the one applied
  to) and a warning says so — the cap is never exceeded;
- loans and recoverable advances (typically Banque des Territoires) are repaid by the
  collectivité, so they are not aid: they sit *inside* the self-financing share (« dont
  emprunt ») and are left out of the 80 % cap. Their amount is the collectivité's decision,
  so it is « à compléter » with the upper bound stated;
- engineering-only schemes carry no money and stay out of the table (a warning says so);
- the self-financing share is the remainder, so that the lines add up exactly to the total;
  percentages are spread by largest remainder so that they add up to exactly 100,00 %.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Iterable

from aidenum.catalogue.formatting import MONTHS_FR, NBSP, amount_fr, month_year_fr, parse_month, percent_fr  # noqa: F401 (MONTHS_FR re-exported for ds_form)

from .grammar import name_of

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

CAP_DEFAULT = Decimal(80)
CAP_CHEF_DE_FILE = Decimal(70)
LEGAL_BASIS = "article L1111-10 du CGCT"


@dataclass(frozen=True)
class CapException:
    label: str
    cap: Decimal | None  # None: the level is set by the préfet's derogation, not by the law
    basis: str


# Documented exceptions to the minimum self-financing (DOMAIN.md §5, CGCT L1111-10 III).
EXCEPTIONS = {
    "renovation-urbaine": CapException(
        "opération de renouvellement urbain", None,
        "dérogation du représentant de l'État (CGCT L1111-10 III)"),
    "patrimoine": CapException(
        "patrimoine protégé (monument historique)", None,
        "dérogation du représentant de l'État (CGCT L1111-10 III)"),
    "calamite": CapException(
        "réparation des dégâts causés par une calamité publique", None,
        "dérogation du représentant de l'État (CGCT L1111-10 III)"),
    "renovation-energetique-ecoles": CapException(
        "rénovation énergétique des bâtiments scolaires", Decimal(90),
        "participation minimale ramenée à 10 % (loi n° 2024-279)"),
}

LOAN_TYPES = {"loan", "recoverable-advance"}
MONEY_TYPES = {"grant", "loan", "recoverable-advance", "cee", "other"}


class FinancingError(ValueError):
    """Input the arithmetic cannot accept; ``str()`` is French."""


@dataclass
class FundingLine:
    funder: str
    scheme_id: str
    scheme_title: str
    kind: str                          # "grant" or "loan"
    amount: Decimal | None = None      # None: « à compléter »
    rate: Decimal | None = None        # the scheme's published maximum rate (percent)
    ceiling: Decimal | None = None     # the scheme's amount_max
    share: Decimal | None = None       # percent of the total cost, set at the end
    capped: bool = False
    notes: list[str] = field(default_factory=list)
    origin: str = ""                   # where the amount comes from: see ORIGINS
    applied_rate: Decimal | None = None  # the rate the amount was computed with


# Where a grant's amount comes from, as shown in the financing table.
ORIGINS = {"stated": "demandé", "published": "max. publié", "proposal": "proposé"}


@dataclass(frozen=True)
class Stated:
    """What the collectivité says it will ask a funder: a rate (percent) or an amount."""
    funder: str
    rate: Decimal | None = None
    amount: Decimal | None = None
    source: str = "plan"           # "plan" (financement of the action) or "option" (--taux)


@dataclass(frozen=True)
class Proposal:
    """An observed rate (funded projects) offered when neither the user nor the scheme gives one."""
    rate: Decimal
    basis: str                     # « proposition : 30 %, taux médian de 23 projets … — à confirmer »


@dataclass
class FinancingPlan:
    budget: Decimal | None
    cap_rate: Decimal                  # percent of the cost public grants may reach
    cap_label: str
    grants: list[FundingLine]
    loans: list[FundingLine]
    self_financing: Decimal | None
    self_financing_share: Decimal | None
    min_self_financing: Decimal | None
    warnings: list[str]
    missing: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def cap_amount(self) -> Decimal | None:
        return None if self.budget is None else floor_cent(self.budget * self.cap_rate / HUNDRED)

    @property
    def grants_total(self) -> Decimal | None:
        if self.budget is None or any(line.amount is None for line in self.grants):
            return None
        return sum((line.amount for line in self.grants), Decimal(0))

    @property
    def complete(self) -> bool:
        return self.self_financing is not None


@dataclass
class SchedulePeriod:
    label: str
    months: int
    amount: Decimal | None


# -- formatting ------------------------------------------------------------------------------

def to_decimal(value, what: str = "montant") -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FinancingError(f"{what} invalide « {value} »")
    try:
        number = Decimal(str(value).replace(NBSP, "").replace(" ", "").replace(",", "."))
    except ArithmeticError:
        raise FinancingError(f"{what} invalide « {value} »") from None
    if not number.is_finite():
        raise FinancingError(f"{what} invalide « {value} »")
    return number


def floor_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_DOWN)


def format_eur(value: Decimal | None) -> str:
    """``Decimal('48000')`` -> ``'48 000,00 €'`` (no-break spaces)."""
    return "" if value is None else amount_fr(Decimal(value), group=NBSP, unit_space=NBSP)


def format_pct(value: Decimal | None) -> str:
    """``Decimal('40')`` -> ``'40,00 %'``."""
    return "" if value is None else percent_fr(Decimal(value), 2, fixed=True, unit_space=NBSP)


def format_rate(value: Decimal | None) -> str:
    """A published rate as printed by funders: ``'40 %'``, ``'37,5 %'``."""
    return "" if value is None else percent_fr(Decimal(value), unit_space=NBSP)


# -- the plan --------------------------------------------------------------------------------

def cap_for(chef_de_file: bool = False, exception: str | None = None) -> tuple[Decimal, str]:
    """The maximum share of public grants (percent) and a French sentence saying why."""
    if exception:
        if exception not in EXCEPTIONS:
            raise FinancingError(f"dérogation inconnue « {exception} » (attendu : {', '.join(EXCEPTIONS)})")
        rule = EXCEPTIONS[exception]
        if rule.cap is None:
            return HUNDRED, (f"exception au plafond de l'{LEGAL_BASIS} : {rule.label}, "
                             f"{rule.basis} ; le taux maximal est celui fixé par la dérogation")
        return rule.cap, f"exception : {rule.label}, {rule.basis}"
    if chef_de_file:
        return CAP_CHEF_DE_FILE, (f"collectivité chef de file : aides publiques limitées à 70 % du coût "
                                  f"HT, participation minimale de 30 % ({LEGAL_BASIS})")
    return CAP_DEFAULT, (f"aides publiques limitées à 80 % du coût HT, participation minimale "
                         f"de 20 % du maître d'ouvrage ({LEGAL_BASIS})")


def kind_of(aid_types: Iterable[str]) -> str | None:
    """grant / loan / None (engineering only: no money to put in the table)."""
    types = set(aid_types)
    if not types:
        return "grant"
    if types & LOAN_TYPES and "grant" not in types:
        return "loan"
    if types & MONEY_TYPES:
        return "grant"
    return None


def funder_of(scheme) -> str:
    funders = [f for f in (scheme.funders or []) if f.strip()]
    return ", ".join(funders) if funders else scheme.title


def stated_for(scheme, stated: list[Stated]) -> Stated | None:
    """The user's statement about ``scheme``: by id, dispositif label (« DETR ») or funder name."""
    from .family import dispositif_of
    keys = {_key(scheme.id), _key(scheme.title), _key(dispositif_of(scheme) or ""),
            *(_key(p) for p in scheme.programmes), *(_key(f) for f in scheme.funders)} - {""}
    for entry in stated:
        if _key(entry.funder) in keys:
            return entry
    return None


def _key(text: str) -> str:
    from aidenum.catalogue.vocabularies import fold
    return re.sub(r"[^a-z0-9:]+", " ", fold(text or "")).strip()


def build_plan(budget_ht, schemes: list, chef_de_file: bool = False,
               exception: str | None = None, stated: list[Stated] | None = None,
               proposals: dict[str, Proposal] | None = None) -> FinancingPlan:
    """The financing plan of one action financed by ``schemes`` (the first is applied to).

    ``stated``: the rates or amounts the collectivité gives (plan or command line); they win
    over everything else; a statement naming no scheme of the list becomes a line of its own.
    ``proposals``: observed rates by scheme id (capped by the published maximum), used where the
    collectivité states nothing, before the published maximum.
    """
    stated = [Stated(e.funder, to_decimal(e.rate, "taux"), to_decimal(e.amount, "montant"), e.source)
              for e in stated or []]
    proposals = dict(proposals or {})
    budget = to_decimal(budget_ht, "budget HT")
    if budget is not None:
        if budget < 0:
            raise FinancingError(f"budget HT négatif ({format_eur(budget)})")
        budget = budget.quantize(CENT, rounding=ROUND_HALF_UP)
        if budget == 0:
            budget = None
    cap_rate, cap_label = cap_for(chef_de_file, exception)
    warnings: list[str] = []
    missing: list[str] = []
    if budget is None:
        missing.append("coût total HT de l'opération (budget absent du plan)")
    if exception and EXCEPTIONS[exception].cap is None:
        missing.append(f"arrêté de dérogation du représentant de l'État ({EXCEPTIONS[exception].label})")

    grants, loans = [], []
    used: set[int] = set()
    for scheme in schemes:
        kind = kind_of(scheme.aid_types)
        if kind is None:
            warnings.append(f"« {scheme.title} » est une aide en ingénierie, sans montant : elle ne "
                            f"figure pas dans le plan de financement.")
            continue
        line = FundingLine(funder=funder_of(scheme), scheme_id=scheme.id, scheme_title=scheme.title,
                           kind=kind, rate=to_decimal(scheme.rate_max, "taux"),
                           ceiling=to_decimal(scheme.amount_max, "montant maximal"))
        entry = stated_for(scheme, stated)
        if entry is not None:
            used.add(stated.index(entry))
        if kind == "loan":
            if entry is not None and entry.amount is not None:
                line.amount, line.origin = entry.amount, "stated"
            loans.append(line)
        else:
            grants.append(line)
            _size_grant(line, budget, to_decimal(scheme.amount_min, "montant minimal"), warnings, missing,
                        entry, proposals.get(scheme.id))
    for index, entry in enumerate(stated):
        if index in used:
            continue
        line = FundingLine(funder=entry.funder, scheme_id="", scheme_title="indiqué par la collectivité",
                           kind="grant")
        grants.append(line)
        _size_grant(line, budget, None, warnings, missing, entry, None)

    cap_amount = None if budget is None else floor_cent(budget * cap_rate / HUNDRED)
    notes: list[str] = []
    if cap_amount is not None:
        _apply_cap(grants, cap_amount, cap_rate, warnings, notes)

    min_self = None if budget is None else budget - cap_amount
    self_financing = None
    if budget is not None and all(line.amount is not None for line in grants):
        self_financing = budget - sum((line.amount for line in grants), Decimal(0))
    elif budget is not None:
        missing.append(f"montant de l'autofinancement (au moins {format_eur(min_self)})")
    for line in loans:
        if line.amount is not None:
            line.notes.append("prêt remboursable, compté dans l'autofinancement et hors plafond des aides ; "
                              "montant indiqué par la collectivité")
            continue
        upper = self_financing if self_financing is not None else (budget if budget is not None else None)
        if line.ceiling is not None and (upper is None or line.ceiling < upper):
            upper = line.ceiling
        bound = f", au plus {format_eur(upper)}" if upper is not None else ""
        line.notes.append(f"prêt remboursable, compté dans l'autofinancement et hors plafond des aides{bound}")
        missing.append(f"montant de l'emprunt sollicité auprès {name_of(line.funder).of}{bound}")

    shares = _spread_shares(budget, [line.amount for line in grants] + [self_financing])
    for line, share in zip(grants, shares):
        line.share = share
    return FinancingPlan(budget=budget, cap_rate=cap_rate, cap_label=cap_label, grants=grants,
                         loans=loans, self_financing=self_financing,
                         self_financing_share=shares[-1] if shares else None,
                         min_self_financing=min_self, warnings=warnings, missing=missing, notes=notes)


def _size_grant(line: FundingLine, budget: Decimal | None, amount_min: Decimal | None,
                warnings: list[str], missing: list[str], entry: Stated | None = None,
                proposal: Proposal | None = None) -> None:
    if entry is not None:
        _size_stated(line, budget, entry, warnings)
        return
    if proposal is not None:  # an observed rate says more than a published maximum
        line.origin, line.applied_rate = "proposal", proposal.rate
        line.notes.append(proposal.basis)
        if budget is not None:
            line.amount = floor_cent(budget * proposal.rate / HUNDRED)
            _limit_to_ceiling(line)
        return
    if line.rate is None:
        ceiling = f" (plafond du dispositif : {format_eur(line.ceiling)})" if line.ceiling is not None else ""
        line.notes.append("taux non publié : montant à demander au financeur" + ceiling)
        missing.append(f"montant sollicité auprès {name_of(line.funder).of} (aucun taux publié){ceiling}")
        return
    line.origin, line.applied_rate = "published", line.rate
    line.notes.append(f"calculé au taux maximal publié ({format_rate(line.rate)}) : à ajuster au taux "
                      f"réellement demandé")
    if budget is None:
        return
    line.amount = floor_cent(budget * line.rate / HUNDRED)
    _limit_to_ceiling(line)
    if amount_min is not None and line.amount < amount_min:
        warnings.append(f"La part {name_of(line.funder).of} ({format_eur(line.amount)}) est inférieure au "
                        f"plancher du dispositif ({format_eur(amount_min)}) : la demande risque "
                        f"d'être irrecevable.")


def _limit_to_ceiling(line: FundingLine) -> None:
    if line.ceiling is not None and line.amount is not None and line.amount > line.ceiling:
        line.amount = line.ceiling.quantize(CENT, rounding=ROUND_DOWN)
        line.notes.append(f"limité au montant maximal du dispositif ({format_eur(line.ceiling)})")


def _size_stated(line: FundingLine, budget: Decimal | None, entry: Stated, warnings: list[str]) -> None:
    where = "dans le plan" if entry.source == "plan" else "sur la ligne de commande"
    line.origin = "stated"
    if entry.amount is not None:
        line.amount = entry.amount.quantize(CENT, rounding=ROUND_HALF_UP)
        if budget is not None and budget:
            line.applied_rate = line.amount * HUNDRED / budget
        line.notes.append(f"montant indiqué par la collectivité {where}")
    else:
        line.applied_rate = entry.rate
        line.notes.append(f"taux de {format_rate(entry.rate)} indiqué par la collectivité {where}")
        if budget is not None:
            line.amount = floor_cent(budget * entry.rate / HUNDRED)
    rate = line.applied_rate
    if line.rate is not None and rate is not None and rate > line.rate:
        warnings.append(f"Le taux demandé {name_of(line.funder).to} ({format_rate(rate.quantize(CENT))}) dépasse le taux "
                        f"maximal publié du dispositif ({format_rate(line.rate)}).")
    if line.ceiling is not None and line.amount is not None and line.amount > line.ceiling:
        warnings.append(f"Le montant demandé {name_of(line.funder).to} ({format_eur(line.amount)}) dépasse le montant "
                        f"maximal du dispositif ({format_eur(line.ceiling)}).")


def _apply_cap(grants: list[FundingLine], cap_amount: Decimal, cap_rate: Decimal,
               warnings: list[str], notes: list[str]) -> None:
    known = sum((line.amount for line in grants if line.amount is not None), Decimal(0))
    excess = known - cap_amount
    if excess > 0:
        warnings.append(f"Les aides calculées ({format_eur(known)}) dépassent le plafond des aides "
                        f"publiques ({format_rate(cap_rate)} du coût HT, soit {format_eur(cap_amount)}) "
                        f"de {format_eur(excess)} : les dernières parts sont réduites d'autant.")
        for line in sorted(reversed(grants), key=lambda g: g.origin == "stated"):
            if excess <= 0:
                break
            if not line.amount:
                continue
            cut = min(excess, line.amount)
            before = line.amount
            line.amount -= cut
            excess -= cut
            line.capped = True
            line.notes.append(f"réduit de {format_eur(before)} à {format_eur(line.amount)} "
                              f"pour respecter le plafond de {format_rate(cap_rate)}")
    if any(line.amount is None for line in grants):
        room = max(cap_amount - known, Decimal(0))
        notes.append(f"Les montants d'aide à compléter ne pourront pas dépasser {format_eur(room)} au total "
                     f"(plafond des aides publiques : {format_eur(cap_amount)})")


def _spread_shares(budget: Decimal | None, amounts: list[Decimal | None]) -> list[Decimal | None]:
    """Percent of the budget per amount, to the hundredth, adding up to exactly 100 when complete."""
    if budget is None or not budget:
        return [None] * len(amounts)
    exact = [None if a is None else a * HUNDRED / budget for a in amounts]
    shares = [None if e is None else e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    if all(s is not None for s in shares) and sum(amounts) == budget:
        leftover = int((HUNDRED - sum(shares)) / CENT)
        order = sorted(range(len(shares)), key=lambda i: exact[i] - shares[i], reverse=True)
        for i in order[:leftover]:
            shares[i] += CENT
    return shares


# -- échéancier ------------------------------------------------------------------------------

month_label = month_year_fr


def schedule(budget: Decimal | None, debut, fin) -> list[SchedulePeriod] | None:
    """Spending by calendar quarter, pro rata of the months of the action in each quarter.

    None when the calendar is missing or unreadable. The split is linear (the drafts say so,
    for the user to adjust); amounts add up exactly to the budget.
    """
    start, end = parse_month(debut), parse_month(fin)
    if not start or not end or end < start:
        return None
    quarters: dict[tuple[int, int], int] = {}
    year, month = start
    while (year, month) <= end:
        key = (year, (month - 1) // 3 + 1)
        quarters[key] = quarters.get(key, 0) + 1
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    total_months = sum(quarters.values())
    amounts: list[Decimal | None] = [None] * len(quarters)
    if budget is not None:
        exact = [budget * n / total_months for n in quarters.values()]
        amounts = [floor_cent(e) for e in exact]
        leftover = int((budget - sum(amounts)) / CENT)
        for i in sorted(range(len(amounts)), key=lambda i: exact[i] - amounts[i], reverse=True)[:leftover]:
            amounts[i] += CENT
    ordinal = {1: "1er", 2: "2e", 3: "3e", 4: "4e"}
    return [SchedulePeriod(f"{ordinal[q]} trimestre {y}", n, amount)
            for ((y, q), n), amount in zip(quarters.items(), amounts)]


# -- what the collectivité states --------------------------------------------------------------

def stated_from(action, rates: Iterable[str] = (), amounts: Iterable[str] = ()) -> list[Stated]:
    """The action's ``financement`` (plan) and the ``--taux``/``--montant`` options; options win.

    ``Action.financement`` is a list of ``{financeur, taux, montant}`` dicts (plans branch); an
    older plan object keeps the raw list in ``extra['financement']``: both are read.
    """
    entries: dict[str, Stated] = {}
    raw = getattr(action, "financement", None)
    if raw is None:
        raw = (getattr(action, "extra", None) or {}).get("financement")
    if isinstance(raw, dict):
        raw = [{"financeur": k, **(v if isinstance(v, dict) else {"taux": v})} for k, v in raw.items()]
    for item in raw or []:
        if not isinstance(item, dict) or not str(item.get("financeur") or "").strip():
            raise FinancingError(f"action {action.id} : chaque ligne de « financement » doit nommer son "
                                 f"financeur (par ex. « financeur: DETR, taux: 30 »)")
        funder = str(item["financeur"]).strip()
        rate = to_decimal(item.get("taux"), f"taux de {funder}")
        amount = to_decimal(item.get("montant"), f"montant de {funder}")
        entries[_key(funder)] = _checked(Stated(funder, rate, amount, "plan"), action.id)
    for option, is_rate in [(o, True) for o in rates] + [(o, False) for o in amounts]:
        name = "--taux" if is_rate else "--montant"
        funder, sep, value = option.partition("=")
        if not sep or not funder.strip() or not value.strip():
            raise FinancingError(f"{name} « {option} » : écrivez FINANCEUR=VALEUR (par ex. {name} "
                                 f"{'DETR=35' if is_rate else 'Région=36000'})")
        number = to_decimal(value.strip().rstrip("%€").strip(), f"{name} {funder.strip()}")
        entry = Stated(funder.strip(), number if is_rate else None, None if is_rate else number, "option")
        entries[_key(funder)] = _checked(entry, action.id)
    return list(entries.values())


def _checked(entry: Stated, action_id: str) -> Stated:
    if entry.rate is None and entry.amount is None:
        raise FinancingError(f"action {action_id} : indiquez un taux ou un montant pour {entry.funder}")
    if entry.rate is not None and not Decimal(0) < entry.rate <= HUNDRED:
        raise FinancingError(f"action {action_id} : taux de {entry.funder} hors de 0 à 100 % ({entry.rate})")
    if entry.amount is not None and entry.amount <= 0:
        raise FinancingError(f"action {action_id} : montant de {entry.funder} négatif ou nul")
    return entry
