"""Offline evaluation of the matcher against a gold set with graded relevance labels.

Gold file (YAML, see ``data/eval/gold.yaml``)::

    today: "2026-11-22"          # deadlines are judged at this date, so figures are reproducible
    profiles:
      - id: loudeac
        label: Intercommunalité rurale (Côtes-d'Armor)
        split: tune              # tune (weights are adjusted looking at it) | heldout (only read)
        collectivite: {nom: …, type: epci, code: "200067460"}
        actions:
          - id: L1
            titre: …
            description: …
            labels:
              "feder:feder-bzh-131": [2, "justification in one line"]

Grades: 2 = directly fundable by this scheme, 1 = partially, 0 = not relevant or not eligible.
Unlabelled schemes count as 0. Metrics per action, averaged over actions (macro):

- nDCG@k with gain 2^grade - 1 and discount log2(rank + 1); the ideal ranking uses every label
  of the action, so a relevant scheme the matcher never returns lowers the score;
- a labelled scheme the collectivité may not use at the gold's ``today`` (closed since the label
  was written, outside its territory: ``violations`` below) counts as grade 0, as the grades say
  (0 = « non pertinent ou non accessible »): a matcher that rightly leaves it out loses nothing.
  An action left with no accessible relevant scheme is not scored (``ModeReport.unscorable``),
  as the real set drops a project whose dispositif is no longer in reach;
- recall@k: share of the schemes graded ≥ 1 found in the top k;
- MRR: 1 / rank of the first scheme graded ≥ 1 (0 if none in the top k);
- the same figures per split: profiles marked ``split: heldout`` are never looked at while
  tuning weights, the thesaurus or the stemmer, so tune vs held-out tells generalisation
  from fitting;
- hard-filter violations: returned schemes the collectivité may not apply to, checked here
  independently of the matcher's own filters (beneficiary type, territory containment through the
  referential, deadline passed at ``today``, scheme closed in the catalogue).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any, Callable, Iterable

from aidenum.catalogue.formatting import date_fr, number_fr

from .plan import Action, Collectivite, PlanError

RELEVANT = 1
SPLITS = ("tune", "heldout")
SPLIT_LABELS = {"tune": "réglage", "heldout": "contrôle (non regardé)"}


# -- metrics -----------------------------------------------------------------------------------
def dcg(grades: Iterable[int]) -> float:
    return sum((2 ** g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades, start=1))


def ndcg_at_k(ranked: list[str], labels: dict[str, int], k: int = 10) -> float:
    ideal = dcg(sorted((g for g in labels.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg(labels.get(scheme_id, 0) for scheme_id in ranked[:k]) / ideal


def recall_at_k(ranked: list[str], labels: dict[str, int], k: int = 10) -> float:
    relevant = {s for s, g in labels.items() if g >= RELEVANT}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: list[str], labels: dict[str, int], k: int = 10) -> float:
    for rank, scheme_id in enumerate(ranked[:k], start=1):
        if labels.get(scheme_id, 0) >= RELEVANT:
            return 1.0 / rank
    return 0.0


# -- hard filters, checked independently of the matcher -----------------------------------------
def violations(scheme, collectivite: Collectivite, today: dt.date, referential) -> list[str]:
    """Why ``collectivite`` may not apply to ``scheme`` (French reasons); empty when it may."""
    reasons = []
    if scheme.beneficiaries and collectivite.type not in scheme.beneficiaries:
        reasons.append(f"bénéficiaires ({', '.join(scheme.beneficiaries)}) sans « {collectivite.type} »")
    perimeter = scheme.perimeter or "FR"
    if collectivite.territory and perimeter in referential.territories \
            and not referential.is_open_to(perimeter, collectivite.territory):
        reasons.append(f"territoire {perimeter} hors de {collectivite.territory}")
    if scheme.archived or scheme.closed_at:
        reasons.append("dispositif clôturé dans le catalogue")
    elif scheme.deadline and scheme.deadline < today:  # past deadline: closed whatever the recurrence
        reasons.append(f"clôturé le {scheme.deadline.isoformat()}")
    return reasons


# -- gold set ----------------------------------------------------------------------------------
@dataclass
class GoldAction:
    action: Action
    labels: dict[str, int]
    why: dict[str, str]


@dataclass
class Profile:
    id: str
    label: str
    collectivite: Collectivite
    actions: list[GoldAction]
    split: str = "tune"


@dataclass
class Gold:
    today: dt.date
    profiles: list[Profile]
    source: str = ""

    def scheme_ids(self) -> set[str]:
        return {s for p in self.profiles for a in p.actions for s in a.labels}


def load_gold(path: str | Path, referential=None) -> Gold:
    """Read and validate a gold file; PlanError (French) naming the profile/action/label at fault."""
    import yaml

    from .plans import build_plan

    path = Path(path)
    if not path.exists():
        raise PlanError(f"jeu d'évaluation introuvable : {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise PlanError(f"{path.name} : le fichier n'est pas encodé en UTF-8") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", ligne {mark.line + 1}" if mark else ""
        raise PlanError(f"{path.name}{where} : YAML invalide ({getattr(error, 'problem', error)})") from None
    if not isinstance(data, dict) or not data.get("profiles"):
        raise PlanError(f"{path.name} : attendu « today: » et une liste « profiles: »")
    try:
        today = dt.date.fromisoformat(str(data.get("today", "")))
    except ValueError:
        raise PlanError(f"{path.name} : « today » doit être une date AAAA-MM-JJ (date à laquelle "
                        f"les étiquettes ont été écrites), lu « {data.get('today')} »") from None
    profiles = []
    seen_profiles: set[str] = set()
    for number, raw in enumerate(data["profiles"], start=1):
        pid = str(raw.get("id") or f"profil {number}")
        where = f"{path.name}, profil « {pid} »"
        if pid in seen_profiles:
            raise PlanError(f"{where} : identifiant de profil en double")
        seen_profiles.add(pid)
        raw_actions = raw.get("actions") or []
        plan = build_plan(where, raw.get("collectivite") or {},
                          [{k: v for k, v in a.items() if k != "labels"} for a in raw_actions],
                          referential=referential)
        actions = []
        for action, raw_action in zip(plan.actions, raw_actions):
            labels, why = _labels(raw_action.get("labels"), f"{where}, action {action.id}")
            actions.append(GoldAction(action, labels, why))
        split = str(raw.get("split") or "tune")
        if split not in SPLITS:
            raise PlanError(f"{where} : « split » doit valoir tune ou heldout, lu « {split} »")
        profiles.append(Profile(pid, str(raw.get("label") or pid), plan.collectivite, actions, split))
    return Gold(today=today, profiles=profiles, source=path.name)


def _labels(raw: Any, where: str) -> tuple[dict[str, int], dict[str, str]]:
    if not isinstance(raw, dict) or not raw:
        raise PlanError(f"{where} : « labels » manquant (dispositif: [note 0-2, justification])")
    labels, why = {}, {}
    for scheme_id, value in raw.items():
        if not (isinstance(value, list) and len(value) == 2 and value[0] in (0, 1, 2)
                and isinstance(value[1], str) and value[1].strip()):
            raise PlanError(f"{where}, dispositif « {scheme_id} » : attendu [0, 1 ou 2, \"justification\"], "
                            f"lu {value!r}")
        labels[str(scheme_id)] = int(value[0])
        why[str(scheme_id)] = value[1].strip()
    if not any(g >= RELEVANT for g in labels.values()):
        raise PlanError(f"{where} : aucun dispositif noté 1 ou 2 ; une action sans dispositif pertinent "
                        "ne peut pas être évaluée")
    return labels, why


# -- running -----------------------------------------------------------------------------------
@dataclass
class ActionResult:
    profile: str
    action_id: str
    ranked: list[str]
    ndcg: float
    recall: float
    rr: float
    violations: list[tuple[str, list[str]]]
    missing: list[str] = field(default_factory=list)   # relevant schemes not returned
    split: str = "tune"


@dataclass
class ModeReport:
    mode: str
    results: list[ActionResult]
    unscorable: list[tuple[str, str]] = field(default_factory=list)  # (profile, action): no accessible label

    def summary(self, profile: str | None = None, split: str | None = None) -> dict[str, float]:
        rows = [r for r in self.results if (profile is None or r.profile == profile)
                and (split is None or r.split == split)]
        returned = sum(len(r.ranked) for r in rows)
        count = sum(len(r.violations) for r in rows)
        return {"ndcg": mean(r.ndcg for r in rows) if rows else 0.0,
                "recall": mean(r.recall for r in rows) if rows else 0.0,
                "mrr": mean(r.rr for r in rows) if rows else 0.0,
                "violations": count, "returned": returned,
                "violation_rate": count / returned if returned else 0.0,
                "actions": len(rows)}


def evaluate(gold: Gold, matcher, catalogue_get: Callable[[str], Any], referential, top: int = 10,
             mode: str = "full") -> ModeReport:
    """Run ``matcher.match_action`` on every gold action; hard filters checked with the catalogue."""
    results, unscorable = [], []
    for profile in gold.profiles:
        for item in profile.actions:
            labels = accessible_labels(item.labels, profile.collectivite, gold.today, catalogue_get, referential)
            if not any(g >= RELEVANT for g in labels.values()):
                unscorable.append((profile.id, item.action.id))
                continue
            matches = matcher.match_action(profile.collectivite, item.action, top=top, today=gold.today)
            ranked = [m.scheme.id for m in matches][:top]
            broken = []
            for match in matches[:top]:
                scheme = catalogue_get(match.scheme.id) or match.scheme
                reasons = violations(scheme, profile.collectivite, gold.today, referential)
                if reasons:
                    broken.append((scheme.id, reasons))
            missing = [s for s, g in labels.items() if g >= RELEVANT and s not in ranked]
            results.append(ActionResult(profile.id, item.action.id, ranked,
                                        ndcg_at_k(ranked, labels, top),
                                        recall_at_k(ranked, labels, top),
                                        reciprocal_rank(ranked, labels, top), broken, missing,
                                        profile.split))
    return ModeReport(mode, results, unscorable)


def accessible_labels(labels: dict[str, int], collectivite, today: dt.date, catalogue_get, referential) -> dict[str, int]:
    """The action's grades with 0 for the schemes ``collectivite`` may not use at ``today``."""
    out = {}
    for scheme_id, grade in labels.items():
        scheme = catalogue_get(scheme_id) if grade else None
        out[scheme_id] = 0 if scheme is not None and violations(scheme, collectivite, today, referential) else grade
    return out


