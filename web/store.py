"""The web application's own SQLite file, ``$AIDENUM_HOME/web.sqlite``: the plans kept in the
browser and the digest subscriptions. The catalogue database is never written by the web layer.

A plan is stored as its YAML-shaped document (JSON text), validated before every write, with a
random token that makes its calendar subscription address unguessable.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

DB_NAME = "web.sqlite"
BUSY_TIMEOUT_S = 30  # a weekly job writing beside us: wait rather than fail at once

SCHEMA = """
CREATE TABLE IF NOT EXISTS plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    document TEXT NOT NULL,
    token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
    plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (plan_id, address)
);
"""


@dataclass
class StoredPlan:
    id: int
    name: str
    source: str
    document: dict[str, Any]
    token: str
    created_at: str
    updated_at: str


def _now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


class WebStore:
    def __init__(self, home: Path):
        self.path = Path(home) / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        finally:
            db.close()

    # -- plans -----------------------------------------------------------------------------------
    def plans(self) -> list[StoredPlan]:
        with self._db() as db:
            rows = db.execute("SELECT id, name, source, document, token, created_at, updated_at FROM plans"
                              " ORDER BY updated_at DESC, id DESC").fetchall()
        return [_plan(row) for row in rows]

    def get(self, plan_id: int) -> StoredPlan | None:
        with self._db() as db:
            row = db.execute("SELECT id, name, source, document, token, created_at, updated_at FROM plans"
                             " WHERE id=?", (plan_id,)).fetchone()
        return _plan(row) if row else None

    def add(self, name: str, document: dict, source: str = "") -> int:
        now = _now()
        with self._db() as db:
            cursor = db.execute("INSERT INTO plans(name, source, document, token, created_at, updated_at)"
                                " VALUES (?,?,?,?,?,?)", (name, source, json.dumps(document, ensure_ascii=False),
                                                          secrets.token_urlsafe(24), now, now))
            return cursor.lastrowid

    def update(self, plan_id: int, document: dict, name: str | None = None) -> None:
        with self._db() as db:
            if name is None:
                db.execute("UPDATE plans SET document=?, updated_at=? WHERE id=?",
                           (json.dumps(document, ensure_ascii=False), _now(), plan_id))
            else:
                db.execute("UPDATE plans SET document=?, name=?, updated_at=? WHERE id=?",
                           (json.dumps(document, ensure_ascii=False), name, _now(), plan_id))

    def change(self, plan_id: int, edit: Callable[[dict], tuple[dict, str]]) -> bool:
        """Store ``edit(document) -> (document, name)`` applied to the plan *as stored now*, in
        one write transaction: two colleagues changing the same plan at once each see the other's
        committed change, none is overwritten. ``edit`` may raise to change nothing.
        False when the plan no longer exists."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")  # the write lock first: no one commits between our read and write
            try:
                row = db.execute("SELECT document FROM plans WHERE id=?", (plan_id,)).fetchone()
                if row is None:
                    db.execute("ROLLBACK")
                    return False
                document, name = edit(json.loads(row[0]))
                db.execute("UPDATE plans SET document=?, name=?, updated_at=? WHERE id=?",
                           (json.dumps(document, ensure_ascii=False), name, _now(), plan_id))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return True

    def delete(self, plan_id: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM plans WHERE id=?", (plan_id,))

    # -- digest subscriptions --------------------------------------------------------------------
    def subscribe(self, plan_id: int, address: str) -> bool:
        """True when the address is new for this plan."""
        with self._db() as db:
            cursor = db.execute("INSERT OR IGNORE INTO subscriptions(plan_id, address, created_at) VALUES (?,?,?)",
                                (plan_id, address.lower(), _now()))
            return cursor.rowcount == 1

    def unsubscribe(self, plan_id: int, address: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM subscriptions WHERE plan_id=? AND address=?", (plan_id, address.lower()))

    def subscribers(self, plan_id: int) -> list[str]:
        with self._db() as db:
            return [r[0] for r in db.execute("SELECT address FROM subscriptions WHERE plan_id=? ORDER BY address",
                                             (plan_id,))]


def _plan(row) -> StoredPlan:
    plan_id, name, source, document, token, created, updated = row
    return StoredPlan(plan_id, name, source, json.loads(document), token, created, updated)
