"""Match plan actions to funding schemes: hard filters first, then ranked, explained results.

``Matcher(mode="full")`` uses the French analyzer, the thesaurus and the hard filters;
``Matcher(mode="naive")`` is the evaluation baseline: words only (no stems, no folding, no stop
words), no thesaurus, no filters.

How an action becomes a query: each distinct word of the title, axis and description is a
term (title words weigh 1.5, words repeated in the text a little more); generic words of the
domain (« projet », « commune », « territoire »…) and intentions (« installer », « accompagner »,
the rows with action = 1 in the thesaurus) weigh little; thesaurus phrases found in the text are
added as phrases, and their synonyms at the same weight (half of it when the concept is only
named in the description, in passing). Every part is searched in every indexed
field with the field's weight (see ``index.FIELD_WEIGHTS``) and the scores add up (BM25F).

Relevance floor: a scheme is listed only if it shares at least one *meaningful* concept with
the action — a word or a synonym that is neither generic, nor an intention, nor a number, nor
a title word that is no thesaurus concept and that at least ``RANKING.common_share`` of the indexed
schemes use (document-frequency guard, measured on the catalogue actually indexed).

Broad links: when the action names a specific concept (« wifi public », « SIG »), a scheme that
shares only the concept's domain with it (« numérique ») and has that domain in its short,
heavily weighted title scores ``BROAD_FACTOR`` × ``DESCRIPTION_ONLY_FACTOR`` of its score, and
its explanation says so.

Description-only links: a scheme whose title, themes, programmes and keywords share no meaningful
concept with the action (the concepts are only in its description or eligibility text: a generic
engineering scheme listing every kind of project) scores ``DESCRIPTION_ONLY_FACTOR`` of its score,
and its explanation says so.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aidenum.catalogue import store, territory
from aidenum.catalogue.formatting import amount_fr, date_fr, number_fr, percent_fr, range_fr
from aidenum.catalogue.model import Scheme
from aidenum.catalogue.vocabularies import AID_TYPES, FINANCIAL_AID_TYPES

from . import filters
from .analysis import ELISIONS, analyze
from .index import FIELD_LABELS, FIELD_WEIGHTS, BuildResult, Hit, QueryPart, SchemeIndex
from .ranking import RANKING, action_natures, evidence_applies, nature_factor

# Domain words that every scheme and every action use: they may add to a score, never make a match.
GENERIC_WORDS = """projet projets action actions collectivité collectivités commune communes communal communale
intercommunalité intercommunal intercommunale communauté territoire territoires territorial territoriale local
locale locaux EPCI département départemental région régional public publique publics publiques mise place
cadre ensemble objectif objectifs besoin besoins habitant habitants population plan programme ville villes
membre membres service services soutien aide aides financement financer dispositif opération année ans
développement développer permettre permet favoriser améliorer renforcer créer création mettre travers
afin lien partir ainsi notamment également tout type types nouveau nouvelle nouveaux nouvelles principal
principales principaux unique deux trois quatre cinq premier première
ouvrir recruter couvrir déployer équiper aménager installer lancer réaliser acquérir organiser engager
moderniser soutenir accompagner mettre poursuivre généraliser étendre structurer""".split()
TITLE_WEIGHT = 1.5
GENERIC_WEIGHT = 0.2
INTENTION_WEIGHT = 0.3
SYNONYM_FACTOR = 1.0  # thesaurus equivalents count as the word itself (eval: nDCG@10 +0.03 on tune and held-out)
# synonyms of a concept the action mentions only in passing (« inscriptions scolaires » in the
# description of an e-administration action): they still make a match, at half the weight
DESCRIPTION_SYNONYM_FACTOR = 0.5
# score of a scheme whose title, themes, programmes and keywords share no concept with the action
# (only its description or eligibility text does): a word in a long description is weaker evidence
# of what the scheme funds (tune nDCG 0.798 -> 0.870; 0.5 gave 0.855, 0.2 and 0.1 gave 0.871)
DESCRIPTION_ONLY_FACTOR = 0.3
# a scheme that shares only the domain (« numérique ») of the action's concepts and has it in its
# title scores BROAD_FACTOR × DESCRIPTION_ONLY_FACTOR: a short title full of the broad word would
# otherwise outweigh the specific concept, even one found only in a description
BROAD_FACTOR = 0.5
SUBJECT_FIELDS = frozenset(("title", "themes", "programmes", "priorities", "keywords"))
# « 0 » leaves a home without funded projects as it is (tests, measures of the lexical ranking alone)
SHIPPED_LAUREATES_ENV = "AIDENUM_SHIPPED_LAUREATES"
SEARCH_DEPTH = 200  # candidates scored per action before the relevance floor and the top-N cut

_WORD_RE = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# two neighbouring words of at least three letters (a split compound, see ``_join_split_words``);
# the lookahead lets « a b c » try « a b » and « b c »
_PAIR_RE = re.compile(r"(?<![\w'’-])([^\W\d_]{3,})[ -]+(?=([^\W\d_]{3,})(?![\w'’-]))")


@dataclass
class Match:
    rank: int
    scheme: Scheme
    score: float
    why: list[str] = field(default_factory=list)            # French sentences
    matched_terms: list[str] = field(default_factory=list)  # words / « a » ≈ « b » as shown to the user
    matched_fields: list[str] = field(default_factory=list) # index field names: title, description…


@dataclass
class Exclusion:
    scheme: Scheme
    reason: str  # "exclue : …"


@dataclass
class _Part:
    """A query part and what it means for explanations."""
    query: QueryPart
    label: str               # the word of the action, or the synonym
    kind: str                # "mot" | "concept" | "synonyme" | "domaine" (the broader term of a concept)
    meaningful: str          # "always" (a concept: makes a match) | "never" (only adds to the score)
    trigger: str = ""        # for a synonym: the phrase of the action that brought it
    broad: bool = False      # the domain of a specific concept of the action (« numérique »)


def _generic_stems(kind: str) -> frozenset[str]:
    return frozenset(s for word in GENERIC_WORDS for s in analyze(word, kind=kind))


class Matcher:
    def __init__(self, home: str | Path | None = None, mode: str = "full", thesaurus=None, referential=None,
                 fast: bool = True, similar=None, before_year: int | None = None):
        """``fast=False`` is the reference path (tests, benchmark): every scheme read from the
        catalogue and checked one by one, Whoosh's own analysis and scoring (see SchemeIndex)."""
        if mode not in ("full", "naive"):
            raise ValueError(f"mode inconnu « {mode} » (attendu : full, naive)")
        self.home = Path(home) if home else store.home()
        self.mode = mode
        self.fast = fast
        self.index = SchemeIndex(self.home, kind=mode, fast=fast)
        self._thesaurus = thesaurus
        self._referential = referential
        self._schemes: dict[str, Scheme] | None = None
        self._loaded: dict[str, Scheme] = {}           # full schemes read for the matches shown
        self._allowed: dict[tuple, frozenset[int]] = {}
        self._eligibility: tuple[object, filters.Eligibility] | None = None
        self._generic = _generic_stems(mode)
        # funded projects (matcher/similar.py): opened on first use, False when none are loaded;
        # ``before_year`` keeps only earlier years as evidence (evaluation on later queries)
        self._similar = similar
        self.before_year = before_year

    # -- data ------------------------------------------------------------------------------------
    @property
    def thesaurus(self):
        if self._thesaurus is None:
            from . import thesaurus
            self._thesaurus = thesaurus.load()
        return self._thesaurus

    referential = territory.LazyAttribute()

    @property
    def similar(self):
        if self._similar is None:
            from .similar import SimilarProjects
            self._similar = SimilarProjects.open(self.home) or False
        return self._similar or None

    def ensure_laureates(self, notify=None) -> int | None:
        """Load the shipped funded projects (``data/laureates-dgcl.jsonl.gz``) into a home that has
        none, once, so that the evidence signal works out of the box after a plain ``catalogue
        import``; ``notify`` receives the French messages. Returns the number of projects loaded,
        None when nothing was done (signal off, projects already there, no shipped file, home read-only)."""
        from aidenum.catalogue import laureates
        if self.mode != "full" or not RANKING.laureate_weight or os.environ.get(SHIPPED_LAUREATES_ENV) == "0" \
                or self.similar is not None:
            return None
        shipped = laureates.SHIPPED_PATH
        target = self.home / laureates.DB_NAME
        if not shipped.is_file() or not store.is_writable(target):
            return None
        if notify:
            notify("Première utilisation : chargement des projets financés livrés (DGCL 2018, 2019, 2023) "
                   f"dans {self.home}, une seule fois (moins d'une minute)…")
        started = time.perf_counter()
        try:
            with laureates.LaureateStore(target) as projects:
                loaded = projects.import_file(shipped)
        except (OSError, sqlite3.Error, laureates.LaureateError) as error:
            if notify:
                notify(f"projets financés non chargés ({error}) : correspondances sans ce signal")
            return None
        self._similar = None
        if self.similar is not None and notify:   # builds the look-up index now, not during the first action
            notify(f"{number_fr(loaded.imported)} projets financés chargés en "
                   f"{number_fr(time.perf_counter() - started, 0)} s.")
        return loaded.imported

    def _catalogue(self):
        return store.Catalogue(self.home / store.DB_NAME)

    @property
    def schemes(self) -> dict[str, Scheme]:
        """Every scheme of the catalogue (matching itself never needs them all: see ``_load``)."""
        if self._schemes is None:
            with self._catalogue() as cat:
                self._schemes = {s.id: s for s in cat.all()}
        return self._schemes

    def _load(self, ids) -> dict[str, Scheme]:
        """The full schemes of ``ids`` (those still in the catalogue), read once per matcher."""
        missing = [i for i in ids if i not in self._loaded]
        if missing:
            if self._schemes is not None:
                found = {i: self._schemes[i] for i in missing if i in self._schemes}
            else:
                with self._catalogue() as cat:
                    found = cat.get_many(missing)
            self._loaded.update(found)
        return {i: self._loaded[i] for i in ids if i in self._loaded}

    def ensure_index(self, force: bool = False, on_document=None) -> BuildResult | None:
        """(Re)build the index if missing or if the catalogue changed since; None if up to date."""
        with self._catalogue() as cat:
            stamp = {"changed_at": cat.changed_at(), "count": cat.count()}
            if not force and self.index.is_current(stamp):
                return None
            with self.index.lock():
                if not force and self.index.is_current(stamp):
                    return None
                # the raw source payload is not indexed: leave it in SQLite
                result = self.index.build(cat.all(without=("raw",)), stamp, on_document=on_document)
        self._schemes, self._loaded, self._allowed, self._eligibility = None, {}, {}, None
        return result

    # -- public API ------------------------------------------------------------------------------
    def match_action(self, collectivite, action, top: int = 10, include_closed: bool = False,
                     today: dt.date | None = None) -> list[Match]:
        text = " ".join(p for p in (action.titre, action.axe, action.description) if p)
        return self._match(text, action.titre, collectivite, top, include_closed, today or dt.date.today())

    def match_plan(self, plan, top: int = 10, include_closed: bool = False,
                   today: dt.date | None = None) -> dict[str, list[Match]]:
        return {a.id: self.match_action(plan.collectivite, a, top, include_closed, today) for a in plan.actions}

    def search(self, text: str, collectivite=None, top: int = 10, include_closed: bool = False,
               today: dt.date | None = None) -> list[Match]:
        return self._match(text, text, collectivite, top, include_closed, today or dt.date.today())

    def exclusions(self, collectivite, action, today: dt.date | None = None) -> list[Exclusion]:
        """Schemes the action's text matched but the hard filters exclude, best score first."""
        today = today or dt.date.today()
        text = " ".join(p for p in (action.titre, action.axe, action.description) if p)
        parts = self.build_query(text, action.titre)
        applicant = filters.Applicant.from_collectivite(collectivite)
        relay = filters.relays_to_businesses(text)
        floor = _Floor(parts)
        hits = [hit for hit in self.index.search([p.query for p in parts], None, SEARCH_DEPTH) if floor.passes(hit)]
        kept = self._allowed_docs(applicant, today, False, relay)
        docnums = self.index.facts.docnums
        excluded = [hit.id for hit in hits if docnums[hit.id] not in kept]
        schemes = self._load(excluded)
        out = []
        for sid in excluded:
            scheme = schemes.get(sid)
            if scheme is None:
                continue
            verdict = filters.check(scheme, applicant, self.referential, today, False, relay)
            if not verdict.ok:
                out.append(Exclusion(scheme, verdict.reason))
        return out

    # -- query -----------------------------------------------------------------------------------
    def build_query(self, text: str, title: str = "") -> list[_Part]:
        kind = self.mode
        if kind == "full" and RANKING.joined_words:
            text, title = self._join_split_words(text), self._join_split_words(title)
        stems = analyze(text, mode="query", kind=kind)
        title_stems = set(analyze(title, mode="query", kind=kind)) if title else set()
        surface = self._surface(text)
        counts = Counter(stems)
        parts: dict[tuple[str, ...], _Part] = {}
        weak_stems: set[str] = set()
        concepts, expansions = ([], []) if kind == "naive" else self.thesaurus.expand(stems)
        in_phrases: set[str] = set()   # words of a multi-word concept found in the text
        for phrase, concept in concepts:
            if concept.weak:
                weak_stems.update(phrase.stems)
            elif len(phrase.stems) > 1:
                in_phrases.update(phrase.stems)
        for stem, count in counts.items():
            in_title = stem in title_stems
            weight = (TITLE_WEIGHT if in_title else 1.0) + 0.1 * min(count - 1, 3)
            # a title word is a concept of the action; a description word adds to the score
            # but only makes a match when it is a thesaurus object (below)
            meaningful = "always" if in_title or kind == "naive" else "never"
            if stem.isdigit() or len(stem) < 2 or stem in in_phrases:
                # « information » of « système d'information »: the phrase is the concept
                meaningful = "never"
            if kind == "full" and stem in self._generic:
                weight, meaningful = GENERIC_WEIGHT, "never"
            elif stem in weak_stems:
                weight, meaningful = INTENTION_WEIGHT, "never"
            parts[(stem,)] = _Part(QueryPart((stem,), weight), surface.get(stem, stem), "mot", meaningful)
        for phrase, concept in concepts:
            weak = self._weak(concept)
            if len(phrase.stems) > 1 and phrase.stems not in parts:
                weight = INTENTION_WEIGHT if weak else 1.0
                parts[phrase.stems] = _Part(QueryPart(phrase.stems, weight), phrase.text, "concept",
                                            "never" if weak else "always")
            elif not weak and phrase.stems in parts and parts[phrase.stems].meaningful == "never" \
                    and parts[phrase.stems].query.weight >= 1.0:
                parts[phrase.stems].meaningful = "always"  # a thesaurus object is a concept
        for expansion in expansions:
            stems_ = expansion.phrase.stems
            if stems_ in parts:
                continue
            weak = self._weak(expansion.concept) or all(s in self._generic for s in stems_)
            weight = (INTENTION_WEIGHT if weak else 1.0) * SYNONYM_FACTOR
            meaningful = "never" if weak else "always"
            if not title_stems.issuperset(expansion.trigger.stems):
                weight *= DESCRIPTION_SYNONYM_FACTOR
            if expansion.broader:
                weight *= RANKING.broader_weight
            parts[stems_] = _Part(QueryPart(stems_, weight), expansion.phrase.text,
                                  "domaine" if expansion.broader else "synonyme", meaningful,
                                  trigger=expansion.trigger.text, broad=expansion.broader)
        if kind == "full":
            self._guard_common_words(parts, {p.stems for p, _ in concepts})
            self._broad_domains(parts, concepts)
        return list(parts.values())

    def _guard_common_words(self, parts: dict, concept_stems: set) -> None:
        """Document-frequency guard: a title word that is no thesaurus concept and that many
        schemes of the catalogue use (« démarches », « gratuit ») still adds to the score but
        cannot make a match on its own — unless the action's own words have nothing more specific
        (its synonyms do not count: they may match nothing in this catalogue)."""
        count = self.index.facts.count
        common = [key for key, part in parts.items() if part.meaningful == "always" and part.kind == "mot"
                  and key not in concept_stems
                  and self.index.doc_frequency(key[0]) >= RANKING.common_share * count]
        own = sum(part.meaningful == "always" and part.kind in ("mot", "concept") for part in parts.values())
        if common and len(common) < own:
            for key in common:
                parts[key].meaningful = "never"

    def _join_split_words(self, text: str) -> str:
        """Split compounds as préfectures type them (« VIDEO PROTECTION », « video surveillance »):
        two neighbouring words whose concatenation is a word of the indexed catalogue are written
        as that word, so that it also brings its thesaurus synonyms (the catalogue, not a list,
        says which compounds exist)."""
        if not text:
            return text

        def joined(match: re.Match) -> str:
            first, second = match.group(1), match.group(2)
            stems = analyze(first + second, mode="query", kind=self.mode)
            if len(stems) == 1 and self.index.has_word(stems[0]):
                return first      # the separator goes; the second word (looked ahead) stays
            return match.group(0)
        return _PAIR_RE.sub(joined, text)

    @staticmethod
    def _broad_domains(parts: dict, concepts) -> None:
        """Mark the domain (« numérique ») of the specific concepts the action names (« wifi
        public », « SIG »), however it entered the query (a word of the action, a synonym, the
        domain itself): a scheme that shares only the domain with the action is about the field
        in general and ranks below the ones about the concept (see ``BROAD_FACTOR``)."""
        domains = {concept.domain.stems for _, concept in concepts if concept.domain and concept.domain.stems}
        for stems in domains:
            if stems in parts:
                parts[stems].broad = True

    def _weak(self, concept) -> bool:
        """Intentions, and rows about generic words (« collectivité » -> commune, territoire…)."""
        return concept.weak or all(s in self._generic for s in concept.term.stems)

    def _surface(self, text: str) -> dict[str, str]:
        """stem -> the first word of ``text`` that produced it (for explanations)."""
        out: dict[str, str] = {}
        for word in _WORD_RE.findall(text):
            head, _, rest = word.replace("’", "'").partition("'")
            if rest and head.lower() in ELISIONS:
                word = rest
            for stem in analyze(word, mode="query", kind=self.mode):
                out.setdefault(stem, word)
        return out

    # -- matching --------------------------------------------------------------------------------
    def _allowed_docs(self, applicant, today, include_closed, relay) -> frozenset[int]:
        """Docnums the hard filters keep, from the index's side file; cached per applicant."""
        facts = self.index.facts
        if self._eligibility is None or self._eligibility[0] is not facts:
            self._eligibility, self._allowed = (facts, filters.Eligibility(facts)), {}
        key = (applicant.type if applicant else None, applicant.territory if applicant else None,
               today, include_closed, relay)
        allowed = self._allowed.get(key)
        if allowed is None and not self.fast:
            allowed = self._allowed[key] = frozenset(
                facts.docnums[sid] for sid, scheme in self.schemes.items() if sid in facts.docnums
                and filters.check(scheme, applicant, self.referential, today, include_closed, relay).ok)
        elif allowed is None:
            allowed = self._allowed[key] = self._eligibility[1].allowed(
                applicant, self.referential, today, include_closed, relay)
        return allowed

    def _meaningful(self, parts: list[_Part], hit) -> bool:
        return _Floor(parts).passes(hit)

    def _match(self, text, title, collectivite, top, include_closed, today) -> list[Match]:
        parts = self.build_query(text, title)
        if not parts:
            return []
        applicant = filters.Applicant.from_collectivite(collectivite) if collectivite is not None else None
        relay = filters.relays_to_businesses(text)
        allowed = None
        if self.mode == "full":
            allowed = self._allowed_docs(applicant, today, include_closed, relay)
        hits = self.index.search([p.query for p in parts], None, max(SEARCH_DEPTH, top * 3), allowed_docs=allowed)
        facts = self.index.facts
        docnums = facts.docnums
        floor = _Floor(parts)
        ranked, weak_only = [], set()
        for hit in hits:
            if not floor.passes(hit):
                if not RANKING.below_floor:
                    continue
                hit.score *= RANKING.below_floor
                weak_only.add(hit.id)
            ranked.append((hit, facts.perimeter[docnums[hit.id]]))
        broad_only, description_only = set(), set()
        natures = action_natures(title, text) if self.mode == "full" else frozenset()
        weak_nature: dict[str, float] = {}
        for hit, _ in ranked:
            if natures:
                docnum = docnums[hit.id]
                factor = nature_factor(natures, facts.aid_types[docnum], facts.destinations[docnum],
                                       facts.steps[docnum])
                if factor < 1.0:
                    hit.score *= factor
                    weak_nature[hit.id] = factor
            if floor.broad_in_title_only(hit):
                # below a specific concept found only in a description, which is damped too
                hit.score *= BROAD_FACTOR * DESCRIPTION_ONLY_FACTOR
                broad_only.add(hit.id)
            elif self.mode == "full" and floor.description_only(hit):
                hit.score *= DESCRIPTION_ONLY_FACTOR
                description_only.add(hit.id)
        ranked.sort(key=lambda pair: (-round(pair[0].score, 6), -self._depth(pair[1]), pair[0].id))
        evidence = self._laureate_evidence(text, collectivite, ranked, allowed)
        recalled = self._recall_by_evidence(ranked, evidence, allowed, natures) \
            if evidence and RANKING.evidence_recall else frozenset()
        ranked.extend((Hit(sid, 0.0), facts.perimeter[docnums[sid]]) for sid in sorted(recalled))
        if evidence and ranked:
            ranked = self._fuse(ranked, evidence, natures)
        if self.mode == "full" and (applicant is None or not applicant.territory):
            ranked = self._one_per_dispositif(ranked)
        shown: list[tuple] = []
        start = 0
        while len(shown) < top and start < len(ranked):
            # full schemes only for the matches shown (a scheme gone from the catalogue is skipped)
            chunk = ranked[start:start + top - len(shown)]
            start += len(chunk)
            schemes = self._load([hit.id for hit, _ in chunk])
            shown.extend((hit, schemes[hit.id]) for hit, _ in chunk if hit.id in schemes)
        matches = []
        for rank, (hit, scheme) in enumerate(shown, start=1):
            notes = []
            if self.mode == "full":
                notes = filters.check(scheme, applicant, self.referential, today, include_closed, relay).notes
            match = self._explain(rank, hit, scheme, parts, today, notes, hit.id in broad_only,
                                  hit.id in description_only)
            if hit.id in weak_nature:
                match.why.insert(1 if match.why else 0, _nature_sentence(natures, scheme))
            if hit.id in weak_only:
                match.why.insert(0, _weak_sentence(parts, hit))
            if hit.id in recalled:
                match.why.insert(0, "Aucun mot de l'action dans le texte de ce dispositif : il est proposé pour "
                                    "les projets comparables qu'il a financés")
            funded = [evidence[label] for label in scheme.programmes if label in evidence]
            if funded:
                match.why.insert(1 if match.why else 0, funded[0].sentence[0].upper() + funded[0].sentence[1:])
            matches.append(match)
        _drop_shared_sentences(matches)
        return matches

    def _laureate_evidence(self, text, collectivite, ranked, allowed=None) -> dict:
        """Dispositif label -> evidence from funded projects comparable to the action (empty when
        no laureates are loaded, in naive mode, or when no scheme the action may get belongs to a
        dispositif: neither a ranked one nor, with ``evidence_recall``, an allowed one)."""
        if self.mode != "full" or not RANKING.laureate_weight or collectivite is None:
            return {}
        programmes = self.index.facts.programmes
        docnums = self.index.facts.docnums
        if not any(programmes[docnums[hit.id]] for hit, _ in ranked) and not (
                RANKING.evidence_recall and allowed and any(programmes[docnum] for docnum in allowed)):
            return {}
        similar = self.similar
        return similar.evidence(text, collectivite, before_year=self.before_year) if similar else {}

    def _recall_by_evidence(self, ranked: list, evidence: dict, allowed, natures) -> frozenset[str]:
        """Ids of the schemes the action may get whose dispositif funded comparable projects but
        that share no word with it (a DETR whose categories say « sécurité des personnes » for a
        vidéoprotection project): the funded projects are independent evidence, so they may
        bring a candidate the words missed, scored by their vote alone in ``_fuse``."""
        facts = self.index.facts
        present = {label for hit, _ in ranked for label in facts.programmes[facts.docnums[hit.id]]}
        wanted = set(evidence) - present
        if not wanted or allowed is None:
            return frozenset()
        return frozenset(facts.ids[docnum] for docnum in allowed
                         if wanted.intersection(facts.programmes[docnum])
                         and evidence_applies(natures, facts.destinations[docnum]))

    def _fuse(self, ranked: list, evidence: dict, natures: frozenset = frozenset()) -> list:
        """Reciprocal-rank fusion of the lexical order and the order of the dispositifs that funded
        comparable projects (see ``ranking.RankingConfig.laureate_weight``). A scheme whose
        destinations exclude every kind of spending the action names gets no vote: projects an
        investment dotation funded say nothing about a post or an animation."""
        k, half = RANKING.laureate_rrf_k, RANKING.laureate_half
        facts = self.index.facts
        # a dispositif's vote: by its rank among the dispositifs, scaled by how much evidence it has
        votes = {label: RANKING.laureate_weight * (e.weight / (e.weight + half)) / (k + rank)
                 for rank, (label, e) in enumerate(evidence.items(), start=1)}
        programmes, docnums = self.index.facts.programmes, self.index.facts.docnums
        if RANKING.laureate_by_score:
            # the lexical side by score relative to the best (a large lexical lead is kept), the
            # evidence by the dispositif's rank and strength
            votes = {label: RANKING.laureate_weight * (e.weight / (e.weight + half)) / rank
                     for rank, (label, e) in enumerate(evidence.items(), start=1)}
        best = max(ranked[0][0].score, 1e-9)
        fused = []
        for rank, pair in enumerate(ranked, start=1):
            score = pair[0].score / best if RANKING.laureate_by_score else 1 / (k + rank)
            docnum = docnums[pair[0].id]
            found = [votes[label] for label in programmes[docnum] if label in votes]
            if found and evidence_applies(natures, facts.destinations[docnum]):
                score += max(found)
            fused.append((-score, rank, pair))
        fused.sort(key=lambda item: item[:2])
        return [pair for _, _, pair in fused]

    def _one_per_dispositif(self, ranked: list) -> list:
        """Without a territory, one record per territorial dispositif (the best placed DETR of a
        département stands for the hundred others, which would fill the top 10 with one answer)."""
        programmes, docnums = self.index.facts.programmes, self.index.facts.docnums
        seen: set[tuple] = set()
        kept = []
        for hit, perimeter in ranked:
            key = tuple(programmes[docnums[hit.id]])
            if key and perimeter and perimeter != "FR":
                if key in seen:
                    continue
                seen.add(key)
            kept.append((hit, perimeter))
        return kept

    def _depth(self, perimeter: str) -> int:
        try:
            return self.referential.depth(perimeter)
        except ValueError:
            return 0

    # -- explanations ----------------------------------------------------------------------------
    def _explain(self, rank, hit, scheme: Scheme, parts: list[_Part], today, notes, broad_only=False,
                 description_only=False) -> Match:
        words, synonyms, fields_seen = [], [], set()
        terms: list[str] = []
        for part in parts:
            if not all(s in hit.matched for s in part.query.stems):
                continue
            fields_ = set.intersection(*(hit.matched[s] for s in part.query.stems))
            if not fields_:
                fields_ = set().union(*(hit.matched[s] for s in part.query.stems))
            if part.meaningful == "never":
                continue
            fields_seen |= fields_
            where = ", ".join(FIELD_LABELS[f] for f in FIELD_WEIGHTS if f in fields_)
            if part.kind == "synonyme":
                importance = sum(FIELD_WEIGHTS[f] for f in fields_)
                synonyms.append((importance, f"« {part.trigger} » ≈ « {part.label} » (synonyme, trouvé dans : {where})"))
                terms.append(f"{part.trigger} ≈ {part.label}")
            elif part.kind == "domaine":
                importance = sum(FIELD_WEIGHTS[f] for f in fields_)
                synonyms.append((importance, f"« {part.trigger} » relève du thème général « {part.label} » "
                                             f"(trouvé dans : {where})"))
                terms.append(f"{part.trigger} → {part.label} (thème général)")
            else:
                words.append((part.query.weight * len(fields_), f"« {part.label} » ({where})"))
                terms.append(part.label)
        why = []
        if words:
            words.sort(key=lambda pair: -pair[0])
            why.append("Mots de l'action retrouvés : " + ", ".join(w for _, w in words[:8]))
        synonyms.sort(key=lambda pair: -pair[0])
        why.extend(sentence for _, sentence in synonyms[:4])
        if broad_only:
            domains = ", ".join(f"« {p.label} »" for p in parts
                                if p.broad and all(s in hit.matched for s in p.query.stems))
            why.append(f"Seul le thème général {domains} rapproche ce dispositif de l'action : "
                       "classé après ceux qui en traitent le sujet précis")
        elif description_only:
            why.append("Les mots de l'action ne figurent que dans le texte du dispositif, ni dans son titre, "
                       "ni dans ses thèmes, programmes ou mots-clés : classé après ceux qui en font leur sujet")
        why.extend(_facts(scheme, today, self.referential))
        why.extend(note[0].upper() + note[1:] for note in notes)
        matched_fields = [f for f in FIELD_WEIGHTS if f in fields_seen]
        return Match(rank, scheme, round(hit.score, 4), why, terms, matched_fields)


