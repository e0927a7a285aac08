"""Output of ``aidenum match`` / ``aidenum search``: terminal table, JSON, CSV, printable HTML.

JSON is a contract other tools rely on (DESIGN.md)::

    {"actions": [{"id", "titre", "matches": [{"rank", "scheme_id", "title", "url", "score",
                  "deadline", "why", ...}]}]}

Extra keys inside an action or a match are allowed; those listed are always present.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from aidenum.catalogue.formatting import amount_fr, date_fr, month_year_fr, number_fr, shortest_fr
from aidenum.catalogue.freshness import data_date_of, is_stale
from aidenum.catalogue.model import SOURCES
from aidenum.catalogue.vocabularies import AID_TYPES, STATUSES
from aidenum.catalogue.paths import shipped
from .similar import percent_text

TEMPLATE_DIR = shipped("templates")
CSV_COLUMNS = ["action_id", "action_titre", "rang", "dispositif_id", "titre", "url", "score", "date_limite",
               "jours_restants", "statut", "financeurs", "types_aide", "taux_max", "montant_max", "perimetre",
               "pourquoi", "projets_similaires", "preuves_financement"]


@dataclass
class ActionResult:
    """One section of a report: an action (or a free-text search) and its matches."""
    id: str
    titre: str
    matches: list
    axe: str = ""
    description: str = ""
    budget_ht: float | None = None
    exclusions: list = field(default_factory=list)
    similar: list = field(default_factory=list)     # matcher.similar.FundedProject, closest first
    evidence: dict = field(default_factory=dict)    # dispositif label -> DispositifEvidence


def match_dict(match, today: dt.date) -> dict:
    status = match.scheme.status_detail(today)
    data_date, month_only, collected = data_date_of(match.scheme)
    s = match.scheme
    return {
        "rank": match.rank,
        "scheme_id": s.id,
        "title": s.title,
        "url": s.url or s.application_url,
        "score": match.score,
        "deadline": s.deadline.isoformat() if s.deadline else None,
        "why": list(match.why),
        "days_left": s.days_left(today),
        "status": status.code,
        "status_reason": status.reason,
        "source": s.source,
        "data_date": data_date.isoformat()[:7 if month_only else 10] if data_date else None,
        "data_date_is_collection": collected,   # the source gives no date: when aidenum last read it
        "data_stale": is_stale(data_date, today),
        "funders": list(s.funders),
        "aid_types": list(s.aid_types),
        "perimeter": s.perimeter,
        "rate_min": s.rate_min,
        "rate_max": s.rate_max,
        "amount_min": s.amount_min,
        "amount_max": s.amount_max,
        "matched_terms": list(match.matched_terms),
        "matched_fields": list(match.matched_fields),
    }


def to_json(sections: list[ActionResult], today: dt.date) -> str:
    actions = []
    for section in sections:
        item = {"id": section.id, "titre": section.titre,
                "matches": [match_dict(m, today) for m in section.matches], **laureate_fields(section)}
        if section.exclusions:
            item["exclusions"] = [{"scheme_id": e.scheme.id, "title": e.scheme.title, "reason": e.reason}
                                  for e in section.exclusions]
        actions.append(item)
    return json.dumps({"actions": actions}, ensure_ascii=False, indent=2) + "\n"


def to_csv(sections: list[ActionResult], today: dt.date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for section in sections:
        for m in section.matches:
            s = m.scheme
            writer.writerow([
                section.id, section.titre, m.rank, s.id, s.title, s.url or s.application_url,
                number_fr(m.score, 2, fixed=True), date_fr(s.deadline),
                "" if s.days_left(today) is None else s.days_left(today), STATUSES[s.status(today)],
                " | ".join(s.funders), " | ".join(AID_TYPES.get(t, t) for t in s.aid_types),
                _num(s.rate_max), _num(s.amount_max), s.perimeter, " | ".join(m.why), *laureate_cells(section),
            ])
    return out.getvalue()


def _num(value) -> str:
    return "" if value is None else shortest_fr(value)


def french_day(iso: str | None) -> str:
    return date_fr(iso)


def at_when(at_last_update: str | None) -> str:
    """« mises à jour le 02/12/2026 », or « de novembre 2022 » when only the month is known."""
    if not at_last_update:
        return ""
    if len(at_last_update) == 7:
        return f"de {month_year_fr(at_last_update)}"
    return f"mises à jour le {french_day(at_last_update)}"


def credit_line(at_last_update: str | None) -> str:
    """The credit the Aides-territoires licence asks for: source, link and date of last update."""
    if not at_last_update:
        return ""
    return (f"Données Aides-territoires (Licence Ouverte, https://aides-territoires.beta.gouv.fr), "
            f"{at_when(at_last_update)}.")


def to_table(sections: list[ActionResult], today: dt.date, width: int | None = None, credit: str = "",
             coverage: list[str] = (), freshness: list[str] = ()) -> str:
    """A readable French listing for the terminal; ``coverage`` lines first, ``freshness`` last."""
    width = width or min(shutil.get_terminal_size((100, 20)).columns, 120)
    lines: list[str] = list(coverage)
    for section in sections:
        heading = f"Action {section.id} — {section.titre}" if section.id else section.titre
        lines += ["", heading, "═" * min(len(heading), width)]
        if not section.matches:
            lines.append("  Aucun dispositif accessible ne correspond à cette action.")
        for m in section.matches:
            s = m.scheme
            lines.append(f"{m.rank:>3}. {s.title}  [{s.id}]")
            lines.append(f"     score {number_fr(m.score, 1, fixed=True)} · {STATUSES[s.status(today)]}"
                         + (f" · {s.url or s.application_url}" if (s.url or s.application_url) else ""))
            for sentence in m.why:
                lines.extend(textwrap.wrap(sentence, width=width, initial_indent="     • ",
                                           subsequent_indent="       "))
        if section.exclusions:
            lines.append(f"  Dispositifs écartés ({len(section.exclusions)}) :")
            for e in section.exclusions[:10]:
                lines.extend(textwrap.wrap(f"{e.scheme.title} [{e.scheme.id}] — {e.reason}", width=width,
                                           initial_indent="     – ", subsequent_indent="       "))
        if section.similar or section.evidence:
            lines += ["  Projets financés comparables :", *similar_lines(section.similar, section.evidence, width=width)]
    if any(section.similar for section in sections):
        lines += ["", LAUREATES_CREDIT]
    if credit:
        lines += ["", credit]
    lines += [""] * bool(freshness) + list(freshness)
    return "\n".join(lines).lstrip("\n") + "\n"


def to_html(sections: list[ActionResult], today: dt.date, title: str, subtitle: str = "",
            at_last_update: str | None = None, coverage: list[str] = (), freshness: list[str] = ()) -> str:
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    template = env.get_template("report.html.j2")
    return template.render(
        title=title, subtitle=subtitle, today=date_fr(today), sections=sections,
        status_label=lambda s: STATUSES[s.status(today)], status=lambda s: s.status(today),
        sources=SOURCES, budget=_euros, at_updated=at_when(at_last_update),
        coverage=list(coverage), freshness=list(freshness),
        funded=funded_project_text, laureates_credit=LAUREATES_CREDIT,
        with_laureates=any(section.similar for section in sections),
    )


def _euros(value) -> str:
    return "" if value is None else f"{amount_fr(value, 0)} HT"


# -- similar funded projects (issue 11) -------------------------------------------------------------

LAUREATES_CREDIT = ("Projets financés : DGCL, dotations de soutien à l'investissement local (Licence Ouverte, "
                    "data.gouv.fr) ; Kohesio (Commission européenne) ; ANCT, Conseiller numérique (Licence Ouverte).")
SIMILAR_SHOWN = 3            # projects listed per action in the table, CSV and HTML (JSON has them all)
PROXIMITY_LABELS = {"commune": "même commune", "intercommunalité": "même intercommunalité",
                    "département": "même département", "région": "même région", "France": "France"}


def laureate_fields(section: ActionResult) -> dict:
    """The JSON keys ``similar_projects`` and ``funding_evidence`` of an action (README)."""
    if not section.similar and not section.evidence:
        return {}
    return {"similar_projects": [p.as_dict() for p in section.similar],
            "funding_evidence": {label: e.as_dict() for label, e in section.evidence.items()}}


def funded_project_text(project) -> str:
    """« Installation de la vidéoprotection — DETR 2023, Frans (01), même département, 20 %, 13 329 € »"""
    parts = [f"{project.dispositif} {project.year}", project.place, PROXIMITY_LABELS.get(project.proximity, "")]
    if project.rate is not None:
        parts.append(percent_text(project.rate))
    if project.grant is not None:
        parts.append(f"{number_fr(project.grant)}\u00a0€")
    return f"{project.title} — " + ", ".join(p for p in parts if p)


def similar_lines(projects: list, evidence: dict, width: int = 100, indent: str = "     ") -> list[str]:
    lines = []
    for label, item in evidence.items():
        lines.extend(textwrap.wrap(item.sentence, width=width, initial_indent=f"{indent}• ",
                                   subsequent_indent=f"{indent}  "))
    for project in projects[:SIMILAR_SHOWN] if indent else projects:
        lines.extend(textwrap.wrap(funded_project_text(project), width=width, initial_indent=f"{indent}– ",
                                   subsequent_indent=f"{indent}  "))
    return lines


def laureate_cells(section: ActionResult) -> list[str]:
    return [" | ".join(funded_project_text(p) for p in section.similar[:SIMILAR_SHOWN]),
            " | ".join(e.sentence for e in section.evidence.values())]
