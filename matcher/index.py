"""The Whoosh index of the catalogue — the only module that opens indexes or builds queries.

Layout under ``$AIDENUM_HOME/index/``::

    full.current     the name of the live directory of the full index (a one-line pointer)
    full-<random>/   a complete Whoosh index plus ``stamp.json`` (catalogue stamp, count, time),
                     ``facts.json`` (per document: what the filters and the scorer need, see Facts)
                     and, for a fast build, ``postings.bin`` (every term's postings as plain
                     arrays, see ``_PostingsFile``)
    naive.current, naive-<random>/   the same for the baseline analyzer
    .lock            one writer at a time (fcntl)

A rebuild writes a fresh directory, commits, writes its stamp, then swaps the pointer with
``os.replace`` (atomic on POSIX): a reader sees the old index or the new one, never half of
one, and a failed build leaves the live index untouched.

Speed (issue 4, item 7; issue 10, point 4): a search reads a term's postings from
``postings.bin`` (or, for an index without it, whole Whoosh posting blocks) and computes
Whoosh's BM25F itself from the field lengths of ``facts.json`` (same operands, same order of
additions, so the same floats): the searches of a fast index never open Whoosh, which is opened
on first need by the reference paths and older indexes (``_whoosh``); a build runs the analyzer
once per distinct word and writes the postings a block at a time (``_BulkWriter``).
``fast=False`` keeps Whoosh's own paths as the reference that tests and
``bench/bench_matcher.py`` compare against; these Whoosh internals live in this module only, and
another Whoosh version than ``FAST_PATH_WHOOSH`` falls back to them.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import mmap
import os
import re
import shutil
import tempfile
import time
import zlib
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate, chain
from math import log
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable

import whoosh
from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.fields import ID, TEXT, Schema
from whoosh.util.numeric import byte_to_length, length_to_byte

from aidenum.catalogue.files import atomic_write
from aidenum.catalogue.model import Scheme
from aidenum.catalogue.status import end_evidence

from .analysis import _WORD_RE, ANALYZER_VERSION, french_analyzer, naive_analyzer

# title, themes, programmes > description > keywords > eligibility, funders (Aides-territoires)
# ``priorities``: the list items of the description (« - Vidéoprotection », « 4° Développement du
# numérique »): what a multi-purpose scheme (DETR, DSIL, FEDER programme) lists as funded, each item
# judged as a passage of its own rather than drowned in the whole text (see PRIORITY_B)
FIELD_WEIGHTS = {"title": 4.0, "themes": 3.0, "programmes": 3.0, "priorities": 3.0, "description": 2.0,
                 "keywords": 1.5, "eligibility": 1.0, "funders": 1.0}
FIELD_LABELS = {"title": "titre", "themes": "thèmes", "programmes": "programmes",
                "priorities": "priorités listées", "description": "description", "keywords": "mots-clés", "eligibility": "conditions d'éligibilité",
                "funders": "financeurs"}
MAX_FIELD_CHARS = 20_000  # beyond this a description is boilerplate; it only slows the build
# an analyzer or facts-columns change makes old indexes stale; 7: postings.bin and the field totals
# (older indexes still work, slower: the next match rebuilds them once)
INDEX_FORMAT = f"7-a{ANALYZER_VERSION}"
FACTS_NAME = "facts.json"
POSTINGS_NAME = "postings.bin"
# zlib level of the positions in postings.bin: 14 → 1.4 MB for 10,000 schemes; higher levels gain little and
# cost build time
VALUES_COMPRESSION = 1
# The fast paths use Whoosh internals (the segment writer's per-document and field writers, the
# block writer and block reader of postings, BM25F's per-field B): checked with this version only
FAST_PATH_WHOOSH = (2, 7, 5)
logger = logging.getLogger(__name__)


def fast_path_supported() -> bool:
    """True when the installed Whoosh is the one the fast paths were checked against; otherwise
    every index falls back to Whoosh's public paths (``fast=False``) and a warning is logged."""
    version = tuple(whoosh.__version__)
    if version == FAST_PATH_WHOOSH:
        return True
    logger.warning("Whoosh %s installé, chemins rapides vérifiés pour %s seulement : index construit et "
                   "interrogé par les chemins de référence (plus lents)", ".".join(map(str, version)),
                   ".".join(map(str, FAST_PATH_WHOOSH)))
    return False


class IndexError_(RuntimeError):
    """The index cannot be built or opened; ``str()`` is French."""


def _schema(kind: str) -> Schema:
    analyzer = french_analyzer() if kind == "full" else naive_analyzer()
    fields = {name: _Text(analyzer=analyzer, phrase=True) for name in FIELD_WEIGHTS}
    return Schema(id=ID(stored=True, unique=True), **fields)


