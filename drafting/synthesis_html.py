"""The synthesis as a standalone HTML page (escaped, accessible tables, an inline SVG bar chart).

``view(synthesis)`` turns the synthesis into the texts both HTML doors show (this page and the
web application's « Synthèse » page), so that they say the same thing in the same words.
"""
from __future__ import annotations

from dataclasses import dataclass

from aidenum.catalogue.files import atomic_write
from aidenum.catalogue.formatting import amount_fr, date_fr
from aidenum.catalogue.paths import shipped

from .financing import format_eur, format_pct
from .synthesis import Synthesis
from .synthesis_docx import (action_notes, cap_text, funding_lines, option_lines, plan_total_lines, reading_note,
                             self_financing_text)

TEMPLATE, FRAGMENT = "synthese.html.j2", "synthese_fragment.html.j2"
# Chart geometry (SVG user units): a label line and two bars per funder.
CHART_WIDTH, LABEL_H, BAR_H, GAP, VALUE_W = 760, 16, 14, 12, 150


@dataclass
class Bar:
    y: float
    width: float
    value: str


@dataclass
class ChartGroup:
    label: str
    y: float
    budget: Bar
    sought: Bar


def view(synthesis: Synthesis) -> dict:
    """Texts of the tables, totals, notes and chart."""
    rows = []
    for row in synthesis.rows:
        cap_head, cap_state = cap_text(row)
        rows.append({
            "id": row.action.id, "titre": row.action.titre, "axe": row.action.axe,
            "budget": format_eur(row.budget) if row.budget is not None else "à compléter",
            "options": [option_lines(option) for option in row.options],
            "funding": funding_lines(row), "self_financing": self_financing_text(row),
            "cap": cap_head, "cap_state": cap_state})
    funders = [{"funder": t.funder, "sought": format_eur(t.sought), "budget": format_eur(t.budget),
                "share": format_pct(t.sought * 100 / t.budget) if t.budget else "",
                "pending": t.pending, "actions": ", ".join(t.actions)} for t in synthesis.funders]
    return {"title": synthesis.title, "today": date_fr(synthesis.today), "collectivite": synthesis.collectivite.nom,
            "rows": rows, "funders": funders, "totals": plan_total_lines(synthesis),
            "aid_total": format_eur(synthesis.aid_total), "budget_total": format_eur(synthesis.budget_total),
            "aid_share": format_pct(synthesis.aid_share) if synthesis.aid_share is not None else "",
            "pending": synthesis.pending, "notes": action_notes(synthesis), "credits": list(synthesis.credits),
            "top": synthesis.top, "chart": chart(synthesis), "reading_note": reading_note(synthesis)}


def chart(synthesis: Synthesis) -> dict:
    """Bars of the funding sought against the budget of the actions concerned, per funder."""
    totals = [t for t in synthesis.funders if t.budget or t.sought]
    top = max([max(t.budget, t.sought) for t in totals], default=0)
    span = CHART_WIDTH - VALUE_W
    groups, y = [], 0.0
    for total in totals:
        def bar(value, offset):
            return Bar(y + LABEL_H + offset, round(float(value) / float(top) * span, 1) if top else 0,
                       amount_fr(value, 0))
        groups.append(ChartGroup(total.funder, y + LABEL_H - 4, bar(total.budget, 0), bar(total.sought, BAR_H)))
        y += LABEL_H + 2 * BAR_H + GAP
    return {"groups": groups, "width": CHART_WIDTH, "height": max(y, 1), "value_x": span + 6}


def _environment():
    import jinja2
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(shipped("templates"))), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def render_html(synthesis: Synthesis) -> str:
    return _environment().get_template(TEMPLATE).render(**view(synthesis))


def render_fragment(synthesis: Synthesis):
    """The tables, chart and notes alone, escaped, for a page of the web application."""
    from markupsafe import Markup
    return Markup(_environment().get_template(FRAGMENT).render(**view(synthesis)))


def write_html(synthesis: Synthesis, path) -> None:
    atomic_write(path, render_html(synthesis), newline="")