class _Floor:
    """The relevance floor: a hit must match every stem of at least one meaningful part."""

    def __init__(self, parts: list[_Part]):
        meaningful = [part.query.stems for part in parts if part.meaningful == "always"]
        self.words = frozenset(stems[0] for stems in meaningful if len(stems) == 1)
        self.phrases = [stems for stems in meaningful if len(stems) > 1]
        specific = [part.query.stems for part in parts if part.meaningful == "always" and not part.broad]
        self.specific_words = frozenset(stems[0] for stems in specific if len(stems) == 1)
        self.specific_phrases = frozenset(stems for stems in specific if len(stems) > 1)
        self.broad_stems = frozenset(s for part in parts if part.broad for s in part.query.stems)
        # phrases by their first stem: a hit is checked against the phrases its own stems start
        # (a few) instead of every phrase of the query (a hundred with the synonyms), hit after hit
        self._phrases_at: dict[str, list[tuple[str, ...]]] = {}
        for stems in self.phrases:
            self._phrases_at.setdefault(stems[0], []).append(stems)
        # id of a hit's ``matched`` -> its phrases: each hit is asked three questions (passes,
        # description_only, broad_in_title_only), the hits outlive the floor of their query
        self._found: dict[int, list[tuple[str, ...]]] = {}

    def _matched_phrases(self, matched) -> list[tuple[str, ...]]:
        found = self._found.get(id(matched))
        if found is None:
            found = self._found[id(matched)] = [stems for stem in matched for stems in self._phrases_at.get(stem, ())
                                                if all(s in matched for s in stems)]
        return found

    def description_only(self, hit) -> bool:
        """True when the meaningful parts the hit matches are found only outside the fields that
        say what the scheme is about (``SUBJECT_FIELDS``): in its description or eligibility text."""
        matched = hit.matched
        words = self.words.intersection(matched)
        phrases = self._matched_phrases(matched)
        return bool(words or phrases) and all(matched[s].isdisjoint(SUBJECT_FIELDS) for s in words) and all(
            set.intersection(*(matched[s] for s in stems)).isdisjoint(SUBJECT_FIELDS) for stems in phrases)

    def broad_in_title_only(self, hit) -> bool:
        """True when the hit shares with the action nothing meaningful but the domain of its
        concepts (« numérique »), and has that domain in its title."""
        matched = hit.matched
        if not self.broad_stems or not self.specific_words.isdisjoint(matched) \
                or not self.specific_phrases.isdisjoint(self._matched_phrases(matched)):
            return False
        return any("title" in matched.get(s, ()) for s in self.broad_stems)

    def passes(self, hit) -> bool:
        matched = hit.matched
        return not self.words.isdisjoint(matched) or bool(self._matched_phrases(matched))


