"""SQLite catalogue: current schemes, every version, and every import/crawl run.

Each run is one transaction: an exception or Ctrl-C inside ``Catalogue.run()`` rolls the
whole run back, so the previous catalogue stays intact. A scheme absent from a *complete*
run of its source is marked closed (``closed_at``), never deleted; seen again, it reopens.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from . import paths
from .model import BOOKKEEPING_FIELDS, Scheme, SchemeError, content_hash, jsonable
from .status import end_evidence

logger = logging.getLogger(__name__)

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

SCHEMA_OBJECTS = set(re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)", SCHEMA))

CHANGE_KINDS = ("new", "changed", "unchanged", "closed", "reopened")
# How long a command waits for another aidenum process that is writing (an import, a crawl
# committing a source, the weekly job): such a transaction lasts seconds; beyond 30 s the other
# process is stuck or very long, and the user is told so rather than kept waiting.
BUSY_TIMEOUT_SECONDS = 30


class CatalogueError(RuntimeError):
    """A fault of the catalogue file itself (read-only, disk full, locked, damaged), in French."""


def sqlite_error_fr(error: sqlite3.Error, path: Path | str | None = None) -> str:
    """The real cause of an SQLite error, in French, for the user."""
    where = f" {path}" if path else ""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name == "SQLITE_FULL" or "disk is full" in text:
        return (f"disque plein : impossible d'écrire dans le catalogue{where} ; l'opération a été annulée "
                "et le catalogue est inchangé (libérez de la place puis relancez)")
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        return (f"erreur d'écriture sur le disque (disque plein, quota atteint ou support défaillant) pour le "
                f"catalogue{where} ; l'opération a été annulée et le catalogue est inchangé")
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "database is locked" in text:
        return (f"une autre commande aidenum (import, collecte ou veille) est en train d'écrire dans le "
                f"catalogue{where} ; attendu {BUSY_TIMEOUT_SECONDS} s sans qu'elle ait fini : réessayez plus tard")
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return (f"le catalogue{where} est en lecture seule : cette commande doit le modifier ; lancez-la avec un "
                "compte qui peut écrire dans ce dossier")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return f"impossible d'ouvrir le catalogue{where} (dossier absent ou inaccessible)"
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in text or "not a database" in text:
        return (f"le fichier{where} n'est pas un catalogue aidenum lisible (fichier abîmé ou d'un autre "
                "programme) ; restaurez une sauvegarde ou réimportez les dispositifs")
    return f"erreur SQLite sur le catalogue{where} : {text}"


def is_writable(path: Path) -> bool:
    """Whether this process may write the catalogue at ``path`` (and its journal beside it).

    ``os.access`` answers for the real user and also reports read-only mounts, so it is right for
    root too: root may write a chmod 0555 folder (and then does), not a read-only file system."""
    folder = path.parent
    if path.exists():
        return os.access(path, os.W_OK) and os.access(folder, os.W_OK)
    return os.access(folder, os.W_OK) if folder.exists() else is_writable(folder)

# A "complete" run (crawl or ``catalogue import --complete``) that would close more than this share
# of a source's open schemes is more likely a broken site or a truncated file than a mass closure.
MAX_CLOSE_SHARE = 0.5
MAX_CLOSE_FREE = 2   # closing this many is always believable (small sources)


def mass_closure(missing: int, open_count: int) -> str:
    """The French reason to refuse closing ``missing`` of ``open_count`` open schemes, or ""."""
    if missing > MAX_CLOSE_FREE and missing > MAX_CLOSE_SHARE * open_count:
        return f"{missing} fiches sur {open_count} auraient disparu d'un coup : clôture suspendue par prudence"
    return ""


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


# The fields ``Run.upsert`` sets after it has read the scheme's ``to_dict()``.
SET_BY_UPSERT = ("content_hash", "end_evidence", *BOOKKEEPING_FIELDS)
# A batched run writes its rows per this many schemes, one ``executemany`` per table (≈ 0.2 s less
# per 10,000 schemes than an ``execute`` per row); 500 rows of a few kB are little memory.
BATCH_SIZE = 500
_WRITE_SCHEME = ("INSERT OR REPLACE INTO schemes(id, source, title, perimeter, deadline, content_hash, first_seen,"
                 " last_seen, last_changed, closed_at, data) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
_WRITE_VERSION = "INSERT OR IGNORE INTO versions(scheme_id, content_hash, run_id, seen_at, data) VALUES (?,?,?,?,?)"
_WRITE_CHANGE = "INSERT OR REPLACE INTO changes(run_id, scheme_id, change, at) VALUES (?,?,?,?)"


class Run:
    """One import or crawl of one source, inside one transaction.

    A ``batched`` run holds the rows of its last schemes until ``flush`` (every ``BATCH_SIZE``
    schemes, before reading which schemes are open, and at the end of the run): only for a caller
    that reads the catalogue through this run alone while it lasts (the importer; a crawl reads
    ``Catalogue.get`` between its upserts)."""

    def __init__(self, catalogue: "Catalogue", result: RunResult, started_at: str, batched: bool = False):
        self.catalogue, self.result, self.started_at = catalogue, result, started_at
        self.seen: set[str] = set()
        self.batched = batched
        self._scheme_rows: list[tuple] = []
        self._version_rows: list[tuple] = []
        self._change_rows: list[tuple] = []
        # id -> its (content_hash, first_seen, last_changed, closed_at) in the rows not yet written
        self._unwritten: dict[str, tuple] = {}

    @property
    def counts(self) -> Counter:
        return self.result.counts

    def upsert(self, scheme: Scheme) -> str:
        """Store ``scheme``; return 'new', 'changed', 'unchanged', 'reopened' or 'closed'.

        A record that arrives already closed (``closed_at`` set: one of our own JSONL exports)
        stays closed and keeps its first-seen date, so export → import loses nothing; crawled
        items never carry ``closed_at``, so seeing a closed scheme again reopens it."""
        db, at, run_id = self.catalogue.db, now_iso(), self.result.run_id
        values = scheme.to_dict()  # made JSON-ready once: both the hash and the stored JSON read it
        try:
            scheme.content_hash = content_hash(values)
        except UnicodeEncodeError as error:
            raise surrogate_error(scheme.id, values, error) from None
        scheme.end_evidence = end_evidence(scheme)  # read now: listings do not decode the long texts
        self.seen.add(scheme.id)
        incoming_closed = scheme.closed_at
        row = self._unwritten.get(scheme.id) or db.execute(
            "SELECT content_hash, first_seen, last_changed, closed_at FROM schemes WHERE id=?", (scheme.id,)).fetchone()
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
        for name in SET_BY_UPSERT:
            values[name] = jsonable(getattr(scheme, name))
        data = stored_json(scheme, values)
        self._scheme_rows.append((scheme.id, scheme.source, scheme.title, scheme.perimeter,
                                  scheme.deadline.isoformat() if scheme.deadline else None, scheme.content_hash,
                                  scheme.first_seen, scheme.last_seen, scheme.last_changed, incoming_closed, data))
        if change in ("new", "changed"):
            self._version_rows.append((scheme.id, scheme.content_hash, run_id, at, data))
        self._change_rows.append((run_id, scheme.id, change, at))
        if self.batched and len(self._scheme_rows) < BATCH_SIZE:
            self._unwritten[scheme.id] = (scheme.content_hash, scheme.first_seen, scheme.last_changed,
                                          incoming_closed)
        else:
            self.flush()
        self.counts[change] += 1
        return change

    def flush(self) -> None:
        """Write the rows a batched run still holds (in the order ``upsert`` made them)."""
        db = self.catalogue.db
        writes = ((_WRITE_SCHEME, self._scheme_rows), (_WRITE_VERSION, self._version_rows),
                  (_WRITE_CHANGE, self._change_rows))
        # taken before writing: rows that fail to write (the run is then rolled back) are not retried
        self._scheme_rows, self._version_rows, self._change_rows, self._unwritten = [], [], [], {}
        for statement, rows in writes:
            if len(rows) == 1:
                db.execute(statement, rows[0])
            elif rows:
                db.executemany(statement, rows)

    def open_ids(self) -> set[str]:
        self.flush()
        return {sid for (sid,) in self.catalogue.db.execute(
            "SELECT id FROM schemes WHERE source=? AND closed_at IS NULL", (self.result.source,))}

    def missing(self) -> list[str]:
        """Open schemes of this source that this run did not see (what ``close_missing`` closes)."""
        return sorted(self.open_ids() - self.seen)

    def close_missing(self) -> int:
        """Mark closed every open scheme of this source that this complete run did not see."""
        db, at = self.catalogue.db, now_iso()
        missing = self.missing()
        for sid in missing:
            db.execute("UPDATE schemes SET closed_at=? WHERE id=?", (at, sid))
            db.execute("INSERT OR REPLACE INTO changes(run_id, scheme_id, change, at) VALUES (?,?,?,?)",
                       (self.result.run_id, sid, "closed", at))
        self.counts["closed"] += len(missing)
        return len(missing)


def stored_json(scheme: Scheme, values: dict | None = None) -> str:
    """The ``data`` column of ``scheme`` (``values``: its ``to_dict()``, when already made);
    SchemeError for what SQLite's JSON could not read back (NaN or infinity, e.g. in the raw
    payload of a source)."""
    values = scheme.to_dict() if values is None else values
    try:
        text = json.dumps(values, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise SchemeError(scheme.id, "raw", "valeur non finie (NaN ou infini) dans les données de la source : "
                                            "un nombre ou null est attendu") from None
    except (TypeError, RecursionError) as error:
        raise SchemeError(scheme.id, "raw", f"valeur non enregistrable ({type(error).__name__})") from None
    try:
        text.encode("utf-8")   # SQLite would refuse it, and with it the whole run (≈ 60 ms per 10,000 real records)
    except UnicodeEncodeError as error:
        raise surrogate_error(scheme.id, values, error) from None
    return text


def surrogate_error(scheme_id: str, values: dict, error: UnicodeEncodeError) -> SchemeError:
    """The French error for a text holding a lone UTF-16 surrogate (JSON's « \\ud800 »), which
    no UTF-8 file can store, naming the first field that holds one."""
    field = "*"
    for name, value in values.items():
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            field = name
            break
    return SchemeError(scheme_id, field, f"caractère invalide (« \\u{ord(error.object[error.start]):04x} », une "
                                         "moitié de paire UTF-16 seule) : texte à corriger dans la source")


class Catalogue:
    """The catalogue file. Opened read-only when this process may not write it (a shared or
    read-only AIDENUM_HOME): reading commands work, writing ones get a French CatalogueError."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else home() / DB_NAME
        self.readonly = not is_writable(self.path)
        self.unreadable: dict[str, str] = {}   # scheme id -> why its stored value could not be read
        try:
            self.db = self._open_readonly() if self.readonly else self._open()
        except sqlite3.Error as error:
            raise CatalogueError(sqlite_error_fr(error, self.path)) from None

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
        db.execute("PRAGMA synchronous=NORMAL")
        present = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        if not SCHEMA_OBJECTS <= present:
            db.executescript(SCHEMA)  # new or older file only: opening an up-to-date one takes no write lock
        return db

    def _open_readonly(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise CatalogueError(f"aucun catalogue dans {self.path.parent}, et ce dossier est en lecture seule : "
                                 "importez des dispositifs depuis un compte qui peut y écrire")
        # No -wal file: nobody is writing and every commit is in the main file, so the file can be
        # read as immutable (SQLite then needs no -shm, which a read-only folder cannot hold).
        # A -wal file: a writer is at work (or crashed); mode=ro reads through its journal.
        live_journal = Path(f"{self.path}-wal").exists()
        uri = f"{self.path.resolve().as_uri()}?{'mode=ro' if live_journal else 'immutable=1'}"
        db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fail here, in French, not later
        return db

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Catalogue":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def run(self, source: str, kind: str = "import", label: str = "", complete: bool = False,
            batched: bool = False) -> Iterator[Run]:
        """Open a run; everything inside is committed at the end or rolled back on any error.

        With ``complete=True`` schemes of ``source`` that were not seen are marked closed.
        ``batched``: see ``Run``."""
        started = now_iso()
        if self.readonly:
            raise CatalogueError(sqlite_error_fr(sqlite3.OperationalError("attempt to write a readonly database"),
                                                 self.path))
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise CatalogueError(sqlite_error_fr(error, self.path)) from None
        try:
            cursor = self.db.execute("INSERT INTO runs(source, kind, label, started_at, complete) VALUES (?,?,?,?,?)",
                                     (source, kind, label, started, int(complete)))
            run = Run(self, RunResult(cursor.lastrowid, source, complete=complete), started, batched=batched)
            yield run
            run.flush()
            if complete:
                run.close_missing()
            self.db.execute("UPDATE runs SET finished_at=?, counts=? WHERE id=?",
                            (now_iso(), json.dumps(dict(run.counts)), run.result.run_id))
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('changed_at', ?)", (now_iso(),))
            self.db.execute("COMMIT")
        except sqlite3.Error as error:
            self._rollback()
            raise CatalogueError(sqlite_error_fr(error, self.path)) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Undo the run. SQLite has already rolled back by itself after some errors (disk full):
        a second ROLLBACK would fail with « cannot rollback » and hide the real cause."""
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the original error is the one to report

    # -- reading -------------------------------------------------------------------------------
    def get(self, scheme_id: str) -> Scheme | None:
        row = self.db.execute("SELECT id, data, closed_at FROM schemes WHERE id=?", (scheme_id,)).fetchone()
        return self._from_row(row) if row else None

    def get_many(self, scheme_ids: Iterable[str]) -> dict[str, Scheme]:
        """The schemes of ``scheme_ids`` that exist, by id, in one query per 500 ids."""
        ids = list(dict.fromkeys(scheme_ids))
        out: dict[str, Scheme] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT id, data, closed_at FROM schemes WHERE id IN ({marks})", chunk):
                scheme = self._from_row(row)
                if scheme is not None:
                    out[scheme.id] = scheme
        return out

    def all(self, source: str | None = None, without: Iterable[str] = (), family: str | None = None,
            programmes: Iterable[str] = ()) -> Iterator[Scheme]:
        """Every scheme, by id. ``without`` names fields left out (at their default value), e.g.
        ``("raw", "description")`` to list thousands of schemes without decoding their texts.
        ``source`` is the exact ``source`` field (a run's own records); ``family`` also takes the
        records whose id carries that source's prefix (see ``catalogue.sources``). ``programmes``:
        only the schemes listing one of these exact labels (selected by SQLite: the others are
        never decoded)."""
        data = "data"
        for name in without:
            if not name.isidentifier():
                raise ValueError(f"champ invalide : {name}")
            data = f"json_remove({data}, '$.{name}')"
        if without:  # SQLite's JSON functions fail the whole query on one malformed row: guard each
            data = f"CASE WHEN json_valid(data) THEN {data} END"
        query, args = f"SELECT id, {data}, closed_at FROM schemes", ()
        if source:
            query, args = query + " WHERE source=?", (source,)
        elif family:
            prefix = family.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%"
            query, args = query + " WHERE source=? OR id LIKE ? ESCAPE '\\'", (family, prefix)
        programmes = tuple(programmes)
        if programmes:
            marks = ",".join("?" * len(programmes))
            listed = ("EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(data) THEN data END, '$.programmes') "
                      f"WHERE value IN ({marks}))")
            head, where, condition = query.partition(" WHERE ")
            query = f"{head} WHERE ({condition}) AND {listed}" if where else f"{query} WHERE {listed}"
            args = (*args, *programmes)
        for row in self.db.execute(query + " ORDER BY id", args):
            scheme = self._from_row(row)
            if scheme is not None:
                yield scheme

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


    def _from_row(self, row) -> Scheme | None:
        """The scheme of a stored row, or None (warned once per scheme, named) when the stored
        value cannot be read: one bad row must not break list, index, match or search."""
        scheme_id, data, closed_at = row
        try:
            return scheme_from_stored(data, closed_at)
        except (ValueError, TypeError, RecursionError) as error:
            if scheme_id not in self.unreadable:
                self.unreadable[scheme_id] = _unreadable_reason(error)
                logger.warning("Attention : dispositif « %s » illisible dans le catalogue (%s) : ignoré ; "
                               "réimportez-le depuis sa source", scheme_id, self.unreadable[scheme_id])
            return None


def _reject_constant(name: str):
    raise ValueError(f"valeur non finie « {name} »")


def scheme_from_stored(data: str | None, closed_at: str | None) -> Scheme:
    """A scheme from the ``data`` column; ValueError/TypeError when the stored JSON is unusable."""
    if data is None:
        raise ValueError("JSON mal formé")
    values = json.loads(data, parse_constant=_reject_constant)
    if not isinstance(values, dict):
        raise ValueError("objet JSON attendu")
    values["closed_at"] = closed_at
    scheme = Scheme.from_dict(values, validate=False)
    for name in ("rate_min", "rate_max", "amount_min", "amount_max"):
        value = getattr(scheme, name)
        if value is not None and not isinstance(value, (int, float)):
            raise ValueError(f"champ « {name} » : nombre attendu")
    return scheme


def _unreadable_reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"JSON mal formé, colonne {error.colno}"
    if isinstance(error, RecursionError):
        return "JSON trop imbriqué"
    return str(error)


def upsert_all(catalogue: Catalogue, source: str, schemes: Iterable[Scheme], **run_options) -> RunResult:
    with catalogue.run(source, **run_options) as run:
        for scheme in schemes:
            run.upsert(scheme)
    return run.result