class _BulkWriter:
    """Stands for ``SegmentWriter.add_document`` and the posting half of its commit during a fast
    build: postings are gathered per (field, term) in memory and written a whole block at a time
    (Whoosh's own path sends every posting through its sorting pool, then posting by posting
    through ``FieldWriter.add_postings`` and ``add_posting``: most of a build). Same documents,
    terms, blocks, block statistics and term infos as Whoosh writes (tests compare them)."""

    def __init__(self, writer):
        self._writer = writer
        # field -> term -> [(docnum, weight, encoded positions)]
        self._postings: defaultdict[str, defaultdict[bytes, list]] = defaultdict(lambda: defaultdict(list))
        # field -> docnum -> the length Whoosh's per-document reader gives back (a byte-quantised
        # length): what the block statistics record, and the side file's lengths
        self.lengths: defaultdict[str, dict[int, int]] = defaultdict(dict)
        self.postings_file = _PostingsFile()

    def add_document(self, **fields) -> None:
        writer = self._writer
        schema, perdoc, docnum = writer.schema, writer.perdocwriter, writer.docnum
        docboost = writer._doc_boost(fields)
        perdoc.start_doc(docnum)
        for name in sorted(n for n in fields if not n.startswith("_")):
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                boost = writer._field_boost(fields, name, docboost)
                terms = self._postings[name]
                items = field.index(value)
                if not isinstance(items, list):   # Whoosh's own fields give a generator
                    items = list(items)
                for tbytes, _, weight, vbytes in items:
                    terms[tbytes].append((docnum, weight * boost, vbytes))
                if field.scorable:
                    length = sum(item[1] for item in items)
            if length:
                self.lengths[name][docnum] = byte_to_length(length_to_byte(length))
            perdoc.add_field(name, field, value if field.stored else None, length)
        perdoc.finish_doc()
        writer.docnum += 1
        writer._added = True

    def commit(self) -> None:
        writer = self._writer
        writer._flush_segment = self._flush_segment
        writer.commit()

    def _flush_segment(self) -> None:
        """``SegmentWriter._flush_segment`` with the postings written term by term, block by block
        (``W3PostingsWriter.add_posting`` / ``_write_block``: a block holds ``blocklimit`` postings)."""
        writer = self._writer
        writer.perdocwriter.close()
        fields = writer.fieldwriter
        lengths = self.lengths
        for name in sorted(self._postings):
            terms = self._postings[name]
            fields.start_field(name, writer.schema[name])
            field_lengths = lengths.get(name, {})
            postings = fields._postwriter
            limit = postings._blocklimit
            for tbytes in sorted(terms):
                fields.start_term(tbytes)
                all_ids, all_weights, all_values = zip(*terms[tbytes])
                self.postings_file.add(name, tbytes.decode("utf-8"), all_ids, all_weights, all_values)
                for start in range(0, len(all_ids), limit):
                    if start:
                        postings._write_block()
                    ids, weights = all_ids[start:start + limit], all_weights[start:start + limit]
                    postings._ids = array("I", ids)
                    postings._weights = array("f", weights)
                    postings._values = list(filter(None, all_values[start:start + limit]))
                    top = max(weights)
                    if top > postings._maxweight:
                        postings._maxweight = top
                    known = list(filter(None, map(field_lengths.get, ids)))
                    if known:
                        postings._minlength, postings._maxlength = min(known), max(postings._maxlength, *known)
                fields.finish_term()
            fields.finish_field()
        fields.close()


class _PostingsFile:
    """Every term's postings of a fast build as plain arrays, written beside the Whoosh index
    (``postings.bin``): reading a term is three array copies instead of Whoosh's unpickling and
    decompression of each of its blocks (≈ 0.15 s of a 30-action plan's match on 10,000 schemes).

    At a term's offset: its docnums (uint32, ascending), its weights as Whoosh's block writer
    stores them (float32), the end of each encoded positions value (uint32), then the values
    (only the non-empty ones, as Whoosh keeps them) compressed with zlib: Whoosh's pickled
    positions would make the file three times the size of the index, and only phrases read
    them. Where each term is goes in ``facts.json`` (``Facts.postings``), in the order of the
    field's vocabulary."""

    def __init__(self):
        self._chunks: list[bytes] = []
        self._size = 0
        # (field, term) -> (offset, postings, values, record size)
        self.entries: dict[tuple[str, str], tuple[int, int, int, int]] = {}

    def add(self, name: str, term: str, docnums: tuple[int, ...], weights: tuple[float, ...],
            values: tuple[bytes, ...]) -> None:
        values = list(filter(None, values))
        record = b"".join((array("I", docnums).tobytes(), array("f", weights).tobytes(),
                           array("I", accumulate(map(len, values))).tobytes(),
                           zlib.compress(b"".join(values), VALUES_COMPRESSION)))
        self.entries[(name, term)] = (self._size, len(docnums), len(values), len(record))
        self._chunks.append(record)
        self._size += len(record)

    def write(self, path: Path) -> None:
        with open(path, "wb") as handle:
            handle.writelines(self._chunks)

    def directory(self, vocabulary: dict[str, frozenset[str]]) -> dict[str, list[int]]:
        """Per field, the entry of each term of ``sorted(vocabulary[field])``, flat."""
        entries = self.entries
        return {name: [number for term in sorted(terms) for number in entries[(name, term)]]
                for name, terms in vocabulary.items()}

    @staticmethod
    def read(buffer, offset: int, count: int, values: int,
             size: int) -> tuple[list[int], list[float], "_EncodedValues"]:
        docs, weights, ends = array("I"), array("f"), array("I")
        docs.frombytes(buffer[offset:offset + 4 * count])
        weights.frombytes(buffer[offset + 4 * count:offset + 8 * count])
        start = offset + 8 * count + 4 * values
        ends.frombytes(buffer[offset + 8 * count:start])
        return docs.tolist(), weights.tolist(), _EncodedValues(buffer[start:offset + size], ends)


class _EncodedValues:
    """A term's encoded positions, decompressed when a phrase first asks for one."""

    def __init__(self, compressed: bytes, ends: array):
        self._compressed, self._ends = compressed, ends
        self._values: bytes | None = None

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, row: int) -> bytes:
        if self._values is None:
            self._values = zlib.decompress(self._compressed)
        begin = self._ends[row - 1] if row else 0
        return self._values[begin:self._ends[row]]


def _whoosh_idf(doc_count: int, doc_frequency: int) -> float:
    """``whoosh.scoring.WeightingModel.idf`` (what BM25F uses), from the counts of the side files."""
    return log(doc_count / (doc_frequency + 1)) + 1


class _Text(TEXT):
    """Whoosh's TEXT field; during a fast build (``_WordCache`` active) the analyzer runs once
    per distinct word instead of once per occurrence. Same terms, frequencies and positions."""

    def index(self, value, **kwargs):
        cache = _WordCache.active
        if cache is None or kwargs or not isinstance(value, str):
            return super().index(value, **kwargs)
        return cache.word_values(self, value)


