"""The synthesis as a Word document: A4 landscape, one table row per action, totals per funder.

Same page rules as the application files (templates/build_templates.py): French margins (2.5 cm
left and top, 2 cm right and bottom), Arial 10 pt and 9 pt in tables, fixed column widths sized
for « 999 999 999,99 € » so that no amount or word breaks mid-way, rows that never split across
pages, a header row repeated on each page, headings kept with what follows, and the collectivité
as the document's author. Written beside its destination, checked, then moved into place.
"""
from __future__ import annotations

from decimal import Decimal

from aidenum.catalogue.files import replacing
from aidenum.catalogue.formatting import date_fr

from .check import check_docx
from .financing import format_eur, format_pct, format_rate
from .synthesis import KIND_LABELS, Synthesis, applied_rate, basis_of, line_funder, observed_rate_text

FONT = "Arial"
BODY_PT, TABLE_PT, NOTE_PT = 10, 8.5, 7.5  # a dense table: twelve actions on a few pages
PAGE_W_CM, PAGE_H_CM = 29.7, 21.0  # A4 landscape
MARGINS_CM = {"left": 2.5, "right": 2.0, "top": 2.5, "bottom": 2.0}
# Text width 25.2 cm (29.7 - 2.5 - 2); columns sum to it. Sized on DejaVu Sans, LibreOffice's
# fallback for Arial and wider than it, at 9 pt (the tables use 8.5): amount columns hold
# « 99 999 999,99 € » (3.0 cm with the cell margins), the self-financing column the bold header
# « Autofinancement » (3.8 cm), the action column « vidéoprotection ». Only the header row is bold.
ACTION_COLUMNS = [("Action", 3.3), ("Budget HT", 3.0), ("Dispositifs accessibles (les mieux classés)", 6.4),
                  ("Financement sollicité", 5.7), ("Autofinancement", 3.8), ("Plafond des aides", 3.0)]
FUNDER_COLUMNS = [("Financeur", 8.2), ("Montant sollicité", 3.4), ("Budget des actions concernées", 3.8),
                  ("Part du budget", 2.4), ("Montants à compléter", 3.0), ("Actions", 4.4)]
SHADE = "D9E2F3"


def write_docx(synthesis: Synthesis, path) -> None:
    document = build_document(synthesis)
    with replacing(path) as tmp:  # the previous file stays whole until the new one is checked
        document.save(str(tmp))
        check_docx(tmp)


def build_document(synthesis: Synthesis):
    import docx
    document = docx.Document()
    _page(document, synthesis)
    _styles(document)
    document.add_heading("Synthèse du plan de financement", level=0)
    _para(document, f"{synthesis.collectivite.nom} — établie le {date_fr(synthesis.today)} — "
                    f"{len(synthesis.rows)} action(s), budget total {format_eur(synthesis.budget_total)} HT")
    _para(document, reading_note(synthesis), italic=True)
    document.add_heading("Plan de financement par action", level=1)
    _action_table(document, synthesis)
    document.add_heading("Totaux par financeur", level=1)
    _funder_table(document, synthesis)
    document.add_heading("Total du plan", level=1)
    totals = plan_total_lines(synthesis)
    for index, text in enumerate(totals):
        # the few total lines stay on one page
        _para(document, text, style="List Bullet").paragraph_format.keep_with_next = index < len(totals) - 1
    notes = action_notes(synthesis)
    if notes:
        document.add_heading("Points d'attention et éléments à compléter", level=1)
        for text in notes:
            _para(document, text, style="List Bullet")
    for credit in synthesis.credits:
        _para(document, credit, italic=True, size=NOTE_PT)
    _properties(document, synthesis)
    return document


def reading_note(synthesis: Synthesis) -> str:
    return (f"Dispositifs : les {synthesis.top} meilleurs dispositifs auxquels la collectivité peut prétendre "
            f"(mêmes filtres que « aidenum match »). Montants : ceux que la collectivité indique l'emportent ; "
            f"sinon une proposition fondée sur les taux observés de projets comparables, à confirmer, ou le "
            f"taux maximal publié, à ajuster ; sans taux connu, le montant est à compléter. Les aides "
            f"publiques sont plafonnées (article L1111-10 du CGCT) ; un prêt compte dans l'autofinancement.")


