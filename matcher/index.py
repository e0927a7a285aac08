"""The Whoosh index of the catalogue — the only module that opens indexes or builds queries.

Layout under ``$AIDENUM_HOME/index/``::

    full.current     the name of the live directory of the full index (a one-line pointer)
    full-<random>/   a complete Whoosh index plus ``stamp.json`` (catalogue stamp, count, time)
    naive.current, naive-<random>/   the same for the baseline analyzer
    .lock            one writer at a time (fcntl)

A rebuild writes a fresh directory, commits, writes its stamp, then swaps the pointer with
``os.replace`` (atomic on POSIX): a reader sees the old index or the new one, never half of
one, and a failed build leaves the live index untouched.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.fields import ID, TEXT, Schema

from catalogue.model import Scheme

from .analysis import french_analyzer, naive_analyzer

# title, themes, programmes > description > keywords > eligibility, funders (Aides-territoires)
FIELD_WEIGHTS = {"title": 4.0, "themes": 3.0, "programmes": 3.0, "description": 2.0,
                 "keywords": 1.5, "eligibility": 1.0, "funders": 1.0}
FIELD_LABELS = {"title": "titre", "themes": "thèmes", "programmes": "programmes",
                "description": "description", "keywords": "mots-clés", "eligibility": "conditions d'éligibilité",
                "funders": "financeurs"}
MAX_FIELD_CHARS = 20_000  # beyond this a description is boilerplate; it only slows the build
INDEX_FORMAT = 1


class IndexError_(RuntimeError):
    """The index cannot be built or opened; ``str()`` is French."""


def _schema(kind: str) -> Schema:
    analyzer = french_analyzer() if kind == "full" else naive_analyzer()
    fields = {name: TEXT(analyzer=analyzer, phrase=True) for name in FIELD_WEIGHTS}
    return Schema(id=ID(stored=True, unique=True), **fields)


def document(scheme: Scheme) -> dict[str, str]:
    """The text of each indexed field for one scheme."""
    def cut(text: str) -> str:
        return text[:MAX_FIELD_CHARS]
    return {
        "id": scheme.id,
        "title": " ".join(filter(None, (scheme.title, scheme.name_initial))),
        "themes": " ; ".join(scheme.themes),
        "programmes": " ; ".join(scheme.programmes),
        "description": cut(" ".join(filter(None, (scheme.description, scheme.project_examples)))),
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


@dataclass
class BuildResult:
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")


class SchemeIndex:
    def __init__(self, home: Path, kind: str = "full"):
        if kind not in ("full", "naive"):
            raise ValueError(f"type d'index inconnu « {kind} »")
        self.root = Path(home) / "index"
        self.kind = kind
        self._ix = None
        self._searcher = None
        self._docnums: dict[str, int] | None = None
        self._opened_dir: Path | None = None
        self._cache: dict[tuple[str, tuple[str, ...]], list[tuple[int, float]]] = {}

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
            try:
                for scheme in schemes:
                    writer.add_document(**document(scheme))
                    count += 1
                    if on_document:
                        on_document()
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            ix.close()
            seconds = time.perf_counter() - started
            stamp = {"catalogue": catalogue_stamp, "count": count, "format": INDEX_FORMAT,
                     "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(seconds, 3)}
            (build_dir / "stamp.json").write_text(json.dumps(stamp, ensure_ascii=False), encoding="utf-8")
            previous = self.live_dir()
            fd, tmp_pointer = tempfile.mkstemp(prefix=".pointer-", dir=self.root)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(build_dir.name)
            os.replace(tmp_pointer, self.pointer)
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
    def _open(self):
        live = self.live_dir()
        if live is None:
            raise IndexError_("index absent : lancez « aidenum index »")
        if self._searcher is None or live != self._opened_dir:
            self.close()
            self._ix = whoosh_index.open_dir(str(live))
            self._searcher = self._ix.searcher()
            self._opened_dir = live
            self._docnums = {fields["id"]: docnum for docnum, fields in self._searcher.reader().iter_docs()}
        return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        if self._ix is not None:
            self._ix.close()
        self._searcher = self._ix = self._docnums = self._opened_dir = None
        self._cache = {}

    def doc_count(self) -> int:
        return self._open().doc_count()

    def search(self, parts: list[QueryPart], allowed: set[str] | None = None, limit: int = 50) -> list[Hit]:
        """Score documents against the weighted ``parts``: the BM25F scores of every (part, field)
        are added up explicitly, posting by posting (never OrGroup.factory, and no binary tree of
        hundreds of Whoosh union matchers, which is two orders of magnitude slower here).

        ``allowed`` restricts the candidates BEFORE ranking (the hard filters)."""
        searcher = self._open()
        reader = searcher.reader()
        docset = None
        if allowed is not None:
            docset = {self._docnums[i] for i in allowed if i in self._docnums}
            if not docset:
                return []
        scores: dict[int, float] = {}
        matched: dict[int, dict[str, set[str]]] = {}
        for part in parts:
            for name, field_weight in FIELD_WEIGHTS.items():
                postings = self._postings(searcher, name, part.stems)
                boost = part.weight * field_weight
                for docnum, score in postings:
                    if docset is None or docnum in docset:
                        scores[docnum] = scores.get(docnum, 0.0) + boost * score
                        terms = matched.setdefault(docnum, {})
                        for stem in part.stems:
                            terms.setdefault(stem, set()).add(name)
        best = sorted(scores.items(), key=lambda item: -item[1])[:limit]
        return [Hit(reader.stored_fields(docnum)["id"], score, matched[docnum]) for docnum, score in best]

    def _postings(self, searcher, name: str, stems: tuple[str, ...]) -> list[tuple[int, float]]:
        """(docnum, unboosted BM25F score) of a word or phrase in a field, read once per opened index."""
        key = (name, stems)
        cached = self._cache.get(key)
        if cached is None:
            cached = []
            reader = searcher.reader()
            if all((name, stem) in reader for stem in stems):
                q = Q.Term(name, stems[0]) if len(stems) == 1 else Q.Phrase(name, list(stems), slop=1)
                m = q.matcher(searcher)
                while m.is_active():
                    cached.append((m.id(), m.score()))
                    m.next()
            self._cache[key] = cached
        return cached
