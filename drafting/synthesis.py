"""The synthesis of a whole plan: per action, the eligible schemes and the funding sought; totals.

The one place where the synthesis is computed; the renderers (``synthesis_docx``,
``synthesis_xlsx``, ``synthesis_html``) only lay out what this module returns.

Rules:

- the schemes listed for an action are the matcher's own matches (``aidenum match``: same
  engine, same hard filters), so a scheme the collectivité may not use is never listed; a
  national dispositif (DETR, DSIL, FEDER…) is listed once, at its best-ranked record, since a
  project makes one request to it;
- what the collectivité states wins: the action's ``financement`` in the plan, then the
  ``--taux``/``--montant`` options (which apply to every action where the funder they name is
  among the listed schemes). When it states something, the financing plan holds exactly the
  funders it names; when it states nothing, the plan holds the best-ranked grant (a loan only
  when no grant is listed), sized as ``aidenum draft`` sizes it: an observed rate of comparable funded projects
  (« proposition … à confirmer »), else the published maximum rate (« à ajuster »), else
  « à compléter »; the other listed schemes are alternatives without an amount;
- the amounts, the 80 % (70 %) public-aid cap and the self-financing come from
  ``financing.build_plan``, the rule the drafts use; nothing is recomputed here;
- totals per funder add up the known amounts of the grants (loans are self-financing); an
  amount « à compléter » is counted apart, never guessed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from aidenum.catalogue.formatting import range_fr

from .family import dispositif_of
from .financing import (HUNDRED, FinancingError, FinancingPlan, FundingLine, Stated, build_plan, format_rate, funder_of,
                        kind_of, stated_for, stated_from, to_decimal)

DEFAULT_TOP = 3  # « the best two or three eligible schemes » of each action (issue 13)
# Matches asked of the matcher per scheme shown: room to skip a second record of a dispositif
# already listed (the DSIL fact sheet and its Aides-territoires copy are one DSIL request).
CANDIDATES_PER_OPTION = 3


def match_depth(top: int) -> int:
    """How many matches the callers ask the matcher for, to show ``top`` distinct schemes."""
    return top * CANDIDATES_PER_OPTION

KIND_LABELS = {"grant": "subvention", "loan": "prêt", None: "ingénierie"}
ORIGIN_LABELS = {"stated": "demandé par la collectivité", "proposal": "proposition à confirmer",
                 "published": "taux maximal publié, à ajuster", "": "à compléter"}


@dataclass
class Observed:
    """What comparable funded projects got from the scheme's dispositif (matcher/similar.py)."""
    rate: Decimal | None      # median rate, percent
    count: int
    sentence: str             # « 46 projets comparables financés par la DETR en France… »


@dataclass
class Option:
    """One eligible scheme of an action, best first; ``line`` is set when it is in the financing plan."""
    rank: int
    scheme: object
    funder: str               # the label totals are grouped by (« DETR — État (préfet de département) »)
    kind: str | None          # grant, loan, or None (engineering: no money)
    observed: Observed | None = None
    line: FundingLine | None = None

    @property
    def rate_range(self) -> str:
        return range_fr(self.scheme.rate_min, self.scheme.rate_max, lambda rate: format_rate(to_decimal(rate)))

    @property
    def ceiling(self) -> Decimal | None:
        return to_decimal(self.scheme.amount_max, "montant maximal")

    @property
    def deadline(self) -> dt.date | None:
        return self.scheme.deadline


@dataclass
class ActionRow:
    action: object
    options: list[Option]
    financing: FinancingPlan
    stated: list[Stated]
    extra: list[FundingLine] = field(default_factory=list)  # stated funders that name no listed scheme

    @property
    def budget(self) -> Decimal | None:
        return self.financing.budget

    @property
    def lines(self) -> list[tuple[FundingLine, Option | None]]:
        """The financing plan's grants and loans, each with its option (None for a stated extra)."""
        by_id = {o.scheme.id: o for o in self.options}
        return [(line, by_id.get(line.scheme_id)) for line in self.financing.grants + self.financing.loans]

    def states_amount(self, line: FundingLine, option: Option | None) -> bool:
        """True when the collectivité states this line's amount (not a rate)."""
        if line.origin != "stated":
            return False
        entry = (stated_for(option.scheme, self.stated) if option is not None
                 else next((e for e in self.stated if e.funder == line.funder), None))
        return entry is not None and entry.amount is not None

    @property
    def aid_total(self) -> Decimal:
        """Known grant amounts (an amount « à compléter » adds nothing)."""
        return sum((g.amount for g in self.financing.grants if g.amount is not None), Decimal(0))

    @property
    def pending(self) -> int:
        return sum(1 for g in self.financing.grants if g.amount is None)

    @property
    def aid_share(self) -> Decimal | None:
        budget = self.budget
        return None if not budget else self.aid_total * HUNDRED / budget


