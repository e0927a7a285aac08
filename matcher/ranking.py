"""The ranking configuration and the evidence that is not lexical: what kind of spending an
action is, compared with what a scheme pays for.

Every constant that shapes the order of results lives in ``RANKING`` with the reason it has
its value and the figure that chose it (real set = ``data/eval/reel.jsonl``, réglage split;
gold = ``data/eval/gold.yaml``). ``engine.py`` reads them from here.

Nature of an action (``action_natures``): the words of its title (of its description when the
title says nothing) tell whether it is an investment (works, equipment, acquisition), a study
(étude, diagnostic, schéma directeur, AMO) or running costs (posts, animation, training). A
scheme's offer comes from its structured fields: ``aid_types`` (grant, loan… versus technical,
financial or legal engineering), ``destinations`` (investment / supply = fonctionnement) and
``steps`` (preop = réflexion, op = réalisation, postop = usage). ``nature_factor`` is graded
evidence, never a filter: an engineering offer for a works action is weaker, not excluded.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from aidenum.catalogue.vocabularies import FINANCIAL_AID_TYPES

from .analysis import analyze

INVESTMENT, STUDY, RUNNING = "investissement", "etude", "fonctionnement"

# Words (analysed like the index) naming the kind of spending; an action may have several.
NATURE_WORDS = {
    INVESTMENT: """travaux acquisition acquérir achat acheter installation installer équipement équiper
        construction construire rénovation rénover réhabilitation réhabiliter aménagement aménager extension
        remplacement remplacer déploiement déployer matériel matériels réfection restauration agrandissement
        modernisation renouvellement raccordement fourniture pose création créer réalisation mise aux normes
        sécurisation implantation reconstruction démolition transformation""",
    STUDY: """étude études diagnostic audit schéma faisabilité AMO assistance maîtrise d'ouvrage programmation
        conception stratégie""",
    RUNNING: """recrutement recruter poste postes animation animer formation former sensibilisation sensibiliser
        accompagnement médiation médiateur conseiller fonctionnement permanence permanences emploi""",
}


@dataclass(frozen=True)
class RankingConfig:
    # -- query weights -----------------------------------------------------------------------
    title_weight: float = 1.5          # words of the action's title count more than its description's (gold, issue 4)
    # a scheme sharing with the action only words that make no match alone (generic words,
    # intentions, common words): kept at this share of its score instead of dropped, so that an
    # action whose words are all common still gets an answer (real réglage R@3 0.386 -> 0.423 with
    # 0.05, 0.01 the same, 0.1 0.420, 0.3 0.404, 1.0 0.307; gold nDCG@10 0.874 -> 0.878)
    below_floor: float = 0.05
    # document-frequency guard (engine ``_guard_common_words``): a title word that at least this
    # share of the indexed schemes use makes no match alone, unless the action has nothing rarer.
    # Real R@3 / gold nDCG@10 with the evidence recall on: 0.05 -> 0.797 / 0.865, 0.02 -> 0.808 /
    # 0.866 (réglage 0.775 -> 0.788, contrôle 0.821 -> 0.828); without it: guard off 0.654 / 0.845,
    # 0.1 0.665 / 0.861, 0.05 0.665 / 0.865, 0.02 0.672 / 0.867. A continuous form, a match on a
    # common word kept at (idf / idf at this share) ** p of its score, did worse at every p
    # (share 0.02: p 1 -> 0.660 / 0.853, p 2 -> 0.660 / 0.864, p 4 -> 0.665 / 0.866; as a
    # multiplier on concepts too, p 2 -> 0.656 / 0.813): the binary guard stays
    common_share: float = 0.02
    # a broader term of the action's concept (« vidéoprotection » -> « numérique ») is weaker
    # evidence than the concept or a true synonym
    broader_weight: float = 1.0
    # 1: two neighbouring words whose concatenation the catalogue uses (« video protection ») are
    # read as that word; 0: off (with the evidence on, half 2: real R@3 0.692 -> 0.694, réglage
    # 0.699 -> 0.696, contrôle 0.685 -> 0.692, dotation@3 0.885 -> 0.896; gold 0.865 = 0.865)
    joined_words: float = 1.0
    # -- nature of the spending (structured fields) --------------------------------------------
    # an investment action and a scheme that only offers engineering (technical, financial, legal
    # advice): the offer helps, it does not pay for the works
    # (real réglage R@3 0.348 -> 0.389 with 0.3; 0.5 gave 0.382, 0.1 gave 0.408 but gold nDCG@10
    # 0.876 with 0.3 against 0.858 with 0.5 and 0.860 with 0.1)
    engineering_for_investment: float = 0.3
    # a scheme whose only destination is the other kind of spending (investment vs fonctionnement):
    # no shipped record fills destinations yet, so this is unmeasured (neutral on both sets)
    other_destination: float = 0.7
    # running costs (posts, animation) and an engineering-only offer (neutral on both sets)
    engineering_for_running: float = 0.8


    # -- funded projects near the applicant (matcher/similar.py), fused ---------------------------
    # fused score = lexical score / best lexical score of the action + laureate_weight × s / r for
    # the schemes of a dispositif that funded comparable projects (r = its rank among those
    # dispositifs, s = its evidence weight / (weight + laureate_half)). Evidence from years before
    # the query's only (devset: 2018-2019 for 2023 queries). Real R@3 / gold nDCG@10 (shipped
    # catalogue, gold with core-record labels): off 0.459 / 0.861; score fusion 0.5 -> 0.609 / 0.865,
    # 1 -> 0.660 / 0.862 (réglage 0.489 -> 0.671, contrôle 0.429 -> 0.649), 1.4 -> 0.683 / 0.852,
    # 2 -> 0.695 / 0.841 (all at half 5);
    # rank fusion (1 / (k + rank), k 10) 1 -> 0.649 / 0.818, k 30 -> 0.705 / 0.784: a lexical lead
    # counts in the score fusion and not in the rank one, hence the score fusion
    laureate_weight: float = 1.0
    laureate_by_score: float = 1.0    # 1: score fusion (above); 0: reciprocal-rank fusion with laureate_rrf_k
    laureate_rrf_k: float = 10.0
    # evidence weight (sum of the comparable projects' similarity × proximity × recency) at which a
    # dispositif's vote is half of laureate_weight: a few loosely similar projects weigh little
    # (score fusion, weight 1, real R@3 / gold: half 5 -> 0.660 / 0.862, 2 -> 0.692 / 0.865
    # (réglage 0.699, contrôle 0.685), 1 -> 0.707 / 0.855, 0.5 -> 0.715 / 0.850; rank fusion,
    # weight 1: half 5 -> 0.649 / 0.818, half 15 -> 0.566 / 0.861). With the evidence recall on:
    # half 2 -> 0.808 / 0.866, 1.5 -> 0.827 / 0.867 (réglage 0.809, contrôle 0.847; gold tune 0.850,
    # held-out 0.887), 1 -> 0.845 / 0.864, 0.5 -> 0.864 / 0.855; weight 1.4 -> 0.848 / 0.858,
    # weight 1.2 half 1 -> 0.861 / 0.858: past 1.5 the gold set falls, hence 1.5
    laureate_half: float = 1.5
    # 1: a dispositif that funded comparable projects brings its schemes the applicant may get even
    # when they share no word with the action (scored by the vote alone); 0: it only reorders the
    # lexical candidates. 144 of the 190 real misses had the right scheme nowhere in the top 10
    # (a DETR whose categories say « sécurité des personnes » for « Vidéoprotection »).
    # Real R@3 0.665 -> 0.797 (réglage 0.686 -> 0.775, contrôle 0.642 -> 0.821), dotation@3
    # 0.887 -> 0.923, empty answers 1.1 % -> 0.5 %; gold nDCG@10 0.865 -> 0.865
    evidence_recall: float = 1.0


RANKING = RankingConfig()


@lru_cache(maxsize=1)
def _nature_stems() -> dict[str, frozenset[str]]:
    return {nature: frozenset(s for w in words.split() for s in analyze(w)) for nature, words in NATURE_WORDS.items()}


def action_natures(title: str, description: str = "") -> frozenset[str]:
    """The kinds of spending the action's title names (its description's when the title names none)."""
    stems_of = _nature_stems()
    for text in (title, description):
        stems = set(analyze(text or ""))
        found = frozenset(n for n, words in stems_of.items() if stems & words)
        if found:
            return found
    return frozenset()


def nature_factor(natures: frozenset[str], aid_types, destinations, steps, config: RankingConfig | None = None) -> float:
    """Graded agreement between the action's kinds of spending and the scheme's offer (1 = no
    evidence against); the best agreement over the action's natures."""
    if not natures:
        return 1.0
    config = config or RANKING
    financial = bool(FINANCIAL_AID_TYPES.intersection(aid_types))
    engineering_only = bool(aid_types) and not financial
    best = 0.0
    for nature in natures:
        factor = 1.0
        if nature == INVESTMENT:
            if engineering_only:
                factor *= config.engineering_for_investment
            if destinations and "investment" not in destinations:
                factor *= config.other_destination
        elif nature == RUNNING:
            if engineering_only:
                factor *= config.engineering_for_running
            if destinations and "supply" not in destinations:
                factor *= config.other_destination
        best = max(best, factor)
    return best


# the destination (Scheme.destinations) that pays for each kind of spending; a study may be
# either (DETR and DSIL fund prior studies of an investment, engineering offers fund them too)
_DESTINATIONS_OF = {INVESTMENT: {"investment"}, RUNNING: {"supply"}, STUDY: {"investment", "supply"}}


def evidence_applies(natures: frozenset[str], destinations) -> bool:
    """Whether projects funded by a scheme with these destinations are evidence for an action of
    these natures: False only when the scheme states its destinations and none pays for any kind
    of spending the action names (an investment-only dotation for a post). Measured with the rank
    fusion at weight 1: CnFS R@3 0.917 -> 0.983, real 0.643 -> 0.649, gold 0.807 -> 0.818."""
    if not natures or not destinations:
        return True
    return any(_DESTINATIONS_OF[nature].intersection(destinations) for nature in natures)
