"""Assemble the per-plan digest: for each action, the matched schemes that are new, changed,
reopened, closing soon or closed over a period, and those no longer open to the collectivité.

Only schemes the matcher returns for the action are reported, so only schemes the
collectivité may apply to and that fit the action. Each scheme appears once per action, in
the first category that applies (closed, new, reopened, changed, closing soon); its days left
are shown whatever the category. A scheme matched for the action by the previous digest that
the collectivité may no longer apply to (territory, beneficiaries, business-only: the hard
filters of ``matcher.filters``) is reported « plus éligible » with the reason.

The first digest of a plan is a baseline: nothing is listed as new or changed (everything
would be), only what closes soon; it records what is matched so the next digest starts there.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from aidenum.catalogue.model import Scheme
from aidenum.catalogue.formatting import date_fr, fold
from aidenum.catalogue.status import stated_end
from aidenum.catalogue.vocabularies import STATUSES

from .changes import FieldChange, catalogue_events, diff_versions, topics_of, version_before

CATEGORIES = {
    "new": "Nouveaux dispositifs",
    "changed": "Dispositifs modifiés",
    "reopened": "Dispositifs rouverts",
    "closing": "Clôture dans moins de 30 jours",
    "closed": "Clôturés sur la période",
    "ineligible": "Plus éligibles pour la collectivité",
}
DEFAULT_TOP = 20


class MatcherLike(Protocol):
    def match_action(self, collectivite, action, top: int = 10, include_closed: bool = False,
                     today: dt.date | None = None) -> list[Any]: ...


@dataclass
class Period:
    """The span a digest covers: changes after run ``after_run`` (or since ``since``) up to
    run ``until_run``; deadlines passed on or after ``since`` count as closures."""
    since: dt.date
    until_run: int
    after_run: int | None = None
    previous_digest: str | None = None   # date of the previous digest, when there is one
    note: str = ""                       # what was assumed, said to the user
    baseline: bool = False               # first digest of the plan: the starting point, no changes

    @property
    def label(self) -> str:
        if self.baseline:
            return "point de départ de la veille de ce plan"
        if self.previous_digest:
            return f"depuis la veille du {date_fr(self.previous_digest)}"
        return f"depuis le {date_fr(self.since)}"


@dataclass
class DigestItem:
    scheme: Scheme
    category: str
    score: float | None = None
    why: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    days_left: int | None = None
    closing_soon: bool = False
    reason: str = ""                 # why a scheme is reported closed or no longer eligible

    @property
    def topics(self) -> list[str]:
        return topics_of(self.changes)


@dataclass
class ActionDigest:
    id: str
    titre: str
    items: list[DigestItem] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)   # every scheme id the matcher returned

    def groups(self) -> list[tuple[str, str, list[DigestItem]]]:
        """(category, French heading, items) for the non-empty categories, in reading order."""
        out = []
        for key, heading in CATEGORIES.items():
            items = [i for i in self.items if i.category == key]
            if items:
                out.append((key, heading, items))
        return out


@dataclass
class Digest:
    plan_key: str
    collectivite: str
    today: dt.date
    period: Period
    actions: list[ActionDigest]
    generated_at: str

    @property
    def empty(self) -> bool:
        return not any(a.items for a in self.actions)

    def counts(self) -> dict[str, int]:
        """Distinct schemes per category, over all actions."""
        seen: dict[str, set[str]] = {key: set() for key in CATEGORIES}
        for action in self.actions:
            for item in action.items:
                seen[item.category].add(item.scheme.id)
        return {key: len(ids) for key, ids in seen.items()}

    @property
    def id(self) -> str:
        """Same plan, period, day and content -> same id: what "already sent" is checked on."""
        payload = {
            "plan": self.plan_key, "today": self.today.isoformat(), "since": self.period.since.isoformat(),
            "after_run": self.period.after_run, "until_run": self.period.until_run,
            "items": [[a.id, i.scheme.id, i.category, i.scheme.content_hash] for a in self.actions for i in a.items],
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:20]

    def summary_fr(self) -> str:
        if self.empty:
            return "rien à signaler"
        words = {"new": ("nouveau", "nouveaux"), "changed": ("modifié", "modifiés"),
                 "reopened": ("rouvert", "rouverts"), "closing": ("clôture proche", "clôtures proches"),
                 "closed": ("clôturé", "clôturés"), "ineligible": ("plus éligible", "plus éligibles")}
        return ", ".join(f"{n} {words[k][n > 1]}" for k, n in self.counts().items() if n)

    def record(self) -> dict:
        """What the state keeps of a delivered digest (the next --last-run starts from it)."""
        return {"id": self.id, "date": self.today.isoformat(), "since": self.period.since.isoformat(),
                "baseline": self.period.baseline,
                "after_run": self.period.after_run, "until_run": self.period.until_run,
                "generated_at": self.generated_at, "counts": self.counts(),
                "matched": {a.id: a.matched for a in self.actions}}


def plan_key(plan) -> str:
    """Stable identity of a plan across file moves: its collectivité (name, type, territory)."""
    col = plan.collectivite
    name = re.sub(r"[^a-z0-9]+", "-", fold(col.nom)).strip("-")
    return f"{name}|{col.type}|{col.territory or col.code or ''}"


# -- the period ----------------------------------------------------------------------------------
def last_run_id(catalogue) -> int:
    runs = catalogue.runs()
    return runs[-1]["id"] if runs else 0


def period_since(catalogue, since: dt.date) -> Period:
    return Period(since=since, until_run=last_run_id(catalogue))


def period_last_run(catalogue, previous: dict | None, today: dt.date) -> Period:
    """Since the previous delivered digest of this plan.

    A digest asked again the same day with no new catalogue run is the same digest (same
    period), so a job run twice does not produce a second, different one. With no previous
    digest this one is the baseline (and says so)."""
    until = last_run_id(catalogue)
    if previous is None:
        note = ("Première veille pour ce plan : ce résumé sert de point de départ. Les dispositifs "
                "déjà au catalogue ne sont pas présentés comme nouveaux ; les changements seront "
                "signalés à partir du prochain résumé.")
        return Period(since=today, until_run=until, after_run=until, note=note, baseline=True)
    if previous["until_run"] == until and previous["date"] == today.isoformat():
        again = "Aucune nouvelle collecte depuis le résumé de ce jour : même résumé."
        if previous.get("baseline"):
            return dataclasses.replace(period_last_run(catalogue, None, today), note=again)
        return Period(since=dt.date.fromisoformat(previous["since"]), until_run=until,
                      after_run=previous["after_run"], previous_digest=_previous_of(previous), note=again)
    return Period(since=dt.date.fromisoformat(previous["date"]), until_run=until,
                  after_run=previous["until_run"], previous_digest=previous["date"])


def _previous_of(record: dict) -> str | None:
    return record["since"] if record.get("after_run") is not None else None


# -- assembly ------------------------------------------------------------------------------------
def build_digest(plan, catalogue, matcher: MatcherLike, period: Period, today: dt.date,
                 top: int = DEFAULT_TOP, perimeter_label=None, progress=None,
                 previous: dict | None = None, referential=None) -> Digest:
    """The digest of ``plan`` for ``period``; ``progress`` wraps the action loop (a bar).

    ``previous`` is the record of the previous digest of this plan: the schemes it matched
    that are no longer open to the collectivité are reported « plus éligible » (``referential``
    is the territory referential of the filters)."""
    if period.baseline:
        events = {}
    else:
        rows = catalogue.changes_since("" if period.after_run is not None else period.since.isoformat())
        events = catalogue_events([r for r in rows if r[3] <= period.until_run], after_run=period.after_run)
    before = (previous or {}).get("matched") or {}
    actions_out = []
    iterate = progress(plan.actions) if progress else contextlib.nullcontext(plan.actions)
    with iterate as actions:
        for action in actions:
            entry = ActionDigest(action.id, action.titre)
            matches = matcher.match_action(plan.collectivite, action, top=top, include_closed=True, today=today)
            for match in matches:
                scheme = catalogue.get(match.scheme.id) or match.scheme
                entry.matched.append(scheme.id)
                item = _classify(scheme, events.get(scheme.id), period, today, catalogue, perimeter_label)
                if item is None:
                    continue
                item.score = getattr(match, "score", None)
                item.why = _why_text(getattr(match, "why", ""))
                entry.items.append(item)
            dropped = [i for i in before.get(action.id, []) if i not in set(entry.matched)]
            if dropped and referential is not None:
                entry.items += _no_longer_eligible(dropped, plan.collectivite, action, catalogue, referential, today)
            entry.items.sort(key=_item_order)
            actions_out.append(entry)
    return Digest(plan_key(plan), plan.collectivite.nom, today, period, actions_out,
                  dt.datetime.now().replace(microsecond=0).isoformat())


def _no_longer_eligible(scheme_ids, collectivite, action, catalogue, referential, today) -> list[DigestItem]:
    """Schemes matched last time that the hard filters now exclude (a scheme merely ranked
    lower this week is not news)."""
    from aidenum.matcher.filters import Applicant, check, relays_to_businesses

    applicant = Applicant.from_collectivite(collectivite)
    relay = relays_to_businesses(getattr(action, "text", "") or "")
    items = []
    for scheme_id in scheme_ids:
        scheme = catalogue.get(scheme_id)
        if scheme is None:
            continue
        verdict = check(scheme, applicant, referential, today, include_closed=True, relay=relay)
        if not verdict.ok:
            items.append(DigestItem(scheme, "ineligible", days_left=scheme.days_left(today),
                                    reason=verdict.reason.removeprefix("exclue : ")))
    return items


def _classify(scheme: Scheme, event, period: Period, today: dt.date, catalogue, perimeter_label) -> DigestItem | None:
    detail = scheme.status_detail(today)
    status = detail.code
    item = DigestItem(scheme, "", days_left=scheme.days_left(today), closing_soon=status == "closing-soon")
    if status == "stale":
        item.reason = f"{STATUSES['stale']} ({detail.reason})"
    if status == "closed":
        if event is not None and event.kind == "closed":
            item.category, item.reason = "closed", f"retiré de sa source le {date_fr(event.at)}"
        elif scheme.archived and event is not None:
            item.category, item.reason = "closed", "archivé par sa source"
        elif scheme.deadline and period.since <= scheme.deadline < today:
            item.category, item.reason = "closed", f"date limite du {date_fr(scheme.deadline)} passée"
        elif _stated_end_in(scheme, period, today):
            _, excerpt = stated_end(scheme)
            item.category, item.reason = "closed", f"fin indiquée par son texte (« {excerpt} ») passée"
        else:
            return None
        if event is not None and event.kind == "changed":
            item.changes = _changes(scheme, period, catalogue, perimeter_label) or []
        return item
    if event is not None and event.kind in ("changed", "reopened"):
        item.changes = _changes(scheme, period, catalogue, perimeter_label)
        if event.kind == "changed":
            if item.changes is None:      # no version before the period: it is new to the user
                item.category, item.changes = "new", []
            elif not item.changes:        # changed and changed back: nothing to say
                return _closing_or_none(item)
            else:
                item.category = "changed"
        else:
            item.category, item.changes = "reopened", item.changes or []
        return item
    if event is not None and event.kind == "new":
        item.category = "new"
        return item
    return _closing_or_none(item)


def _stated_end_in(scheme: Scheme, period: Period, today: dt.date) -> bool:
    """The end the scheme's texts state fell in the period (see ``catalogue.status``)."""
    ended, _ = stated_end(scheme)
    return ended is not None and period.since <= ended < today


def _closing_or_none(item: DigestItem) -> DigestItem | None:
    if item.closing_soon:
        item.category = "closing"
        return item
    return None


def _changes(scheme: Scheme, period: Period, catalogue, perimeter_label) -> list[FieldChange] | None:
    versions = catalogue.versions(scheme.id)
    if period.after_run is not None:
        old = version_before(versions, run_id=period.after_run)
    else:
        old = version_before(versions, at=period.since.isoformat())
    if old is None:
        return None
    return diff_versions(old, scheme.to_dict(with_raw=False), perimeter_label)


def _item_order(item: DigestItem):
    if item.category == "closing":
        return (item.days_left if item.days_left is not None else 10**6, item.scheme.title)
    return (-(item.score or 0.0), item.scheme.title)


def _why_text(why) -> str:
    """The matcher's first explanation (the words of the action found): enough for a digest."""
    if isinstance(why, (list, tuple)):
        return str(next((w for w in why if w), ""))
    return str(why or "")
