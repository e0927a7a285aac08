"""The synonym thesaurus (``data/thesaurus.csv``) and query-side expansion.

The file keeps the shape of Aides-territoires' ``keywords-synonyms.csv`` (MIT licence,
https://aides-territoires.beta.gouv.fr — its 65 rows are kept as published, ``origine`` =
aides-territoires) plus a fourth column, and rows written for the digital-plan vocabulary
(``origine`` = aidenum). Columns: ``action`` (1 = an intention such as « installer », a weak
signal; 0 = an object, which carries the meaning), ``terme``, ``synonymes`` (comma-separated),
``origine``, and an optional ``domaine``: the broader term of the concept (« wifi public »,
« GED », « SIG »… are all ``numérique``).

Expansion happens on the QUERY side only (the index stays the plain text): when the action
text contains a row's term, the synonyms are added with a lower weight; when it contains a
synonym, the term is added. Rows written for aidenum are groups of equivalent phrases, so a
synonym also brings its sibling synonyms; the Aides-territoires rows are mixed bags
(« collectivité » -> « département », « territoire »…), so they expand one hop only. A concept
found in the text also brings its domain (one hop, never the domain's own synonyms): an action
about « bornes wifi » never says « numérique », yet the schemes that fund « le développement du
numérique » in general are candidates for it (measured on the gold set: nDCG@10 +0.03 on both
the tune and the held-out halves).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .analysis import analyze
from aidenum.catalogue.paths import shipped

DEFAULT_PATH = shipped("data", "thesaurus.csv")
HEADER = ["action", "terme", "synonymes", "origine", "domaine"]


class ThesaurusError(ValueError):
    """A malformed thesaurus file; ``str()`` is French."""


@dataclass(frozen=True)
class Phrase:
    text: str                 # as written in the thesaurus
    stems: tuple[str, ...]    # as analysed at query time


@dataclass
class Concept:
    term: Phrase
    synonyms: list[Phrase]
    weak: bool                # an intention (« installer »), not an object
    group: bool               # every member is equivalent (aidenum rows)
    line: int = 0
    domain: Phrase | None = None   # the broader term (« numérique »)

    @property
    def members(self) -> list[Phrase]:
        return [self.term, *self.synonyms]


@dataclass
class Expansion:
    """A phrase added to the query because ``trigger`` (found in the text) is its synonym."""
    phrase: Phrase
    trigger: Phrase
    concept: Concept
    broader: bool = False     # the phrase is the concept's domain, not a synonym


@dataclass
class Thesaurus:
    concepts: list[Concept] = field(default_factory=list)

    def expand(self, stems: list[str]) -> tuple[list[tuple[Phrase, Concept]], list[Expansion]]:
        """Concept phrases found in ``stems`` (the analysed query) and the phrases they bring."""
        found: list[tuple[Phrase, Concept]] = []
        added: dict[tuple[str, ...], Expansion] = {}
        domains: list[tuple[Concept, Phrase]] = []
        present = set(stems)
        for concept in self.concepts:
            hits = [p for p in concept.members if p.stems and set(p.stems) <= present and _contains(stems, p.stems)]
            if not hits:
                continue
            found.extend((p, concept) for p in hits)
            hit_stems = {p.stems for p in hits}
            if concept.term in hits or concept.group:
                targets = concept.members
            else:
                targets = [concept.term]
            for phrase in targets:
                if phrase.stems and phrase.stems not in hit_stems and phrase.stems not in added:
                    added[phrase.stems] = Expansion(phrase, hits[0], concept)
            domains.append((concept, hits[0]))
        for concept, trigger in domains:
            # after every synonym, so that a domain that is also a synonym keeps its synonym link
            domain = concept.domain
            if domain and domain.stems and domain.stems not in added:
                added[domain.stems] = Expansion(domain, trigger, concept, broader=True)
        found_stems = {p.stems for p, _ in found}
        return found, [e for key, e in added.items() if key not in found_stems]


def _contains(sequence: list[str], part: tuple[str, ...]) -> bool:
    if len(part) == 1:
        return part[0] in sequence
    n = len(part)
    return any(tuple(sequence[i:i + n]) == part for i in range(len(sequence) - n + 1))


def read(path: str | Path = DEFAULT_PATH) -> Thesaurus:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ThesaurusError(f"{path.name} : encodage non reconnu (UTF-8 attendu)") from None
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    if not rows or [c.strip().lower() for c in rows[0][:3]] != HEADER[:3]:
        raise ThesaurusError(f"{path.name} : en-tête attendu « {';'.join(HEADER)} »")
    thesaurus = Thesaurus()
    for number, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 3 or row[0].strip() not in ("0", "1") or not row[1].strip():
            raise ThesaurusError(f"{path.name}, ligne {number} : attendu « action;terme;synonymes » "
                                 f"avec action = 0 ou 1")
        origin = row[3].strip() if len(row) > 3 else ""
        domain = _phrase(row[4]) if len(row) > 4 and row[4].strip() else None
        term = _phrase(row[1])
        synonyms = [_phrase(s) for s in row[2].split(",") if s.strip()]
        thesaurus.concepts.append(Concept(term, [s for s in synonyms if s.stems], weak=row[0].strip() == "1",
                                          group=origin == "aidenum", line=number, domain=domain))
    return thesaurus


def _phrase(text: str) -> Phrase:
    text = text.strip()
    return Phrase(text, tuple(analyze(text, mode="query")))


@lru_cache(maxsize=4)
def load(path: str | None = None) -> Thesaurus:
    return read(path or DEFAULT_PATH)