def unknown_labels(gold: Gold, known_ids: set[str]) -> list[str]:
    return sorted(gold.scheme_ids() - known_ids)


def ratio(full: float, naive: float) -> float | None:
    return full / naive if naive else None


def report_json(gold: Gold, reports: list[ModeReport], top: int) -> str:
    by_mode = {r.mode: r for r in reports}
    payload: dict[str, Any] = {"gold": gold.source, "today": gold.today.isoformat(), "top": top, "modes": {},
                               "unscorable": [{"profile": p, "id": a} for p, a in
                                              (reports[0].unscorable if reports else [])]}
    for report in reports:
        payload["modes"][report.mode] = {
            "summary": report.summary(),
            "profiles": {p.id: report.summary(p.id) for p in gold.profiles},
            "splits": {name: report.summary(split=name) for name in SPLITS
                       if any(p.split == name for p in gold.profiles)},
            "actions": [{"profile": r.profile, "id": r.action_id, "ndcg": r.ndcg, "recall": r.recall,
                         "rr": r.rr, "ranked": r.ranked, "missing": r.missing,
                         "violations": [{"scheme_id": s, "reasons": why} for s, why in r.violations]}
                        for r in report.results]}
    if "full" in by_mode and "naive" in by_mode:
        full, naive = by_mode["full"].summary(), by_mode["naive"].summary()
        payload["gain"] = {m: ratio(full[m], naive[m]) for m in ("ndcg", "recall", "mrr")}
    return json.dumps(payload, ensure_ascii=False, indent=2)