_TERMS = itemgetter(2)   # the terms alone of a ``_WordCache`` word entry


class _WordCache:
    """Per-word analysis for one build. Valid because every step of the analyzers is local to
    a word (the tokenizer cuts ``analysis._WORD_RE`` matches one by one; lower-casing, folding,
    stop words and stems look at one token), except StopFilter's renumbering, redone here:
    kept tokens take consecutive positions from the first one's. Any other analyzer chain
    goes through Whoosh unchanged (see ``_plan``); tests compare both on the real catalogue."""

    active: "_WordCache | None" = None
    ENCODED_MAX = 4   # positions lists remembered up to this length (longer ones rarely recur)
    _STEPS = ("FrenchTokenizer", "LowercaseFilter", "AccentFoldFilter", "StopFilter", "LightFrenchStemFilter")

    def __init__(self):
        self._words: dict[int, tuple[object, bool, dict]] = {}   # id(analyzer) -> (analyzer, renumber, words)
        self._texts: dict[tuple, list] = {}                      # short repeated values (funders, themes…)
        self._encoded: dict[type, dict[tuple, bytes]] = {}
        self._encoders: dict[type, Callable] = {}

    @contextlib.contextmanager
    def activated(self):
        _WordCache.active = self
        try:
            yield self
        finally:
            _WordCache.active = None

    def _plan(self, analyzer):
        entry = self._words.get(id(analyzer))
        if entry is None:
            items = getattr(analyzer, "items", None)
            names = [type(item).__name__ for item in items or ()]
            fast = bool(items) and names[0] == "FrenchTokenizer" and all(n in self._STEPS for n in names) \
                and all(getattr(item, "renumber", True) for item in items if type(item).__name__ == "StopFilter")
            entry = self._words[id(analyzer)] = (analyzer, "StopFilter" in names, {}) if fast else (analyzer, None, None)
        return entry

    def _word(self, analyzer, words: dict, word: str):
        """(terms as UTF-8 bytes with their position in the word, positions the word takes in the
        token stream, the terms alone)."""
        found = words.get(word)
        if found is None:
            # CompositeAnalyzer.__call__, with the tokenizer's positions noted on the way
            seen: list[int] = []

            def noted(tokens):
                for t in tokens:
                    seen.append(t.pos)
                    yield t
            tokens = noted(analyzer.items[0](word, positions=True, boosts=True, mode="index"))
            for item in analyzer.items[1:]:
                tokens = item(tokens)
            terms = [(t.text.encode("utf-8"), t.pos) for t in tokens if not t.stopped]
            found = words[word] = (terms, max(seen) + 1, tuple(term for term, _ in terms))
        return found

    def _encoder(self, fmt):
        """``fmt.encode`` remembered per list of positions: most postings hold one or two positions,
        and the same short lists recur across documents."""
        cache = self._encoded.setdefault(type(fmt), {})
        encode = fmt.encode

        def encoded(positions: list[int]) -> bytes:
            if len(positions) > self.ENCODED_MAX:
                return encode(positions)
            key = tuple(positions)
            found = cache.get(key)
            if found is None:
                found = cache[key] = encode(positions)
            return found
        return encoded

    def word_values(self, field, value: str):
        analyzer, renumber, words = self._plan(field.analyzer)
        if words is None:
            return TEXT.index(field, value)
        fmt, boost = field.format, field.format.field_boost
        key = (id(analyzer), type(fmt), boost, value)
        cached = self._texts.get(key)
        if cached is not None:
            return cached
        poses = self._renumbered(analyzer, words, value) if renumber else self._positioned(analyzer, words, value)
        encode = self._encoders.get(type(fmt))
        if encode is None:
            encode = self._encoders[type(fmt)] = self._encoder(fmt)
        out = [(term, len(positions), float(len(positions)) * boost, encode(positions))
               for term, positions in poses.items()]
        if len(value) <= 200:
            self._texts[key] = out
        return out

    def _renumbered(self, analyzer, words: dict, value: str) -> dict[bytes, list[int]]:
        """Term -> positions when StopFilter renumbers: the first kept token keeps its position,
        the following ones take the next positions, whatever the words they come from."""
        tokens = _WORD_RE.findall(value)
        entries = list(map(words.get, tokens))
        if None in entries:
            entries = [entry or self._word(analyzer, words, word) for entry, word in zip(entries, tokens)]
        base, first = 0, 0
        for terms, width, _ in entries:
            if terms:
                first = base + terms[0][1]
                break
            base += width
        poses: defaultdict[bytes, list[int]] = defaultdict(list)
        for at, term in enumerate(chain.from_iterable(map(_TERMS, entries)), start=first):
            poses[term].append(at)
        return poses

    def _positioned(self, analyzer, words: dict, value: str) -> dict[bytes, list[int]]:
        """Term -> positions, each token at its word's position plus its own offset in the word."""
        poses: dict[bytes, list[int]] = {}
        base = 0
        known = words.get
        for word in _WORD_RE.findall(value):
            found = known(word)
            terms, width, _ = found if found is not None else self._word(analyzer, words, word)
            for term, pos in terms:
                positions = poses.get(term)
                if positions is None:
                    poses[term] = [base + pos]
                else:
                    positions.append(base + pos)
            base += width
        return poses


# A list item: a line starting with a bullet, a dash, « 1° », « 2) », « a) » or « 3 - ».
_ITEM_RE = re.compile(r"^\s*(?:[-–—•*▪◦]|\d{1,2}\s*(?:°|\)|\.|-|–)|[a-z]\))\s*(?P<text>\S.*)$")


def split_priorities(text: str) -> tuple[str, list[str]]:
    """(the prose of a description, its list items)."""
    prose, items = [], []
    for line in text.splitlines():
        found = _ITEM_RE.match(line)
        (items if found else prose).append(found.group("text").strip() if found else line)
    return "\n".join(prose), items