def plan_total_lines(synthesis: Synthesis) -> list[str]:
    """The plan's totals as French sentences (also used by the HTML page)."""
    lines = [f"Budget total : {format_eur(synthesis.budget_total)} HT"]
    share = f" ({format_pct(synthesis.aid_share)} du budget)" if synthesis.aid_share is not None else ""
    lines.append(f"Aides sollicitées chiffrées : {format_eur(synthesis.aid_total)}{share}")
    pending = synthesis.pending
    suffix = f", hors {pending} montant(s) d'aide à compléter" if pending else ""
    lines.append(f"Autofinancement : {format_eur(synthesis.self_financing_total)}{suffix}")
    if synthesis.missing_budgets:
        lines.append(f"Budget à compléter pour : {', '.join(synthesis.missing_budgets)}")
    return lines


def action_notes(synthesis: Synthesis) -> list[str]:
    notes = [f"Plan : {w}" for w in synthesis.warnings]
    for row in synthesis.rows:
        for text in row.financing.warnings + row.financing.notes:
            notes.append(f"{row.action.id} : {text}")
        for text in row.financing.missing:
            notes.append(f"{row.action.id} : à compléter — {text}")
    return notes


# -- cells -----------------------------------------------------------------------------------------

def option_lines(option) -> tuple[str, str]:
    """(« 1. title », « taux … ; plafond … ; date limite … ; taux observé … »); the ids are in the XLSX."""
    facts = [f"taux : {option.rate_range or 'non publié'}"]
    if option.ceiling is not None:
        facts.append(f"plafond : {format_eur(option.ceiling)}")
    facts.append(f"date limite : {date_fr(option.deadline)}" if option.deadline else "sans date limite connue")
    if option.observed is not None and option.observed.rate is not None:
        facts.append(f"taux observé : {observed_rate_text(option.observed)}")
    if option.kind != "grant":
        facts.append(KIND_LABELS[option.kind])
    return f"{option.rank}. {option.scheme.title}", " ; ".join(facts)


def funding_lines(row) -> list[tuple[str, str]]:
    """(« funder : amount (rate) », basis) per line of the action's financing plan."""
    out = []
    for line, option in row.lines:
        funder = line_funder(line, option)
        if line.amount is None:
            head = f"{funder} : à compléter"
        else:
            rate = applied_rate(line, row.budget)
            shown = f" ({format_rate(rate.quantize(Decimal('0.01')))})" if rate is not None else ""
            head = f"{funder} : {format_eur(line.amount)}{shown}"
        if line.kind == "loan":
            head += " — prêt"
        out.append((head, basis_of(line)))
    if out:
        return out
    if row.options:  # listed, but none carries money: engineering only
        return [("aucun montant", "les dispositifs accessibles sont de l'ingénierie (accompagnement, sans montant)")]
    return [("aucun financement sollicité", "aucun dispositif accessible à la collectivité pour cette action")]


def self_financing_text(row) -> str:
    financing = row.financing
    if financing.budget is None:
        return "à compléter"
    if financing.self_financing is None:
        return f"à compléter (au moins {format_eur(financing.min_self_financing)})"
    return f"{format_eur(financing.self_financing)} ({format_pct(financing.self_financing_share)})"


def cap_text(row) -> tuple[str, str]:
    """(« 148 000,00 € » or the rate when no budget, « 80 % du coût HT : respecté »)."""
    financing = row.financing
    rate = f"{format_rate(financing.cap_rate)} du coût HT"
    if financing.budget is None:
        return rate, "à vérifier (budget à compléter)"
    state = "respecté" if row.aid_total <= financing.cap_amount else "dépassé"
    return format_eur(financing.cap_amount), f"{rate} : {state}"


# -- layout ------------------------------------------------------------------------------------------

