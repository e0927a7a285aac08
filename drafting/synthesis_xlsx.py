"""The synthesis as a workbook whose figures are formulas: change a rate, the totals follow.

Sheet « Synthèse »: one block of rows per action (one row per listed scheme, then the funders
the collectivité names beyond them). The yellow cells are the rates asked: a rate typed there
gives ``amount = ROUNDDOWN(budget × rate)`` limited to the scheme's ceiling (the rule of
``financing.build_plan``); the action's aid total, self-financing, its share and the check
against the public-aid cap are formulas too. An amount that is not a rate times the budget (an
amount the collectivité states, or a share reduced to respect the cap) is written as a figure
and its rate is the formula. Sheet « Par financeur »: SUMIFS of the first sheet and a bar chart
of the funding sought against the budget of the actions concerned.
"""
from __future__ import annotations

import io
from decimal import Decimal

from aidenum.catalogue.files import atomic_write

from .synthesis import KIND_LABELS, HUNDRED, Synthesis, basis_of, line_funder

MAIN, FUNDERS = "Synthèse", "Par financeur"
HEADERS = ["Action", "Intitulé", "Budget HT", "Rang", "Dispositif", "Financeur", "Nature", "Taux publié",
           "Plafond du dispositif", "Date limite", "Taux observé", "Taux retenu", "Montant sollicité",
           "Base du montant", "Budget compté pour le financeur", "Aides de l'action", "Autofinancement",
           "Part de l'autofinancement", "Plafond des aides (taux)", "Plafond des aides (montant)",
           "Contrôle du plafond"]
COL = {name: chr(ord("A") + i) for i, name in enumerate(HEADERS)}
WIDTHS = [8, 40, 14, 6, 40, 30, 11, 16, 14, 12, 12, 11, 16, 60, 14, 16, 16, 12, 12, 16, 22]
FIRST = 5  # header on row 4: title, explanation and a blank row above it
MONEY = '#,##0.00\\ "€"'
PERCENT = "0.00\\ %"
INPUT_FILL = "FFF2CC"
HEADER_FILL = "D9E2F3"
# The basis column of a listed scheme that is not in the financing plan, by kind.
NOT_ASKED = {"grant": "autre dispositif accessible : indiquez un taux pour le solliciter",
             "loan": "prêt accessible : compté dans l'autofinancement s'il est souscrit",
             None: "aide en ingénierie, sans montant"}


def write_xlsx(synthesis: Synthesis, path) -> None:
    atomic_write(path, workbook_bytes(synthesis))