@dataclass
class FunderTotal:
    funder: str
    sought: Decimal = Decimal(0)      # known grant amounts
    budget: Decimal = Decimal(0)      # budgets of the actions where an amount is sought from it
    pending: int = 0                  # grant lines whose amount is « à compléter »
    actions: list[str] = field(default_factory=list)


@dataclass
class Synthesis:
    collectivite: object
    today: dt.date
    rows: list[ActionRow]
    funders: list[FunderTotal]
    top: int
    warnings: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)  # data licences: set by ``add_credits``

    @property
    def title(self) -> str:
        return f"Synthèse du plan de financement — {self.collectivite.nom}"

    @property
    def budget_total(self) -> Decimal:
        return sum((r.budget for r in self.rows if r.budget is not None), Decimal(0))

    @property
    def aid_total(self) -> Decimal:
        return sum((r.aid_total for r in self.rows), Decimal(0))

    @property
    def self_financing_total(self) -> Decimal:
        """Budget minus known aid, over the actions with a budget (« hors montants à compléter »)."""
        return sum((r.budget - r.aid_total for r in self.rows if r.budget is not None), Decimal(0))

    @property
    def pending(self) -> int:
        return sum(r.pending for r in self.rows)

    @property
    def missing_budgets(self) -> list[str]:
        return [r.action.id for r in self.rows if r.budget is None]

    @property
    def aid_share(self) -> Decimal | None:
        return None if not self.budget_total else self.aid_total * HUNDRED / self.budget_total


def add_credits(synthesis: Synthesis, at_last_update: str | None) -> None:
    """The credits the data licences ask for: Aides-territoires (with its date), funded projects."""
    from aidenum.matcher.report import LAUREATES_CREDIT, credit_line
    schemes = [o.scheme for r in synthesis.rows for o in r.options]
    if any(s.source == "at" for s in schemes) and credit_line(at_last_update):
        synthesis.credits.append(credit_line(at_last_update))
    if any(o.observed is not None for r in synthesis.rows for o in r.options):
        synthesis.credits.append(LAUREATES_CREDIT)


def funder_label(scheme) -> str:
    """« DETR — État (préfet de département) »; the funders alone when no national dispositif."""
    dispositif, funder = dispositif_of(scheme), funder_of(scheme)
    return f"{dispositif} — {funder}" if dispositif and dispositif != funder else funder


def option_rates(rates: list[str], amounts: list[str]) -> list[tuple[str, bool, Stated]]:
    """The ``--taux``/``--montant`` options, each checked once (French errors for a bad value)."""
    from types import SimpleNamespace
    blank = SimpleNamespace(id="(options)", financement=[])
    parsed = []
    for raw, is_rate in [(r, True) for r in rates] + [(a, False) for a in amounts]:
        entry = stated_from(blank, [raw] if is_rate else [], [] if is_rate else [raw])[0]
        parsed.append((raw, is_rate, entry))
    return parsed


def build_synthesis(plan, matches: dict[str, list], *, top: int = DEFAULT_TOP, today: dt.date | None = None,
                    rates: tuple[str, ...] = (), amounts: tuple[str, ...] = (), chef_de_file: bool | None = None,
                    exception: str | None = None, proposer=None, similar=None) -> Synthesis:
    """The synthesis of ``plan``; ``matches`` are the matcher's results per action id, best first.

    ``proposer``: a ``proposals.RateProposer`` (None: no observed-rate proposal); ``similar``: the
    funded-projects look-up for the observed rate shown beside each scheme (None: not shown).
    Raises ``FinancingError`` (French) for a bad statement, and for an option that names no
    funder listed for any action (it would otherwise be silently ignored)."""
    today = today or dt.date.today()
    chef = plan.collectivite.chef_de_file if chef_de_file is None else chef_de_file
    options_given = option_rates(list(rates), list(amounts))
    used_options: set[str] = set()
    rows = []
    for action in plan.actions:
        options = _options(action, matches.get(action.id, []), top, plan.collectivite, similar)
        applying = [(raw, is_rate) for raw, is_rate, entry in options_given
                    if any(stated_for(o.scheme, [entry]) for o in options)]
        used_options.update(raw for raw, _ in applying)
        stated = stated_from(action, [r for r, is_rate in applying if is_rate],
                             [r for r, is_rate in applying if not is_rate])
        rows.append(_row(plan, action, options, stated, chef, exception, proposer))
    unused = [raw for raw, _, _ in options_given if raw not in used_options]
    if unused:
        raise FinancingError(f"« {unused[0]} » : ce financeur ne figure parmi les dispositifs accessibles "
                             f"d'aucune action du plan (nommez un dispositif listé, par ex. DETR, DSIL, "
                             f"ou son identifiant)")
    return Synthesis(plan.collectivite, today, rows, _funder_totals(rows), top, list(plan.warnings))


