"""What the watch remembers between runs: the digests delivered and the e-mails sent.

Kept in ``$AIDENUM_HOME/watch/state.json`` (the catalogue's tables are not altered). Written
atomically (temporary file + rename), so an interrupted run leaves the previous state intact.
A run that will write it first takes ``locked_state`` (an fcntl lock on ``state.json.lock``),
so two digests at once do not both send the same e-mail: the second waits for the first.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import math
import os
import time
from pathlib import Path

from aidenum.catalogue.files import atomic_write
from aidenum.catalogue.store import home

STATE_VERSION = 1
KEEP_DIGESTS = 200  # per plan: about four years of weekly digests
# How long a second digest waits for the first: building a digest takes seconds (a minute when
# the search index is rebuilt first) and each SMTP step times out after 20 s.
LOCK_WAIT_SECONDS = 180.0
LOCK_POLL_SECONDS = 0.2


def default_path() -> Path:
    return home() / "watch" / "state.json"


@contextlib.contextmanager
def locked_state(path: Path | str | None = None, on_wait=None, wait_seconds: float | None = None):
    """Hold the exclusive lock of the state at ``path`` (yielded); wait for another holder up to
    ``wait_seconds`` (``on_wait`` is told once, in French), then give up with a StateError."""
    path = Path(path) if path else default_path()
    wait_seconds = LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a")
    except OSError as error:
        raise StateError(f"{lock_path} : verrou de la veille impossible à créer ({os.strerror(error.errno)}) ; "
                         "vérifiez les droits d'écriture sur ce dossier") from None
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                raise StateError(f"un autre résumé de veille est en cours d'envoi ou d'enregistrement "
                                 f"depuis plus de {math.ceil(wait_seconds)} s (verrou {lock_path}) : rien n'a été "
                                 "envoyé ; réessayez plus tard")
            if not told and on_wait is not None:
                on_wait("Un autre résumé de veille est en cours d'envoi ou d'enregistrement : "
                        "attente de sa fin…")
                told = True
            time.sleep(LOCK_POLL_SECONDS)
        yield path
    finally:
        handle.close()   # closing the file releases the lock


class StateError(ValueError):
    """The state file cannot be read; ``str()`` is French."""


class WatchState:
    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else default_path()
        self.data = self._load()

    def _load(self) -> dict:
        if not self.path.exists():
            return {"version": STATE_VERSION, "plans": {}, "sent": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise StateError(f"{self.path} : état de la veille illisible ({error}) ; supprimez ce fichier "
                             "pour repartir de zéro (la prochaine veille couvrira les 7 derniers jours)") from None
        if not isinstance(data, dict) or not isinstance(data.get("plans"), dict) or not isinstance(data.get("sent"), dict):
            raise StateError(f"{self.path} : état de la veille de forme inattendue ; supprimez ce fichier "
                             "pour repartir de zéro")
        return data

    def save(self) -> None:
        atomic_write(self.path, lambda handle: json.dump(self.data, handle, ensure_ascii=False, indent=1,
                                                         sort_keys=True), make_parents=True)

    # -- digests (the --last-run watermark) ------------------------------------------------------
    def last_digest(self, plan_key: str) -> dict | None:
        digests = self.data["plans"].get(plan_key, {}).get("digests", [])
        return digests[-1] if digests else None

    def record_digest(self, plan_key: str, record: dict) -> None:
        digests = self.data["plans"].setdefault(plan_key, {}).setdefault("digests", [])
        digests[:] = [d for d in digests if d.get("id") != record["id"]]
        digests.append(record)
        del digests[:-KEEP_DIGESTS]

    # -- e-mails ---------------------------------------------------------------------------------
    def sent(self, digest_id: str) -> dict[str, str]:
        """recipient -> ISO time it was sent, for one digest."""
        return dict(self.data["sent"].get(digest_id, {}))

    def record_sent(self, digest_id: str, recipients: list[str], at: str) -> None:
        entry = self.data["sent"].setdefault(digest_id, {})
        for recipient in recipients:
            entry[recipient.lower()] = at
