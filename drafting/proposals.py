"""Observed-rate proposals for a draft, from the funded-projects store (issue 11) when loaded.

``aidenum.matcher.similar.SimilarProjects`` answers « what rate did comparable projects get
from this dispositif? »; the draft shows it as a proposal (« proposition : 30 %, taux médian de
23 projets comparables… — à confirmer »), never as a fact, and only where neither the
collectivité nor the scheme gives a rate. Without the store (not loaded, or a checkout where
the module has not landed yet) there is no proposal and the amount stays « à compléter ».
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from .family import dispositif_of
from .financing import Proposal, to_decimal

# A median is offered only over this many observed rates: one or two projects are an anecdote.
MIN_RATES = 3


class RateProposer:
    def __init__(self, similar):
        self.similar = similar

    @classmethod
    def open(cls, home=None) -> "RateProposer | None":
        try:
            from aidenum.matcher.similar import SimilarProjects
        except ImportError:
            return None
        similar = SimilarProjects.open(home)
        return cls(similar) if similar is not None else None

    def proposal(self, plan, action, scheme, chef_de_file: bool | None = None) -> Proposal | None:
        """The observed rate for ``scheme``, capped by its published maximum and by the public-aid
        cap (80 %, 70 % for a chef de file: ``chef_de_file`` overrides the plan, as --chef-de-file)."""
        dispositif = dispositif_of(scheme)
        if dispositif is None:
            return None
        applicant = plan.collectivite
        if chef_de_file is not None and chef_de_file != applicant.chef_de_file:
            applicant = dataclasses.replace(applicant, chef_de_file=chef_de_file)
        found = self.similar.rate_proposal(action.text, applicant, dispositif, ceiling=scheme.rate_max)
        if found is None or found.rate is None or found.evidence.rates_count < MIN_RATES:
            return None
        return Proposal(to_decimal(found.rate, "taux proposé").quantize(Decimal("0.01")), str(found.basis))

    def for_schemes(self, plan, action, schemes, chef_de_file: bool | None = None) -> dict[str, Proposal]:
        out = {}
        for scheme in schemes:
            proposal = self.proposal(plan, action, scheme, chef_de_file)
            if proposal is not None:
                out[scheme.id] = proposal
        return out