def _options(action, matches: list, top: int, collectivite, similar) -> list[Option]:
    distinct, seen = [], set()
    for match in matches:
        key = dispositif_of(match.scheme) or match.scheme.id
        if key not in seen and len(distinct) < top:
            seen.add(key)
            distinct.append(match)
    evidence = similar.evidence(action.text, collectivite) if similar is not None and distinct else {}
    options = []
    for rank, match in enumerate(distinct, start=1):
        scheme = match.scheme
        found = evidence.get(dispositif_of(scheme) or "")
        observed = None
        if found is not None:
            rate = None if found.median_rate is None else to_decimal(found.median_rate, "taux observé")
            observed = Observed(rate, found.count, found.sentence)
        options.append(Option(rank, scheme, funder_label(scheme), kind_of(scheme.aid_types), observed))
    return options


def _row(plan, action, options: list[Option], stated: list[Stated], chef: bool, exception, proposer) -> ActionRow:
    if stated:
        retained = [o for o in options if stated_for(o.scheme, stated) is not None]
    else:
        # aid first: the best grant; a loan (self-financing, not aid) only when no grant is listed
        retained = next(([o] for o in options if o.kind == "grant"),
                        next(([o] for o in options if o.kind == "loan"), []))
    schemes = [o.scheme for o in retained]
    proposals = proposer.for_schemes(plan, action, schemes) if proposer is not None and schemes else {}
    financing = build_plan(action.budget_ht, schemes, chef_de_file=chef, exception=exception, stated=stated,
                           proposals=proposals)
    by_id = {o.scheme.id: o for o in retained}
    extra = []
    for line in financing.grants + financing.loans:
        if line.scheme_id in by_id:
            by_id[line.scheme_id].line = line
        else:
            extra.append(line)
    return ActionRow(action, options, financing, stated, extra)


def line_funder(line: FundingLine, option: Option | None) -> str:
    return option.funder if option is not None else line.funder


def _funder_totals(rows: list[ActionRow]) -> list[FunderTotal]:
    totals: dict[str, FunderTotal] = {}
    for row in rows:
        for line, option in row.lines:
            if line.kind != "grant":
                continue
            total = totals.setdefault(line_funder(line, option), FunderTotal(line_funder(line, option)))
            if line.amount is None:
                total.pending += 1
            else:
                total.sought += line.amount
                if row.budget is not None and line.amount > 0:
                    total.budget += row.budget
            if row.action.id not in total.actions:
                total.actions.append(row.action.id)
    return sorted(totals.values(), key=lambda t: (-t.sought, t.funder))


def basis_of(line: FundingLine) -> str:
    """Why the amount is what it is, in French: the line's notes (origin, ceiling, cap), else its label."""
    return " ; ".join(n for n in line.notes if n) or origin_label(line)


def origin_label(line: FundingLine) -> str:
    if line.kind == "loan":
        return "prêt : montant à compléter" if line.amount is None else "prêt indiqué par la collectivité"
    if line.amount is None:
        return "à compléter"
    return ORIGIN_LABELS.get(line.origin, "à compléter")


def applied_rate(line: FundingLine, budget: Decimal | None) -> Decimal | None:
    """The rate the amount is, in percent of the budget (after the cap and the ceiling)."""
    if line.amount is None or not budget:
        return None
    return line.amount * HUNDRED / budget


def observed_rate_text(observed: Observed) -> str:
    """« 43,5 % (11 projet(s) comparable(s)) », to the tenth as matcher/similar.py writes it."""
    return (f"{format_rate(observed.rate.quantize(Decimal('0.1')).normalize())} ({observed.count} projet(s) "
            f"comparable(s))")