def document(scheme: Scheme) -> dict[str, str]:
    """The text of each indexed field for one scheme."""
    def cut(text: str) -> str:
        return text[:MAX_FIELD_CHARS]
    prose, items = split_priorities(cut(scheme.description))
    return {
        "id": scheme.id,
        "title": " ".join(filter(None, (scheme.title, scheme.name_initial))),
        "themes": " ; ".join(scheme.themes),
        "programmes": " ; ".join(scheme.programmes),
        "description": cut(" ".join(filter(None, (prose, scheme.project_examples)))),
        "priorities": " ; ".join(items),
        "keywords": " ; ".join(scheme.keywords),
        "eligibility": cut(scheme.eligibility),
        "funders": " ; ".join(scheme.funders),
    }


@dataclass
class QueryPart:
    """One word or phrase (as analysed stems) with its weight in the query."""
    stems: tuple[str, ...]
    weight: float


@dataclass
class Hit:
    id: str
    score: float
    matched: dict[str, set[str]] = field(default_factory=dict)   # stem -> fields it matched


class Facts:
    """The side file written with the index (``facts.json``): per docnum, the columns the hard
    filters, the tie-break and the hit ids need, and the indexed length of every field (the
    ones Whoosh's scorer reads). A match reads this file instead of every scheme of the catalogue."""

    COLUMNS = ("ids", "perimeter", "beneficiaries", "deadline", "recurrence", "archived", "closed_at",
               "end_evidence", "aid_types", "destinations", "steps", "programmes")

    def __init__(self, columns: dict | None = None):
        columns = columns or {}
        for name in self.COLUMNS:
            setattr(self, name, columns.get(name, []))
        self.lengths: dict[str, list[int]] = columns.get("lengths", {})
        # field -> its indexed terms, so that « is this word in the catalogue? » is a set look-up
        # (Whoosh's term-table look-up costs about 15 µs, and a 30-action plan asks it 6,000 times);
        # None for an index written before this list existed (then Whoosh is asked)
        vocabulary = columns.get("vocabulary")
        self.vocabulary: dict[str, frozenset[str]] | None = (
            {name: frozenset(terms) for name, terms in vocabulary.items()} if vocabulary is not None else None)
        self._sorted_vocabulary: dict[str, list[str]] = vocabulary or {}
        # field -> flat (offset, postings, values, size) per term of its sorted vocabulary in postings.bin;
        # None when the index has no such file (a reference build, or one written before it)
        self.postings: dict[str, list[int]] | None = columns.get("postings")
        # field -> its total length as Whoosh counts it (``reader.field_length``: the average field
        # length of BM25F); None for an index written before (then Whoosh is asked)
        self.field_totals: dict[str, int] | None = columns.get("field_totals")
        self._postings_entries: dict[str, dict[str, tuple[int, int, int, int]]] = {}
        self._docnums: dict[str, int] | None = None

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def docnums(self) -> dict[str, int]:
        if self._docnums is None:
            self._docnums = {sid: docnum for docnum, sid in enumerate(self.ids)}
        return self._docnums

    def postings_entry(self, name: str, term: str) -> tuple[int, int, int, int] | None:
        """Where ``term``'s postings of field ``name`` are in postings.bin (None: not there)."""
        entries = self._postings_entries.get(name)
        if entries is None:
            flat = self.postings.get(name, [])
            entries = self._postings_entries[name] = dict(zip(self._sorted_vocabulary.get(name, []),
                                                              zip(*(flat[i::4] for i in range(4)))))
        return entries.get(term)

    def add(self, scheme: Scheme) -> None:
        self.ids.append(scheme.id)
        self.perimeter.append(scheme.perimeter)
        self.beneficiaries.append(list(scheme.beneficiaries))
        self.deadline.append(scheme.deadline.isoformat() if scheme.deadline else None)
        self.recurrence.append(scheme.recurrence)
        self.archived.append(bool(scheme.archived))
        self.closed_at.append(scheme.closed_at)
        self.end_evidence.append(scheme.end_evidence or end_evidence(scheme))
        self.aid_types.append(list(scheme.aid_types))
        self.destinations.append(list(scheme.destinations))
        self.steps.append(list(scheme.steps))
        self.programmes.append(list(scheme.programmes))

    def read_lengths(self, reader, known: dict[str, dict[int, int]] | None = None) -> None:
        """Field lengths as Whoosh stored them (``known``: those a fast build noted, field ->
        docnum -> length, for the documents with postings); also checks that docnums follow the
        order of addition."""
        count = reader.doc_count_all()
        if [fields["id"] for _, fields in reader.iter_docs()] != self.ids:
            raise IndexError_("numérotation inattendue des documents de l'index")
        # doc_field_length gives None for an empty field (no posting can point there)
        self.lengths = {}
        for name in FIELD_WEIGHTS:
            if known is not None and known.get(name):
                noted = known[name]
                self.lengths[name] = [noted.get(docnum) or 0 for docnum in range(count)]
            elif not reader.field_length(name):
                # no document fills the field: no per-document question (Whoosh looks for the
                # missing length column's file at each one: 40,000 stats for 10,000 schemes)
                self.lengths[name] = [0] * count
            else:
                self.lengths[name] = [reader.doc_field_length(docnum, name, 1) or 0 for docnum in range(count)]

    def read_vocabulary(self, reader) -> None:
        """Every field's terms as Whoosh stored them (13 ms for 10,000 schemes; Whoosh 2.7 gives
        bytes, the public ``lexicon`` API is used so that the reference path gets the list too)."""
        self.vocabulary = {name: frozenset(term.decode("utf-8") if isinstance(term, bytes) else term
                                           for term in reader.lexicon(name))
                           if name in reader.schema else frozenset() for name in FIELD_WEIGHTS}

    def write(self, path: Path) -> None:
        data = {name: getattr(self, name) for name in self.COLUMNS}
        data["lengths"] = self.lengths
        if self.vocabulary is not None:
            data["vocabulary"] = {name: sorted(terms) for name, terms in self.vocabulary.items()}
        if self.postings is not None:
            data["postings"] = self.postings
        if self.field_totals is not None:
            data["field_totals"] = self.field_totals
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> "Facts":
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            raise IndexError_(f"index incomplet ({path.name} illisible : {error}) : relancez « aidenum index »") \
                from None