def _facts(scheme: Scheme, today: dt.date, referential) -> list[str]:
    """Funder, aid type, rate, amount, deadline and perimeter as French sentences."""
    out = []
    if scheme.funders:
        out.append(("Financeur : " if len(scheme.funders) == 1 else "Financeurs : ") + ", ".join(scheme.funders))
    if scheme.aid_types:
        out.append("Type d'aide : " + ", ".join(AID_TYPES.get(t, t) for t in scheme.aid_types))
    rate = _range(scheme.rate_min, scheme.rate_max, " %")
    if rate:
        out.append(f"Taux : {rate}")
    elif scheme.rate_comment:
        out.append("Taux : " + _shorten(scheme.rate_comment, 140))
    amount = _range(scheme.amount_min, scheme.amount_max, " €")
    if amount:
        out.append(f"Montant : {amount}")
    out.append(deadline_sentence(scheme, today))
    label = referential.label(scheme.perimeter) if scheme.perimeter else ""
    if label:
        out.append(f"Périmètre : {label}")
    return out


# below this many results a sentence shared by all of them may still be what the user needs
SHARED_SENTENCE_MIN_RESULTS = 3


def _drop_shared_sentences(matches: list[Match]) -> None:
    """A sentence written under every result (« Pas de date limite connue », a perimeter they all
    share) tells the results apart no better than silence: keep explanations specific."""
    if len(matches) < SHARED_SENTENCE_MIN_RESULTS:
        return
    shared = set.intersection(*(set(match.why) for match in matches))
    if shared:
        for match in matches:
            match.why = [sentence for sentence in match.why if sentence not in shared]


