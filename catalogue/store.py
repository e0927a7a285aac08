"""SQLite catalogue: current schemes, every version, and every import/crawl run.

Each run is one transaction: an exception or Ctrl-C inside ``Catalogue.run()`` rolls the
whole run back, so the previous catalogue stays intact. A scheme absent from a *complete*
run of its source is marked closed (``closed_at``), never deleted; seen again, it reopens.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from . import paths
from .model import Scheme

DB_NAME = "catalogue.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS schemes (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    perimeter TEXT NOT NULL,
    deadline TEXT,
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    closed_at TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS schemes_source ON schemes(source);
CREATE TABLE IF NOT EXISTS versions (
    scheme_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (scheme_id, content_hash, run_id)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    finished_at TEXT,
    complete INTEGER NOT NULL DEFAULT 0,
    counts TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS changes (
    run_id INTEGER NOT NULL,
    scheme_id TEXT NOT NULL,
    change TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (run_id, scheme_id)
);
CREATE INDEX IF NOT EXISTS changes_at ON changes(at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

CHANGE_KINDS = ("new", "changed", "unchanged", "closed", "reopened")


def home() -> Path:
    """Where the catalogue and index live (see ``paths.home``)."""
    return paths.home()


def now_iso() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


@dataclass
class RunResult:
    run_id: int
    source: str
    counts: Counter = field(default_factory=Counter)
    complete: bool = False

    def summary_fr(self) -> str:
        c = self.counts
        return (f"{c['new']} nouveau(x), {c['changed']} modifié(s), {c['unchanged']} inchangé(s), "
                f"{c['closed']} clôturé(s), {c['reopened']} rouvert(s)")


class Run:
    """One import or crawl of one source, inside one transaction."""

    def __init__(self, catalogue: "Catalogue", result: RunResult, started_at: str):
        self.catalogue, self.result, self.started_at = catalogue, result, started_at
        self.seen: set[str] = set()

    @property
    def counts(self) -> Counter:
        return self.result.counts

    def upsert(self, scheme: Scheme) -> str:
        """Store ``scheme``; return 'new', 'changed', 'unchanged', 'reopened' or 'closed'.

        A record that arrives already closed (``closed_at`` set: one of our own JSONL exports)
        stays closed and keeps its first-seen date, so export → import loses nothing; crawled
        items never carry ``closed_at``, so seeing a closed scheme again reopens it."""
        db, at, run_id = self.catalogue.db, now_iso(), self.result.run_id
        scheme.content_hash = scheme.compute_hash()
        self.seen.add(scheme.id)
        incoming_closed = scheme.closed_at
        row = db.execute("SELECT content_hash, first_seen, last_changed, closed_at FROM schemes WHERE id=?",
                         (scheme.id,)).fetchone()
        if row is None:
            change = "new"
            scheme.first_seen = scheme.first_seen or at
            scheme.last_changed = scheme.last_changed or at
        else:
            old_hash, scheme.first_seen, scheme.last_changed, closed_at = row
            if old_hash != scheme.content_hash:
                change, scheme.last_changed = "changed", at
            elif closed_at and not scheme.archived and not incoming_closed:
                change = "reopened"
            elif incoming_closed and not closed_at:
                change = "closed"
            else:
                change = "unchanged"
        scheme.last_seen = at
        scheme.closed_at = incoming_closed
        data = json.dumps(scheme.to_dict(), ensure_ascii=False)
        db.execute(
            "INSERT OR REPLACE INTO schemes(id, source, title, perimeter, deadline, content_hash, first_seen,"
            " last_seen, last_changed, closed_at, data) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (scheme.id, scheme.source, scheme.title, scheme.perimeter,
             scheme.deadline.isoformat() if scheme.deadline else None, scheme.content_hash,
             scheme.first_seen, scheme.last_seen, scheme.last_changed, incoming_closed, data))
        if change in ("new", "changed"):
            db.execute("INSERT OR IGNORE INTO versions(scheme_id, content_hash, run_id, seen_at, data)"
                       " VALUES (?,?,?,?,?)", (scheme.id, scheme.content_hash, run_id, at, data))
        db.execute("INSERT OR REPLACE INTO changes(run_id, scheme_id, change, at) VALUES (?,?,?,?)",
                   (run_id, scheme.id, change, at))
        self.counts[change] += 1
        return change

    def close_missing(self) -> int:
        """Mark closed every open scheme of this source that this complete run did not see."""
        db, at = self.catalogue.db, now_iso()
        missing = [sid for (sid,) in db.execute(
            "SELECT id FROM schemes WHERE source=? AND closed_at IS NULL", (self.result.source,))
            if sid not in self.seen]
        for sid in missing:
            db.execute("UPDATE schemes SET closed_at=? WHERE id=?", (at, sid))
            db.execute("INSERT OR REPLACE INTO changes(run_id, scheme_id, change, at) VALUES (?,?,?,?)",
                       (self.result.run_id, sid, "closed", at))
        self.counts["closed"] += len(missing)
        return len(missing)


class Catalogue:
    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else home() / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Catalogue":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def run(self, source: str, kind: str = "import", label: str = "", complete: bool = False) -> Iterator[Run]:
        """Open a run; everything inside is committed at the end or rolled back on any error.

        With ``complete=True`` schemes of ``source`` that were not seen are marked closed."""
        started = now_iso()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            cursor = self.db.execute("INSERT INTO runs(source, kind, label, started_at, complete) VALUES (?,?,?,?,?)",
                                     (source, kind, label, started, int(complete)))
            run = Run(self, RunResult(cursor.lastrowid, source, complete=complete), started)
            yield run
            if complete:
                run.close_missing()
            self.db.execute("UPDATE runs SET finished_at=?, counts=? WHERE id=?",
                            (now_iso(), json.dumps(dict(run.counts)), run.result.run_id))
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('changed_at', ?)", (now_iso(),))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # -- reading -------------------------------------------------------------------------------
    def get(self, scheme_id: str) -> Scheme | None:
        row = self.db.execute("SELECT data, closed_at FROM schemes WHERE id=?", (scheme_id,)).fetchone()
        return _scheme_from_row(row) if row else None

    def get_many(self, scheme_ids: Iterable[str]) -> dict[str, Scheme]:
        """The schemes of ``scheme_ids`` that exist, by id, in one query per 500 ids."""
        ids = list(dict.fromkeys(scheme_ids))
        out: dict[str, Scheme] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT data, closed_at FROM schemes WHERE id IN ({marks})", chunk):
                scheme = _scheme_from_row(row)
                out[scheme.id] = scheme
        return out

    def all(self, source: str | None = None, without: Iterable[str] = (), family: str | None = None) -> Iterator[Scheme]:
        """Every scheme, by id. ``without`` names fields left out (at their default value), e.g.
        ``("raw", "description")`` to list thousands of schemes without decoding their texts.
        ``source`` is the exact ``source`` field (a run's own records); ``family`` also takes the
        records whose id carries that source's prefix (see ``catalogue.sources``)."""
        data = "data"
        for name in without:
            if not name.isidentifier():
                raise ValueError(f"champ invalide : {name}")
            data = f"json_remove({data}, '$.{name}')"
        query, args = f"SELECT {data}, closed_at FROM schemes", ()
        if source:
            query, args = query + " WHERE source=?", (source,)
        elif family:
            prefix = family.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%"
            query, args = query + " WHERE source=? OR id LIKE ? ESCAPE '\\'", (family, prefix)
        for row in self.db.execute(query + " ORDER BY id", args):
            yield _scheme_from_row(row)

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM schemes").fetchone()[0]

    def versions(self, scheme_id: str) -> list[dict]:
        rows = self.db.execute("SELECT content_hash, run_id, seen_at, data FROM versions WHERE scheme_id=?"
                               " ORDER BY seen_at, run_id", (scheme_id,))
        return [{"content_hash": h, "run_id": r, "seen_at": s, "data": json.loads(d)} for h, r, s, d in rows]

    def runs(self, source: str | None = None) -> list[dict]:
        query = "SELECT id, source, kind, label, started_at, finished_at, complete, counts FROM runs"
        args: tuple = ()
        if source:
            query, args = query + " WHERE source=?", (source,)
        keys = ("id", "source", "kind", "label", "started_at", "finished_at", "complete", "counts")
        out = []
        for row in self.db.execute(query + " ORDER BY id", args):
            item = dict(zip(keys, row))
            item["counts"] = json.loads(item["counts"])
            out.append(item)
        return out

    def changes_since(self, since: str) -> list[tuple[str, str, str, int]]:
        """(scheme_id, change, at, run_id) of every change after ``since`` (ISO date or datetime)."""
        return list(self.db.execute(
            "SELECT scheme_id, change, at, run_id FROM changes WHERE at>=? AND change!='unchanged'"
            " ORDER BY at, run_id", (since,)))

    def last_seen(self, source: str) -> str | None:
        """When schemes of ``source`` were last refreshed (for the credit licences ask for)."""
        return self.db.execute("SELECT max(last_seen) FROM schemes WHERE source=?", (source,)).fetchone()[0]

    def changed_at(self) -> str:
        """When the catalogue last changed: the matcher rebuilds its index when this moves."""
        row = self.db.execute("SELECT value FROM meta WHERE key='changed_at'").fetchone()
        return row[0] if row else ""


def _scheme_from_row(row) -> Scheme:
    data, closed_at = row
    values = json.loads(data)
    values["closed_at"] = closed_at
    return Scheme.from_dict(values, validate=False)


def upsert_all(catalogue: Catalogue, source: str, schemes: Iterable[Scheme], **run_options) -> RunResult:
    with catalogue.run(source, **run_options) as run:
        for scheme in schemes:
            run.upsert(scheme)
    return run.result