def workbook_bytes(synthesis: Synthesis) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    main = book.active
    main.title = MAIN
    last = _main_sheet(main, synthesis)
    _funders_sheet(book.create_sheet(FUNDERS), synthesis, last)
    book.properties.creator = book.properties.lastModifiedBy = synthesis.collectivite.nom
    book.properties.title = synthesis.title
    book.properties.language = "fr-FR"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _style_header(sheet, row: int, count: int) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    sheet.row_dimensions[row].height = 45  # three lines of wrapped header text
    for column in range(1, count + 1):
        cell = sheet.cell(row, column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _main_sheet(sheet, synthesis: Synthesis) -> int:
    """Fill the first sheet; return its last data row."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    sheet["A1"] = synthesis.title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = (f"Établie le {synthesis.today:%d/%m/%Y}. Taux retenus modifiables (cellules jaunes) : montants, "
                   f"totaux, autofinancement et contrôle du plafond se recalculent. Les propositions sont à "
                   f"confirmer ; une cellule vide est à compléter.")
    sheet.append([])
    sheet.append(HEADERS)
    _style_header(sheet, 4, len(HEADERS))
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    row = FIRST
    wrap = Alignment(wrap_text=True, vertical="top")
    for action_row in synthesis.rows:
        first = row
        entries = _entries(action_row)
        last = first + len(entries) - 1
        for offset, (option, line) in enumerate(entries):
            current = first + offset
            _scheme_cells(sheet, current, first, option, line, action_row)
            for column in "BEFN":
                sheet[f"{column}{current}"].alignment = wrap
        sheet[f"A{first}"] = action_row.action.id
        sheet[f"B{first}"] = action_row.action.titre
        if action_row.budget is not None:
            sheet[f"C{first}"] = float(action_row.budget)
        _action_cells(sheet, first, last, action_row)
        row = last + 1
    _totals(sheet, row, FIRST, row - 1)
    sheet.freeze_panes = "C5"
    sheet.auto_filter.ref = f"A4:{COL['Contrôle du plafond']}{row - 1}"
    sheet.page_setup.orientation, sheet.page_setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.sheet_properties.pageSetUpPr.fitToPage = 1, True
    sheet.page_setup.fitToHeight = 0
    for current in range(FIRST, row):
        for column in ("C", "I", "M", "O", "P", "Q", "T"):
            sheet[f"{column}{current}"].number_format = MONEY
        for column in ("K", "L", "R", "S"):
            sheet[f"{column}{current}"].number_format = PERCENT
        sheet[f"J{current}"].number_format = "DD/MM/YYYY"
        if sheet[f"G{current}"].value == KIND_LABELS["grant"]:
            sheet[f"L{current}"].fill = PatternFill("solid", fgColor=INPUT_FILL)
    return row - 1


def _entries(action_row):
    """(option, line) per row of the action's block: the listed schemes, then the stated extras."""
    entries = [(option, option.line) for option in action_row.options]
    entries += [(None, line) for line in action_row.extra]
    return entries or [(None, None)]


def _scheme_cells(sheet, current: int, first: int, option, line, action_row) -> None:
    budget = f"$C${first}"
    if option is None and line is None:
        sheet[f"E{current}"] = "aucun dispositif accessible à la collectivité pour cette action"
        return
    kind = line.kind if line is not None else option.kind
    sheet[f"G{current}"] = KIND_LABELS[kind]
    if option is not None:
        scheme = option.scheme
        sheet[f"D{current}"] = option.rank
        sheet[f"E{current}"] = f"{scheme.title} [{scheme.id}]"
        sheet[f"F{current}"] = option.funder
        sheet[f"H{current}"] = option.rate_range or "non publié"
        if option.ceiling is not None:
            sheet[f"I{current}"] = float(option.ceiling)
        sheet[f"J{current}"] = option.deadline if option.deadline else "sans date limite connue"
        if option.observed is not None and option.observed.rate is not None:
            sheet[f"K{current}"] = float(option.observed.rate / HUNDRED)
    else:
        sheet[f"E{current}"] = "indiqué par la collectivité"
        sheet[f"F{current}"] = line_funder(line, None)
    sheet[f"N{current}"] = basis_of(line) if line is not None else NOT_ASKED[kind]
    if kind != "grant":
        if line is not None and line.amount is not None:
            sheet[f"M{current}"] = float(line.amount)
        return
    rate_cell, amount_cell = f"L{current}", f"M{current}"
    fixed = line is not None and line.amount is not None and (
        line.capped or action_row.states_amount(line, option) or _not_a_product(line, action_row.budget))
    if fixed:
        sheet[amount_cell] = float(line.amount)
        sheet[rate_cell] = f'=IF(N({budget})>0,{amount_cell}/{budget},"")'
    else:
        if line is not None and line.applied_rate is not None:
            sheet[rate_cell] = float(line.applied_rate / HUNDRED)
        product = f"ROUNDDOWN(ROUND({budget}*{rate_cell},6),2)"
        # a rate the collectivité states is asked as is; a proposed or published one stops at the ceiling
        limited = product if line is not None and line.origin == "stated" else \
            f'IF(N(I{current})>0,MIN({product},I{current}),{product})'
        sheet[amount_cell] = f'=IF(OR({rate_cell}="",{budget}=""),"",{limited})'
    previous = f"F${first}:F{current - 1}", f"M${first}:M{current - 1}"
    counted = (f'COUNTIFS({previous[0]},F{current},{previous[1]},">0")=0' if current > first else "TRUE")
    # the budget of the action counts once per funder, however many of its schemes are asked
    sheet[f"O{current}"] = f'=IF(AND(N({amount_cell})>0,{counted}),N({budget}),"")'


def _not_a_product(line, budget) -> bool:
    """True when the amount is not budget × rate floored (a ceiling applied, no rate)."""
    if budget is None or line.applied_rate is None:
        return True
    from .financing import floor_cent
    return floor_cent(budget * line.applied_rate / HUNDRED) != line.amount


def _action_cells(sheet, first: int, last: int, action_row) -> None:
    budget = f"C{first}"
    sheet[f"P{first}"] = f'=SUMIFS(M{first}:M{last},G{first}:G{last},"{KIND_LABELS["grant"]}")'
    sheet[f"Q{first}"] = f'=IF({budget}="","",{budget}-P{first})'
    sheet[f"R{first}"] = f'=IF(N({budget})>0,Q{first}/{budget},"")'
    sheet[f"S{first}"] = float(action_row.financing.cap_rate / HUNDRED)
    sheet[f"T{first}"] = f'=IF({budget}="","",ROUNDDOWN(ROUND({budget}*S{first},6),2))'
    sheet[f"U{first}"] = (f'=IF({budget}="","budget à compléter",IF(P{first}>T{first},'
                          f'"dépasse le plafond des aides","respecté"))')


def _totals(sheet, row: int, first: int, last: int) -> None:
    from openpyxl.styles import Font
    sheet[f"A{row}"] = "Total du plan"
    for column in ("C", "P", "Q", "T"):
        sheet[f"{column}{row}"] = f"=SUM({column}{first}:{column}{last})"
    sheet[f"R{row}"] = f'=IF(N(C{row})>0,Q{row}/C{row},"")'
    for column in ("A", "C", "P", "Q", "R", "T"):
        sheet[f"{column}{row}"].font = Font(bold=True)
    for column in ("C", "P", "Q", "T"):
        sheet[f"{column}{row}"].number_format = MONEY
    sheet[f"R{row}"].number_format = PERCENT


def funder_names(synthesis: Synthesis) -> list[str]:
    """The funders of the second sheet: those asked (largest first), then those of the alternatives."""
    names = [total.funder for total in synthesis.funders]
    for row in synthesis.rows:
        for option in row.options:
            if option.kind == "grant" and option.funder not in names:
                names.append(option.funder)
    return names


def _funders_sheet(sheet, synthesis: Synthesis, last: int) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font
    sheet["A1"] = f"Aides sollicitées par financeur — {synthesis.collectivite.nom}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = ("Calculé à partir de la feuille « Synthèse » : un taux modifié là-bas met ces totaux et "
                   "le graphique à jour.")
    sheet.append([])
    sheet.append(["Financeur", "Montant sollicité", "Budget des actions concernées", "Part du budget concerné"])
    _style_header(sheet, 4, 4)
    main = f"'{MAIN}'!"
    rng = {c: f"{main}${c}${FIRST}:${c}${last}" for c in "FGMO"}
    row = FIRST
    for name in funder_names(synthesis):
        sheet[f"A{row}"] = name
        sheet[f"B{row}"] = f'=SUMIFS({rng["M"]},{rng["F"]},A{row},{rng["G"]},"{KIND_LABELS["grant"]}")'
        sheet[f"C{row}"] = f"=SUMIFS({rng['O']},{rng['F']},A{row})"
        sheet[f"D{row}"] = f'=IF(N(C{row})>0,B{row}/C{row},"")'
        row += 1
    end = row - 1
    totals = last + 1
    summary = [("Total des aides sollicitées", f"=SUM(B{FIRST}:B{max(end, FIRST)})"),
               ("Budget total du plan (HT)", f"={main}C{totals}"),
               ("Autofinancement", f"={main}Q{totals}"),
               ("Part des aides dans le budget", f'=IF(N(B{row + 2})>0,B{row + 1}/B{row + 2},"")')]
    for offset, (label, formula) in enumerate(summary, start=1):
        sheet[f"A{row + offset}"], sheet[f"B{row + offset}"] = label, formula
        sheet[f"A{row + offset}"].font = Font(bold=True)
    for current in range(FIRST, row + 4):
        sheet[f"B{current}"].number_format = MONEY
        sheet[f"C{current}"].number_format = MONEY
        sheet[f"D{current}"].number_format = PERCENT
    sheet[f"B{row + 4}"].number_format = PERCENT
    for column, width in zip("ABCD", (48, 18, 22, 14)):
        sheet.column_dimensions[column].width = width
    if end >= FIRST:
        chart = BarChart()
        chart.type, chart.grouping = "bar", "clustered"
        chart.title = "Aides sollicitées et budget des actions concernées, par financeur"
        chart.y_axis.title, chart.y_axis.number_format = "euros HT", '#,##0'
        chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=4, max_row=end), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=FIRST, max_row=end))
        chart.x_axis.scaling.orientation = "maxMin"  # the first (largest) funder on top, as in the table
        chart.height, chart.width = max(7.5, 1.0 * (end - FIRST + 1) + 3), 24
        sheet.add_chart(chart, f"A{row + 7}")  # below the table: both print on one landscape page
    sheet.page_setup.orientation, sheet.page_setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = sheet.page_setup.fitToHeight = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