def _page(document, synthesis: Synthesis) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    from .word import append_field  # python-docx is imported only when a document is written
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(PAGE_W_CM), Cm(PAGE_H_CM)
    section.left_margin, section.right_margin = Cm(MARGINS_CM["left"]), Cm(MARGINS_CM["right"])
    section.top_margin, section.bottom_margin = Cm(MARGINS_CM["top"]), Cm(MARGINS_CM["bottom"])
    section.header_distance, section.footer_distance = Cm(1.2), Cm(1)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{synthesis.collectivite.nom} — synthèse du plan de financement — page ")
    append_field(footer.add_run(), "PAGE")
    footer.add_run(" / ")
    append_field(footer.add_run(), "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(NOTE_PT)


def _styles(document) -> None:
    from .word import house_styles
    house_styles(document, FONT, BODY_PT, {"Title": (18, 0), "Heading 1": (13, 10)})


def _para(document, text: str, italic: bool = False, style: str | None = None, size: float | None = None):
    from docx.shared import Pt
    paragraph = document.add_paragraph(style=style)
    run = paragraph.add_run(text)
    run.italic = italic or None
    if size:
        run.font.size = Pt(size)
    return paragraph


def _table(document, columns: list[tuple[str, float]]):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm
    table = document.add_table(rows=0, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for column, (_, width) in zip(table.columns, columns):
        column.width = Cm(width)
    _row(table, columns, [[(name, True)] for name, _ in columns], header=True)
    return table


def _row(table, columns, cells: list[list[tuple[str, bool]]], header: bool = False, shade: bool = False):
    """A row that never splits across pages; each cell is a list of (paragraph text, is_main) pairs:
    main paragraphs at 9 pt (bold in the header), the others at 8 pt, grey; ``shade``: a total row."""
    from docx.oxml import OxmlElement
    from docx.shared import Cm, Pt, RGBColor
    row = table.add_row()
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))
    for cell, paragraphs, (_, width) in zip(row.cells, cells, columns):
        cell.width = Cm(width)
        for index, (text, main) in enumerate(paragraphs):
            paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(1)
            run = paragraph.add_run(text)
            run.font.size = Pt(TABLE_PT if main else NOTE_PT)
            run.bold = header or None
            if not main:
                run.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
        if header or shade:
            _shade(cell)
    return row


def _shade(cell) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), SHADE)
    cell._tc.get_or_add_tcPr().append(shd)


def _action_table(document, synthesis: Synthesis) -> None:
    table = _table(document, ACTION_COLUMNS)
    for row in synthesis.rows:
        options = [pair for option in row.options for pair in zip(option_lines(option), (True, False))]
        funding = [pair for texts in funding_lines(row) for pair in zip(texts, (True, False))]
        cap_head, cap_state = cap_text(row)
        _row(table, ACTION_COLUMNS, [
            [(f"{row.action.id} — {row.action.titre}", True)] + ([(row.action.axe, False)] if row.action.axe else []),
            [(format_eur(row.budget) if row.budget is not None else "à compléter", True)],
            options or [("aucun dispositif accessible à la collectivité", True)],
            funding,
            [(self_financing_text(row), True)],
            [(cap_head, True), (cap_state, False)],
        ])
    cap_total = sum((r.financing.cap_amount for r in synthesis.rows if r.financing.cap_amount is not None),
                    Decimal(0))
    _row(table, ACTION_COLUMNS, [
        [("Total du plan", True)], [(format_eur(synthesis.budget_total), True)], [("", True)],
        [(f"{format_eur(synthesis.aid_total)} chiffrés", True)]
        + ([(f"{synthesis.pending} montant(s) à compléter", False)] if synthesis.pending else []),
        [(format_eur(synthesis.self_financing_total), True)], [(format_eur(cap_total), True)]], shade=True)


def _funder_table(document, synthesis: Synthesis) -> None:
    table = _table(document, FUNDER_COLUMNS)
    for total in synthesis.funders:
        share = total.sought * 100 / total.budget if total.budget else None
        _row(table, FUNDER_COLUMNS, [
            [(total.funder, True)], [(format_eur(total.sought), True)], [(format_eur(total.budget), True)],
            [(format_pct(share) if share is not None else "", True)],
            [(str(total.pending) if total.pending else "", True)], [(", ".join(total.actions), True)]])
    _row(table, FUNDER_COLUMNS, [
        [("Total des aides sollicitées", True)], [(format_eur(synthesis.aid_total), True)],
        [(format_eur(synthesis.budget_total), True)],
        [(format_pct(synthesis.aid_share) if synthesis.aid_share is not None else "", True)],
        [(str(synthesis.pending) if synthesis.pending else "", True)], [("", True)]], shade=True)


def _properties(document, synthesis: Synthesis) -> None:
    from .render import _set_properties
    _set_properties(document, {"title": synthesis.title, "author": synthesis.collectivite.nom,
                               "subject": "Synthèse du plan de financement",
                               "keywords": ", ".join(r.action.id for r in synthesis.rows)})
    document.core_properties.comments = "Synthèse du plan préparée avec aidenum"