@dataclass
class BuildResult:
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")


class SchemeIndex:
    def __init__(self, home: Path, kind: str = "full", fast: bool = True):
        """``fast=False`` is the reference path kept for tests and the benchmark: Whoosh analyses
        every occurrence, and searches score through Whoosh's own Term/Phrase matchers."""
        if kind not in ("full", "naive"):
            raise ValueError(f"type d'index inconnu « {kind} »")
        self.root = Path(home) / "index"
        self.kind = kind
        self.fast = fast and fast_path_supported()
        self._ix = None
        self._searcher = None
        self._facts: Facts | None = None
        self._opened_dir: Path | None = None
        self._opened_key: tuple | None = None
        self._cache: dict[tuple[str, tuple[str, ...]], _Postings] = {}
        self._terms: dict[tuple[str, str], _Term] = {}
        self._norm_cache: dict[str, list[float]] = {}
        self._df: dict[str, int] = {}
        self._decoded: dict[type, dict[bytes, frozenset[int]]] = {}   # encoded positions -> positions
        self._present: dict[tuple[str, str], bool] = {}
        self._postings_buffer = None   # postings.bin, mapped while the index is open
        self._default_weighting = None
        self._schema_of_kind: Schema | None = None

    # -- where the live index is -----------------------------------------------------------------
    @property
    def pointer(self) -> Path:
        return self.root / f"{self.kind}.current"

    def live_dir(self) -> Path | None:
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.root / name
        return path if (path / "stamp.json").exists() else None

    def stamp(self) -> dict | None:
        live = self.live_dir()
        if live is None:
            return None
        try:
            return json.loads((live / "stamp.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def is_current(self, catalogue_stamp: dict) -> bool:
        stamp = self.stamp()
        return bool(stamp) and stamp.get("catalogue") == catalogue_stamp and stamp.get("format") == INDEX_FORMAT

    # -- building ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def build(self, schemes: Iterable[Scheme], catalogue_stamp: dict,
              on_document: Callable[[], None] | None = None) -> BuildResult:
        """Index ``schemes`` into a new directory and swap it in atomically (caller holds the lock)."""
        self.root.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        build_dir = Path(tempfile.mkdtemp(prefix=f"{self.kind}-", dir=self.root))
        count = 0
        try:
            ix = whoosh_index.create_in(str(build_dir), _schema(self.kind))
            writer = ix.writer(limitmb=256)
            facts = Facts()
            bulk = _BulkWriter(writer) if self.fast else None
            add = bulk.add_document if bulk else writer.add_document
            try:
                with _WordCache().activated() if self.fast else contextlib.nullcontext():
                    for scheme in schemes:
                        add(**document(scheme))
                        facts.add(scheme)
                        count += 1
                        if on_document:
                            on_document()
            except BaseException:
                writer.cancel()
                raise
            if bulk:
                bulk.commit()
            else:
                writer.commit()
            with ix.reader() as reader:
                facts.read_lengths(reader, bulk.lengths if bulk else None)
                facts.read_vocabulary(reader)
                facts.field_totals = {name: reader.field_length(name) for name in FIELD_WEIGHTS}
            ix.close()
            if bulk:
                bulk.postings_file.write(build_dir / POSTINGS_NAME)
                facts.postings = bulk.postings_file.directory(facts.vocabulary)
            facts.write(build_dir / FACTS_NAME)
            seconds = time.perf_counter() - started
            stamp = {"catalogue": catalogue_stamp, "count": count, "format": INDEX_FORMAT,
                     "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(seconds, 3)}
            (build_dir / "stamp.json").write_text(json.dumps(stamp, ensure_ascii=False), encoding="utf-8")
            previous = self.live_dir()
            atomic_write(self.pointer, build_dir.name)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
        self.close()
        if previous and previous != build_dir:
            # open readers keep their files (POSIX); new readers follow the pointer
            shutil.rmtree(previous, ignore_errors=True)
        self._sweep(keep=build_dir)
        return BuildResult(count, seconds)

    def _sweep(self, keep: Path) -> None:
        """Remove directories left by builds that crashed before their swap."""
        for path in self.root.glob(f"{self.kind}-*"):
            if path.is_dir() and path != keep and not (path / "stamp.json").exists():
                if time.time() - path.stat().st_mtime > 3600:
                    shutil.rmtree(path, ignore_errors=True)

    # -- searching -----------------------------------------------------------------------------
    def _pointer_key(self) -> tuple | None:
        """What changes when a rebuild swaps the pointer (written by rename: a new inode)."""
        try:
            found = os.stat(self.pointer)
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns, found.st_size

    def _refresh(self, retry: bool = True) -> None:
        """Follow the live pointer: the side files of the live directory, (re)read when a rebuild
        swapped it. Every look-up of a match comes here: one stat while the pointer is unchanged,
        instead of reading it and the live stamp (25 times per action, 3 ms of the 28 ms of an
        action). Whoosh itself is opened only when a path needs it (``_whoosh``): a fast index's
        searches read ``postings.bin`` and ``facts.json`` alone (opening Whoosh costs 50 ms)."""
        key = self._pointer_key()
        if self._facts is not None and key is not None and key == self._opened_key:
            return
        live = self.live_dir()
        if live is None:
            raise IndexError_("index absent : lancez « aidenum index »")
        if self._facts is None or live != self._opened_dir:
            self.close()
            try:
                self._opened_dir = live
                self._facts = Facts.read(live / FACTS_NAME)
                self._postings_buffer = self._map_postings(live) if self._facts.postings is not None else None
                built = json.loads((live / "stamp.json").read_text(encoding="utf-8")).get("count")
            except (OSError, ValueError, IndexError_):
                self.close()
                if retry and self.live_dir() != live:   # swapped and removed by a rebuild meanwhile
                    return self._refresh(retry=False)
                raise
            if built is not None and self._facts.count != built:
                self.close()
                raise IndexError_(f"index incohérent dans {live} : relancez « aidenum index »")
        self._opened_key = key

    def _whoosh(self, retry: bool = True):
        """Whoosh's searcher of the live directory, opened on first need (the reference paths, an
        index written before ``postings.bin``, the tests)."""
        self._refresh()
        if self._searcher is None:
            live = self._opened_dir
            try:
                self._ix = whoosh_index.open_dir(str(live))
                self._searcher = self._ix.searcher()
            except OSError:
                self.close()
                if retry and self.live_dir() != live:   # swapped and removed by a rebuild since then
                    return self._whoosh(retry=False)
                raise
            if self._facts.count != self._searcher.reader().doc_count_all():
                self.close()
                raise IndexError_(f"index incohérent dans {live} : relancez « aidenum index »")
        return self._searcher

    @staticmethod
    def _map_postings(live: Path):
        try:
            with open(live / POSTINGS_NAME, "rb") as handle:
                if os.fstat(handle.fileno()).st_size == 0:
                    return b""   # no term at all (an empty catalogue): mmap refuses an empty file
                return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            raise IndexError_(f"index incomplet ({POSTINGS_NAME} illisible : {error}) : relancez « aidenum index »") \
                from None

    def close(self) -> None:
        if isinstance(self._postings_buffer, mmap.mmap):
            self._postings_buffer.close()
        self._postings_buffer = None
        if self._searcher is not None:
            self._searcher.close()
        if self._ix is not None:
            self._ix.close()
        self._searcher = self._ix = self._facts = self._opened_dir = self._opened_key = None
        self._cache, self._terms, self._norm_cache, self._df, self._decoded, self._present = {}, {}, {}, {}, {}, {}

    def drop_query_caches(self) -> None:
        """Forget the postings read for past queries (the benchmark times a search from the index);
        the opened index, its side file and the per-field length norms stay."""
        self._cache, self._terms, self._df, self._decoded, self._present = {}, {}, {}, {}, {}

    def doc_count(self) -> int:
        self._refresh()
        return self._facts.count

    @property
    def facts(self) -> "Facts":
        """What the filters and the ranking need of every indexed scheme, by docnum."""
        self._refresh()
        return self._facts

    def has_word(self, stem: str) -> bool:
        """Whether any indexed field holds ``stem`` (term tables only, no postings read: the
        split-compound test asks it of every pair of neighbouring words)."""
        self._refresh()
        return any(self._has(name, stem) for name in FIELD_WEIGHTS)

    def doc_frequency(self, stem: str) -> int:
        """Number of indexed schemes having ``stem`` in at least one field (whole catalogue,
        before any filter): how common a word is in THIS catalogue."""
        self._refresh()
        found = self._df.get(stem)
        if found is None:
            docs: set[int] = set()
            for name in FIELD_WEIGHTS:
                if not self._has(name, stem):
                    continue
                if self.fast:
                    docs.update(self._term(name, stem).docs)
                else:
                    docs.update(self._whoosh().reader().postings(name, stem).all_ids())
            found = self._df[stem] = len(docs)
        return found

    def search(self, parts: list[QueryPart], allowed: set[str] | None = None, limit: int = 50,
               allowed_docs: frozenset[int] | None = None) -> list[Hit]:
        """Score documents against the weighted ``parts``: the BM25F scores of every (part, field)
        are added up explicitly, posting by posting (never OrGroup.factory, and no binary tree of
        hundreds of Whoosh union matchers, which is two orders of magnitude slower here).

        ``allowed`` (scheme ids) or ``allowed_docs`` (docnums, see ``facts``) restricts the
        candidates BEFORE ranking (the hard filters)."""
        self._refresh()
        docset = allowed_docs
        if allowed is not None:
            docnums = self._facts.docnums
            docset = {docnums[i] for i in allowed if i in docnums}
        if docset is not None and not docset:
            return []
        scores: dict[int, float] = {}
        get = scores.get
        lists = []
        for part in parts:
            for name, field_weight in FIELD_WEIGHTS.items():
                postings = self._postings(name, part.stems)
                lists.append((part, name, postings))
                if postings.empty:
                    continue
                boost = part.weight * field_weight
                # same additions in the same order as a plain loop: the sums are bit-identical
                for docnum, score in (postings.pairs if docset is None else postings.within(docset)):
                    scores[docnum] = get(docnum, 0.0) + boost * score
        best = sorted(scores.items(), key=lambda item: -item[1])[:limit]
        # which stems matched which fields: only for the documents returned
        matched: dict[int, dict[str, set[str]]] = {docnum: {} for docnum, _ in best}
        kept = frozenset(matched)
        for part, name, postings in lists:
            if not postings.empty:
                for docnum in postings.among(kept):
                    terms = matched[docnum]
                    for stem in part.stems:
                        terms.setdefault(stem, set()).add(name)
        ids = self._facts.ids
        return [Hit(ids[docnum], score, matched[docnum]) for docnum, score in best]

    # -- postings and BM25F ------------------------------------------------------------------------
    def _postings(self, name: str, stems: tuple[str, ...]) -> "_Postings":
        """(docnum, unboosted BM25F score) of a word or phrase in a field, read once per opened index.

        Scores are those of Whoosh's BM25F scorer (same formula, same operands, same order of
        additions: a phrase scores the sum of its words' scores, as Whoosh's phrase matcher
        does), computed from the posting blocks and the field lengths of the side file."""
        key = (name, stems)
        cached = self._cache.get(key)
        if cached is None:
            if not all(self._has(name, stem) for stem in stems):
                cached = _EMPTY
            elif not self.fast:
                cached = self._whoosh_postings(name, stems)
            elif len(stems) == 1:
                cached = _TermPostings(self._term(name, stems[0]))
            else:
                cached = self._phrase(name, stems)
            self._cache[key] = cached
        return cached

    def _has(self, name: str, stem: str) -> bool:
        """Whether the field holds the term: in the side file's vocabulary, or for an index written
        without it, one look-up in Whoosh's term table per opened index (a word recurs in many
        parts, phrases and synonyms of a query)."""
        terms = self._facts.vocabulary.get(name) if self._facts.vocabulary is not None else None
        if terms is not None:
            return stem in terms
        key = (name, stem)
        found = self._present.get(key)
        if found is None:
            found = self._present[key] = key in self._whoosh().reader()
        return found

    def _whoosh_postings(self, name: str, stems: tuple[str, ...]) -> "_Postings":
        """The reference: Whoosh's Term / Phrase matchers and its BM25F scorer, posting by posting."""
        from whoosh import query
        q = query.Term(name, stems[0]) if len(stems) == 1 else query.Phrase(name, list(stems), slop=1)
        docs, scores = [], []
        m = q.matcher(self._whoosh())
        while m.is_active():
            docs.append(m.id())
            scores.append(m.score())
            m.next()
        return _Postings(docs, scores)

    def _term(self, name: str, stem: str) -> "_Term":
        key = (name, stem)
        term = self._terms.get(key)
        if term is None:
            entry = self._facts.postings_entry(name, stem) if self._postings_buffer is not None else None
            if entry is not None:
                docs, weights, values = _PostingsFile.read(self._postings_buffer, *entry)
                idf = _whoosh_idf(self._facts.count, len(docs))
            else:
                searcher = self._whoosh()
                docs, weights, values = _read_postings(searcher.reader().postings(name, stem))
                idf = searcher.idf(name, stem)
            term = _Term(docs, weights, values, idf, self._norms(name), self._k1)
            self._terms[key] = term
        return term

    def _phrase(self, name: str, stems: tuple[str, ...]) -> "_PhrasePostings":
        terms = [self._term(name, stem) for stem in stems]
        fmt = self._field_format(name)
        decoded = self._decoded.setdefault(type(fmt), {})
        decode = fmt.decoder("positions")

        def positions(value: bytes) -> frozenset[int]:
            """Decoded once per distinct value: most postings hold one position, and the same
            encoded lists recur across documents and terms."""
            found = decoded.get(value)
            if found is None:
                found = decoded[value] = frozenset(decode(value))
            return found
        return _PhrasePostings(terms, positions)

    def _norms(self, name: str) -> list[float]:
        """Per docnum, the length part of BM25's denominator: K1 * ((1 - B) + B * fl / avgfl)."""
        norms = self._norm_cache.get(name)
        if norms is None:
            weighting = self._weighting()
            b, k1 = weighting._field_B.get(name, weighting.B), weighting.K1
            totals = self._facts.field_totals
            if totals is not None:   # Searcher.avg_field_length, from the side file
                avgfl = totals.get(name, 0) / (self._facts.count or 1) or 1
            else:
                avgfl = self._whoosh().avg_field_length(name) or 1
            norms = self._norm_cache[name] = [k1 * ((1 - b) + b * fl / avgfl) for fl in self._facts.lengths[name]]
        return norms

    def _weighting(self):
        """The searcher's BM25F: ``Index.searcher()``'s default, made alike when Whoosh is not open."""
        if self._searcher is not None:
            return self._searcher.weighting
        if self._default_weighting is None:
            self._default_weighting = scoring.BM25F()
        return self._default_weighting

    def _field_format(self, name: str):
        """The posting format of a field (for its positions decoder), from the schema of this kind."""
        if self._searcher is not None:
            return self._searcher.reader().schema[name].format
        if self._schema_of_kind is None:
            self._schema_of_kind = _schema(self.kind)
        return self._schema_of_kind[name].format

    @property
    def _k1(self) -> float:
        return self._weighting().K1


class _Postings:
    """A word or phrase in one field: docnums (ascending) and their unboosted scores."""

    def __init__(self, docs: list[int], scores: list[float], docset: frozenset[int] | None = None):
        self.docs, self.scores, self._docset = docs, scores, docset
        self._within = _WithinCache()

    @property
    def empty(self) -> bool:
        return not self.docs

    @property
    def pairs(self):
        return zip(self.docs, self.scores)

    def among(self, docnums: frozenset[int]) -> frozenset[int]:
        if self._docset is None:
            self._docset = frozenset(self.docs)
        return docnums & self._docset

    def within(self, allowed) -> list[tuple[int, float]]:
        """The postings of documents in ``allowed`` (kept for the last few sets asked)."""
        found = self._within.get(allowed)
        if found is None:
            found = self._within.put(allowed, [(d, s) for d, s in zip(self.docs, self.scores) if d in allowed])
        return found


class _WithinCache:
    """Filtered postings for the last few allowed sets (one applicant, with and without the
    relay to businesses, with and without closed schemes), by identity of the set."""

    def __init__(self):
        self._entries: list[tuple[object, list]] = []

    def get(self, allowed):
        for key, value in self._entries:
            if key is allowed:
                return value
        return None

    def put(self, allowed, value):
        self._entries = [*self._entries[-3:], (allowed, value)]
        return value


_EMPTY = _Postings([], [], frozenset())


class _TermPostings(_Postings):
    """A single word's postings; its scores are computed only for the documents a filtered
    search keeps, unless all of them are asked."""

    def __init__(self, term: "_Term"):
        self._term, self.docs, self._docset = term, term.docs, None
        self._within = _WithinCache()

    @property
    def scores(self) -> list[float]:
        return self._term.scores()

    def within(self, allowed) -> list[tuple[int, float]]:
        found = self._within.get(allowed)
        if found is None:
            found = self._within.put(allowed, self._term.pairs_within(allowed))
        return found


class _PhrasePostings:
    """Documents where the words follow each other (Whoosh's Phrase with slop=1 requires
    consecutive positions), scored as the sum of the words' scores in Whoosh's tree order.

    Positions are decoded per document on demand: a search restricted by the hard filters
    only looks at the documents the applicant may apply to."""

    def __init__(self, terms: list[_Term], decode):
        self._terms, self._decode = terms, decode
        self._candidates = sorted(set(terms[0].docs).intersection(*(t.docs for t in terms[1:])))
        self._candidate_set: frozenset[int] | None = None
        self._score: dict[int, float | None] = {}   # docnum -> score, None when not a phrase there
        self._within = _WithinCache()

    def _at(self, docnum: int) -> float | None:
        if docnum not in self._score:
            terms, decode = self._terms, self._decode
            rows = [t.rows[docnum] for t in terms]
            # the positions where the phrase may start, narrowed word by word
            starts = terms[0].positions(rows[0], decode)
            for offset, (term, row) in enumerate(zip(terms[1:], rows[1:]), start=1):
                following = term.positions(row, decode)
                starts = [start for start in starts if start + offset in following]
                if not starts:
                    break
            found = bool(starts)
            self._score[docnum] = _tree_sum([t.score_at(row) for t, row in zip(terms, rows)]) if found else None
        return self._score[docnum]

    @property
    def empty(self) -> bool:
        return not self._candidates

    @property
    def pairs(self) -> list[tuple[int, float]]:
        return [(d, s) for d, s in ((d, self._at(d)) for d in self._candidates) if s is not None]

    @property
    def docs(self) -> list[int]:
        return [d for d, _ in self.pairs]

    @property
    def scores(self) -> list[float]:
        return [s for _, s in self.pairs]

    def among(self, docnums) -> set[int]:
        if self._candidate_set is None:
            self._candidate_set = frozenset(self._candidates)
        return {d for d in docnums & self._candidate_set if self._at(d) is not None}

    def within(self, allowed) -> list[tuple[int, float]]:
        found = self._within.get(allowed)
        if found is None:
            pairs = ((d, self._at(d)) for d in self._candidates if d in allowed)
            found = self._within.put(allowed, [(d, s) for d, s in pairs if s is not None])
        return found


class _Term:
    """One term's postings in one field: docnums, frequencies, raw position values."""

    def __init__(self, docs, weights, values, idf, norms, k1):
        self.docs, self.weights, self.values = docs, weights, values
        self.idf, self.norms, self.k1 = idf, norms, k1
        self._rows: dict[int, int] | None = None
        self._scores: list[float] | None = None
        self._positions: dict[int, frozenset[int]] | None = None

    def scores(self) -> list[float]:
        if self._scores is None:
            idf, norms, k1 = self.idf, self.norms, self.k1
            # whoosh.scoring.bm25 with the length part precomputed per document
            self._scores = [idf * ((tf * (k1 + 1)) / (tf + norms[docnum]))
                            for docnum, tf in zip(self.docs, self.weights)]
        return self._scores

    def pairs_within(self, allowed) -> list[tuple[int, float]]:
        """(docnum, score) of the documents in ``allowed``, scored by the same expression."""
        if self._scores is not None:
            return [(d, s) for d, s in zip(self.docs, self._scores) if d in allowed]
        idf, norms, k1 = self.idf, self.norms, self.k1
        return [(docnum, idf * ((tf * (k1 + 1)) / (tf + norms[docnum])))
                for docnum, tf in zip(self.docs, self.weights) if docnum in allowed]

    @property
    def rows(self) -> dict[int, int]:
        if self._rows is None:
            self._rows = {d: i for i, d in enumerate(self.docs)}
        return self._rows

    def row(self, docnum: int) -> int:
        return self.rows[docnum]

    def score_at(self, row: int) -> float:
        if self._scores is not None:
            return self._scores[row]
        tf = self.weights[row]
        return self.idf * ((tf * (self.k1 + 1)) / (tf + self.norms[self.docs[row]]))

    def positions(self, row: int, decode) -> frozenset[int]:
        """Decoded once: a word is shared by many phrases (« numérique » …)."""
        if self._positions is None:
            self._positions = {}
        found = self._positions.get(row)
        if found is None:
            found = self._positions[row] = decode(self.values[row])
        return found


def _read_postings(matcher) -> tuple[list[int], list[float], list]:
    """All (docnum, weight, value) of a term, a whole block at a time when the matcher is
    Whoosh 3's block reader (the per-posting calls dominate otherwise)."""
    docs: list[int] = []
    weights: list[float] = []
    values: list = []
    if all(hasattr(matcher, attr) for attr in ("_read_data", "_read_weights", "_read_values", "_next_block")) \
            and not matcher._byteids:
        while matcher.is_active():
            matcher._read_data()
            matcher._read_weights()
            matcher._read_values()
            docs.extend(accumulate(matcher._data[0]))   # the block's docnums are deltas (_read_ids)
            weights.extend(matcher._weights)
            values.extend(matcher._values)
            matcher._next_block()
        return docs, weights, values
    while matcher.is_active():
        docs.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    return docs, weights, values


def _tree_sum(values: list[float]) -> float:
    """Sum in the order of Whoosh's ``make_binary_tree`` of intersection matchers: a + (b + c)."""
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return _tree_sum(values[:half]) + _tree_sum(values[half:])