def _weak_sentence(parts, hit) -> str:
    """A match on general words only (below the relevance floor): say which ones."""
    words = [p.label for p in parts if p.kind == "mot" and all(s in hit.matched for s in p.query.stems)][:4]
    shown = ", ".join(f"« {w} »" for w in words) or "des mots généraux"
    return f"Rapprochement faible : seulement {shown} en commun avec l'action"


_DESTINATION_LABELS = {"investment": "l'investissement", "supply": "le fonctionnement"}
_NATURE_LABELS = {"investissement": "des travaux, équipements ou acquisitions",
                  "fonctionnement": "des dépenses de fonctionnement (postes, animation)", "etude": "une étude"}


def _nature_sentence(natures, scheme: Scheme) -> str:
    """Why the kind of spending weakened this match (only under the matches concerned)."""
    offer = ", ".join(AID_TYPES.get(t, t).lower() for t in scheme.aid_types)
    kinds = " ou ".join(_NATURE_LABELS[n] for n in sorted(natures))
    if FINANCIAL_AID_TYPES.intersection(scheme.aid_types) and scheme.destinations:
        paid = " et ".join(_DESTINATION_LABELS.get(d, d) for d in scheme.destinations)
        return f"Finance {paid}, alors que l'action porte sur {kinds}"
    if offer:
        return f"Aide de type {offer} : appui moins direct pour {kinds}"
    return f"Dépenses financées différentes de celles de l'action ({kinds})"


def deadline_sentence(scheme: Scheme, today: dt.date) -> str:
    if scheme.deadline is None:
        return "Aide permanente, sans date limite" if scheme.recurrence == "ongoing" else "Pas de date limite connue"
    days = scheme.days_left(today)
    when = date_fr(scheme.deadline)
    if days < 0:
        return f"Date limite : {when}, dépassée depuis {-days} jour{'s' if -days > 1 else ''}"
    if days == 0:
        return f"Date limite : {when}, aujourd'hui"
    soon = ", clôture proche" if scheme.status(today) == "closing-soon" else ""
    return f"Date limite : {when}, dans {days} jour{'s' if days > 1 else ''}{soon}"


def _number(value: float, unit: str) -> str:
    return percent_fr(value) if unit == " %" else amount_fr(value, 0)


def _range(low, high, unit) -> str:
    return range_fr(low, high, lambda v: _number(v, unit))


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
