"""What changed in the catalogue over a period, and what changed inside one scheme.

``catalogue_events`` folds the store's per-run change log into one event per scheme for the
period (new / changed / closed / reopened); ``diff_versions`` compares two stored versions of
a scheme field by field and says it in French (« Date de clôture : 31/01/2025 → 28/02/2025 »).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Callable

from aidenum.catalogue.formatting import amount_fr, date_fr, percent_fr, range_fr
from aidenum.catalogue.vocabularies import VOCABULARIES, slug_to_label

# Change topics, in the order a project manager reads them.
TOPICS = {
    "deadline": "calendrier",
    "rate": "taux",
    "amount": "montant",
    "eligibility": "éligibilité",
    "perimeter": "territoire",
    "text": "texte",
    "other": "autre",
}

# field -> (French label, topic). Fields absent here (bookkeeping, raw payload) are never reported.
FIELDS: dict[str, tuple[str, str]] = {
    "deadline": ("Date de clôture", "deadline"),
    "start_date": ("Date d'ouverture", "deadline"),
    "recurrence": ("Récurrence", "deadline"),
    "rate": ("Taux d'aide", "rate"),
    "rate_comment": ("Précisions sur le taux", "rate"),
    "amount": ("Montant", "amount"),
    "beneficiaries": ("Bénéficiaires", "eligibility"),
    "eligibility": ("Critères d'éligibilité", "eligibility"),
    "aid_types": ("Nature de l'aide", "eligibility"),
    "destinations": ("Dépenses couvertes", "eligibility"),
    "steps": ("Étapes du projet", "eligibility"),
    "perimeter": ("Territoire", "perimeter"),
    "title": ("Intitulé", "text"),
    "name_initial": ("Nom initial", "text"),
    "description": ("Description", "text"),
    "project_examples": ("Exemples de projets", "text"),
    "contact": ("Contact", "text"),
    "themes": ("Thématiques", "text"),
    "keywords": ("Mots-clés", "text"),
    "funders": ("Financeurs", "other"),
    "instructors": ("Instructeurs", "other"),
    "programmes": ("Programmes", "other"),
    "url": ("Page du dispositif", "other"),
    "application_url": ("Adresse de dépôt", "other"),
    "is_call_for_project": ("Appel à projets", "other"),
    "archived": ("Archivé", "other"),
}
# Longest excerpt of a changed sentence quoted in a digest.
EXCERPT_CHARS = 160
# Beyond this many changed sentences a text change is summarised by counts only.
MAX_SENTENCES = 2


@dataclass
class FieldChange:
    field: str
    label: str
    topic: str
    old: str            # French rendering of the old value ("" when a list/text diff says it all)
    new: str
    detail: str = ""    # for lists and texts: what was added / removed

    @property
    def sentence(self) -> str:
        if self.detail:
            return f"{self.label} : {self.detail}"
        return f"{self.label} : {self.old} → {self.new}"


@dataclass
class SchemeEvent:
    """What happened to one scheme over the period, folded from the per-run change log."""
    scheme_id: str
    kind: str                       # new | changed | closed | reopened
    at: str                         # ISO time of the last change in the period
    run_ids: list[int] = field(default_factory=list)


# -- the period's change log -------------------------------------------------------------------
def catalogue_events(rows, after_run: int | None = None) -> dict[str, SchemeEvent]:
    """Fold ``Catalogue.changes_since`` rows into one event per scheme.

    ``after_run`` keeps only runs with a greater id (the watermark of the previous digest).
    A scheme new in the period stays "new" even if it changed again; one closed then seen
    again is "reopened"; one changed then closed is "closed".
    """
    events: dict[str, SchemeEvent] = {}
    for scheme_id, change, at, run_id in sorted(rows, key=lambda r: (r[3], r[2])):
        if after_run is not None and run_id <= after_run:
            continue
        if change not in ("new", "changed", "closed", "reopened"):
            continue
        event = events.get(scheme_id)
        if event is None:
            events[scheme_id] = SchemeEvent(scheme_id, change, at, [run_id])
            continue
        event.run_ids.append(run_id)
        event.at = at
        if change == "closed":
            event.kind = "closed"
        elif change == "reopened" or (event.kind == "closed" and change in ("new", "changed")):
            event.kind = "new" if event.kind == "new" else "reopened"
        elif change == "changed" and event.kind not in ("new", "reopened"):
            event.kind = "changed"
    return events


def version_before(versions: list[dict], *, run_id: int | None = None, at: str | None = None) -> dict | None:
    """The last stored version of a scheme seen before the period (by run id or by time)."""
    before = [v for v in versions
              if (run_id is not None and v["run_id"] <= run_id) or (run_id is None and at and v["seen_at"] < at)]
    return before[-1]["data"] if before else None


# -- one scheme, two versions ------------------------------------------------------------------
def diff_versions(old: dict, new: dict, perimeter_label: Callable[[str], str] | None = None) -> list[FieldChange]:
    """Field-by-field French description of what changed between two versions of a scheme."""
    changes: list[FieldChange] = []
    for name, (label, topic) in FIELDS.items():
        if name == "rate":
            before, after = _rate(old), _rate(new)
        elif name == "amount":
            before, after = _amount(old), _amount(new)
        else:
            before, after = old.get(name), new.get(name)
        if _same(before, after):
            continue
        change = FieldChange(name, label, topic, "", "")
        if name in ("rate", "amount"):
            change.old, change.new = before or "non précisé", after or "non précisé"
        elif name in ("deadline", "start_date"):
            change.old, change.new = _date_fr(before), _date_fr(after)
        elif name == "perimeter":
            describe = perimeter_label or (lambda code: code)
            change.old = old.get("perimeter_label") or describe(before or "")
            change.new = new.get("perimeter_label") or describe(after or "")
            if change.old == change.new:
                change.old, change.new = describe(before or ""), describe(after or "")
        elif name == "recurrence":
            change.old = slug_to_label("recurrence", before) if before else "non précisée"
            change.new = slug_to_label("recurrence", after) if after else "non précisée"
        elif name in ("is_call_for_project", "archived"):
            change.old, change.new = _yes_no(before), _yes_no(after)
        elif isinstance(before, list) or isinstance(after, list):
            change.detail = _list_detail(name, before or [], after or [])
        elif name in ("url", "application_url"):
            change.old, change.new = before or "aucune", after or "aucune"
        else:
            change.detail = _text_detail(before or "", after or "")
        changes.append(change)
    return changes


def topics_of(changes: list[FieldChange]) -> list[str]:
    """French topic names, in reading order, of a list of changes."""
    present = {c.topic for c in changes}
    return [label for key, label in TOPICS.items() if key in present]


def _same(before, after) -> bool:
    if isinstance(before, str) or isinstance(after, str):
        return _normalise_space(before or "") == _normalise_space(after or "")
    if isinstance(before, list) or isinstance(after, list):
        return sorted(before or []) == sorted(after or [])
    return before == after


def _normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def _yes_no(value) -> str:
    return "oui" if value else "non"


def _date_fr(value) -> str:
    return date_fr(value, default="aucune")


def _rate(data: dict) -> str:
    return range_fr(data.get("rate_min"), data.get("rate_max"), lambda v: percent_fr(v, 1),
                    at_least="au moins")


def _amount(data: dict) -> str:
    return range_fr(data.get("amount_min"), data.get("amount_max"), lambda v: amount_fr(v, fixed=False))


def _list_detail(name: str, before: list[str], after: list[str]) -> str:
    vocab = VOCABULARIES.get(name)
    label = (lambda v: vocab.get(v, v)) if vocab else (lambda v: v)
    added = [label(v) for v in after if v not in before]
    removed = [label(v) for v in before if v not in after]
    parts = []
    if added:
        parts.append("ajouté" + ("s" if len(added) > 1 else "") + " " + ", ".join(added))
    if removed:
        parts.append("retiré" + ("s" if len(removed) > 1 else "") + " " + ", ".join(removed))
    return " ; ".join(parts) or "ordre modifié"


# « : » and « ; » are left alone: French puts them inside sentences (« Thématique : numérique »)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _sentences(text: str) -> list[str]:
    return [s for s in (_normalise_space(part) for part in _SENTENCE_END.split(text)) if s]


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1].rstrip() + "…"


def _text_detail(before: str, after: str) -> str:
    if not before.strip():
        return f"ajouté « {_excerpt(_normalise_space(after))} »"
    if not after.strip():
        return "texte supprimé"
    old, new = _sentences(before), _sentences(after)
    added, removed = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed.extend(old[i1:i2])
        if tag in ("replace", "insert"):
            added.extend(new[j1:j2])
    if len(added) + len(removed) > MAX_SENTENCES * 2 or not (added or removed):
        return (f"texte modifié ({len(added)} phrase(s) ajoutée(s) ou réécrite(s), "
                f"{len(removed)} retirée(s))")
    if len(added) == 1 and len(removed) == 1:
        return f"« {_excerpt(removed[0])} » → « {_excerpt(added[0])} »"
    parts = [f"ajouté « {_excerpt(s)} »" for s in added] + [f"retiré « {_excerpt(s)} »" for s in removed]
    return " ; ".join(parts)
