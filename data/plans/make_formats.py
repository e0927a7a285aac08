"""Write the example plan (YAML) as CSV, XLSX and DOCX, the way a project manager would.

    .venv/bin/python data/plans/make_formats.py [plan.yaml] [--out DIR]

The CSV is what Excel writes for « CSV UTF-8 (délimité par des points-virgules) », with the
collectivité in leading ``# clé : valeur`` lines; the XLSX has a banner row above the header and
a « Collectivité » sheet; the DOCX uses Heading 1 for axes, Heading 2 for actions and
« Budget : » / « Calendrier : » lines. The four files must read back as the same plan
(tests/test_plan_readers.py checks it).
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import yaml

from aidenum.catalogue.formatting import amount_fr, month_year_fr

HERE = Path(__file__).resolve().parent
HEADER = ["Identifiant", "Axe", "Intitulé", "Description", "Budget HT (€)", "Début", "Fin"]


def euros(value) -> str:
    return amount_fr(int(value), 0) if value is not None else ""


def month_words(value: str | None) -> str:
    return month_year_fr(value)


def rows(plan: dict) -> list[list[str]]:
    out = []
    for action in plan["actions"]:
        calendrier = action.get("calendrier") or {}
        out.append([action["id"], action.get("axe", ""), action["titre"], action.get("description", ""),
                    euros(action.get("budget_ht")), calendrier.get("debut", ""), calendrier.get("fin", "")])
    return out


def collectivite_lines(plan: dict) -> list[tuple[str, str]]:
    c = plan["collectivite"]
    pairs = [("Collectivité", c["nom"]), ("Type", c["type"]), ("Code", c.get("code")),
             ("Département", c.get("departement")), ("Région", c.get("region")),
             ("Population", c.get("population"))]
    return [(key, str(value)) for key, value in pairs if value not in (None, "")]


def write_csv(plan: dict, out: Path) -> Path:
    path = out / "plan-exemple.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        for key, value in collectivite_lines(plan):
            handle.write(f"# {key} : {value}\r\n")
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows(plan))
    return path


def write_xlsx(plan: dict, out: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Actions"
    sheet.append([f"Plan numérique territorial — {plan['collectivite']['nom']}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(HEADER)
    for row in rows(plan):
        action = next(a for a in plan["actions"] if a["id"] == row[0])
        row[4] = action.get("budget_ht")  # a real number cell, formatted as euros
        sheet.append(row)
        sheet.cell(sheet.max_row, 5).number_format = '#,##0 "€"'
    for column, width in zip("ABCDEFG", (10, 26, 50, 80, 14, 10, 10)):
        sheet.column_dimensions[column].width = width
    info = workbook.create_sheet("Collectivité")
    for key, value in collectivite_lines(plan):
        info.append([key, value])
    path = out / "plan-exemple.xlsx"
    workbook.save(path)
    return path


def write_docx(plan: dict, out: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(f"Plan numérique territorial 2027 — {plan['collectivite']['nom']}", level=0)
    for key, value in collectivite_lines(plan):
        document.add_paragraph(f"{key} : {value}")
    axes: list[str] = []
    for action in plan["actions"]:
        axe = action.get("axe", "")
        if axe not in axes:
            axes.append(axe)
            document.add_heading(f"Axe {len(axes)} – {axe}", level=1)
        document.add_heading(f"{action['id']} – {action['titre']}", level=2)
        document.add_paragraph(action.get("description", ""))
        if action.get("budget_ht") is not None:
            document.add_paragraph(f"Budget : {euros(action['budget_ht'])} HT")
        calendrier = action.get("calendrier") or {}
        if calendrier:
            document.add_paragraph(f"Calendrier : {month_words(calendrier.get('debut'))} – "
                                   f"{month_words(calendrier.get('fin'))}")
    path = out / "plan-exemple.docx"
    document.save(path)
    return path


def main(argv=None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", nargs="?", default=str(HERE / "plan-exemple.yaml"))
    parser.add_argument("--out", default=str(HERE))
    args = parser.parse_args(argv)
    plan = yaml.safe_load(Path(args.plan).read_text(encoding="utf-8"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_csv(plan, out), write_xlsx(plan, out), write_docx(plan, out)]
    for path in written:
        print(path)
    return written


if __name__ == "__main__":
    main()