def report_table(gold: Gold, reports: list[ModeReport], top: int) -> str:
    names = {"full": "aidenum (complet)", "naive": "référence naïve"}
    lines = [f"Évaluation sur {gold.source} : {len(gold.profiles)} profils, "
             f"{sum(len(p.actions) for p in gold.profiles)} actions, échéances jugées au "
             f"{date_fr(gold.today)}"]
    unscorable = reports[0].unscorable if reports else []
    if unscorable:
        lines.append(f"{len(unscorable)} action(s) écartée(s) : plus aucun dispositif noté pertinent n'est "
                     "accessible à cette date (" + ", ".join(f"{p}/{a}" for p, a in unscorable[:6]) + ")")
    lines.append("")
    header = f"{'':22} {'nDCG@' + str(top):>9} {'rappel@' + str(top):>10} {'MRR':>7} {'violations':>16}"
    lines.append(header)
    for report in reports:
        s = report.summary()
        lines.append(f"{names.get(report.mode, report.mode):22} {_num(s['ndcg']):>9} {_num(s['recall']):>10} "
                     f"{_num(s['mrr']):>7} {s['violations']:>6} / {s['returned']:<5}")
    by_mode = {r.mode: r for r in reports}
    if "full" in by_mode and "naive" in by_mode:
        full, naive = by_mode["full"].summary(), by_mode["naive"].summary()
        gains = [f"{label} × {_num(ratio(full[m], naive[m]), 2)}" if ratio(full[m], naive[m]) is not None
                 else f"{label} : référence nulle" for m, label in
                 (("ndcg", f"nDCG@{top}"), ("recall", f"rappel@{top}"), ("mrr", "MRR"))]
        lines.append("")
        lines.append("Gain du moteur complet sur la référence : " + ", ".join(gains))
    splits = [name for name in SPLITS if any(p.split == name for p in gold.profiles)]
    if len(splits) > 1:
        lines += ["", "Par partie du jeu :"]
        for name in splits:
            count = reports[0].summary(split=name)["actions"] if reports else 0
            for report in reports:
                s = report.summary(split=name)
                lines.append(f"{(SPLIT_LABELS[name] + f' ({count} actions)')[:44]:44} "
                             f"{names.get(report.mode, report.mode)[:18]:18} {_num(s['ndcg']):>6} "
                             f"{_num(s['recall']):>7} {_num(s['mrr']):>6} {s['violations']:>6}")
    lines += ["", "Par profil :"]
    lines.append(f"{'profil':44} {'mode':18} {'nDCG':>6} {'rappel':>7} {'MRR':>6} {'viol.':>6}")
    for profile in gold.profiles:
        for report in reports:
            s = report.summary(profile.id)
            mark = "*" if profile.split == "heldout" else " "
            lines.append(f"{(mark + profile.id + ' – ' + profile.label)[:44]:44} {names.get(report.mode, report.mode)[:18]:18} "
                         f"{_num(s['ndcg']):>6} {_num(s['recall']):>7} {_num(s['mrr']):>6} {s['violations']:>6}")
    if "full" in by_mode:
        broken = [(r, s, why) for r in by_mode["full"].results for s, why in r.violations]
        if broken:
            lines += ["", "Violations des filtres du moteur complet :"]
            lines += [f"  {r.profile}/{r.action_id} : {s} ({'; '.join(why)})" for r, s, why in broken]
    return "\n".join(lines)


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else number_fr(value, digits, fixed=True)
