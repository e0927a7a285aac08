"""What the watch remembers between runs: the digests delivered and the e-mails sent.

Kept in ``$AIDENUM_HOME/watch/state.json`` (the catalogue's tables are not altered). Written
atomically (temporary file + rename), so an interrupted run leaves the previous state intact.
"""
from __future__ import annotations

import json
from pathlib import Path

from aidenum.catalogue.files import atomic_write
from aidenum.catalogue.store import home

STATE_VERSION = 1
KEEP_DIGESTS = 200  # per plan: about four years of weekly digests


class StateError(ValueError):
    """The state file cannot be read; ``str()`` is French."""


class WatchState:
    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else home() / "watch" / "state.json"
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
                                                         sort_keys=True))

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
