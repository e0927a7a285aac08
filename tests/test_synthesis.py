"""The plan synthesis (issue 13.6): computation, the three formats re-opened, the command's errors,
and the workbook recalculated by LibreOffice after a rate is changed."""
from __future__ import annotations

import dataclasses
import errno
import html.parser
import re
import subprocess
from decimal import Decimal

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from aidenum.cli import cli
from aidenum.drafting.financing import FinancingError, Proposal
from aidenum.drafting.synthesis import build_synthesis, funder_label, origin_label
from aidenum.drafting.synthesis_docx import build_document, write_docx
from aidenum.drafting.synthesis_html import render_html
from aidenum.drafting.synthesis_xlsx import workbook_bytes, write_xlsx
from aidenum.matcher.engine import Match
from draft_helpers import EXAMPLE_PLAN, example_plan, fact, soffice, store

BUDGET_TOTAL = Decimal(2270000)  # the twelve budgets of the example plan


def detr(**changes):
    return fact("detr:22", rate_max=40.0, **changes)  # the real DETR 22 record publishes 20 to 80 %


def matches(*schemes):
    return [Match(rank, scheme, 1.0) for rank, scheme in enumerate(schemes, start=1)]


class FixedProposer:
    """Stands for proposals.RateProposer: the same observed rate for every scheme asked."""

    def __init__(self, rate):
        self.rate = Decimal(rate)

    def for_schemes(self, plan, action, schemes):
        return {s.id: Proposal(self.rate, f"proposition : {self.rate} %, taux médian de 12 projets comparables "
                                          f"— à confirmer") for s in schemes}


def synthesis_of(plan=None, found=None, **options):
    plan = plan or example_plan()
    found = found if found is not None else {"A1": matches(detr(), fact("dsil:53")), "A2": matches(fact("dsil:53"))}
    return build_synthesis(plan, found, **options)


def with_financement(plan, action_id, *lines):
    action = plan.action(action_id)
    action.financement = list(lines)
    return plan


# -- computation ----------------------------------------------------------------------------------

def test_totals_per_action_per_funder_and_for_the_plan():
    result = synthesis_of()
    a1, a2 = result.rows[0], result.rows[1]
    assert [o.scheme.id for o in a1.options] == ["detr:22", "dsil:53"]
    # the best grant is asked (40 % published); the DSIL is listed as an alternative, without amount
    assert [(g.scheme_id, g.amount) for g in a1.financing.grants] == [("detr:22", Decimal("74000.00"))]
    assert a1.options[1].line is None
    assert a2.financing.grants[0].amount is None and a2.pending == 1  # no rate anywhere: « à compléter »
    assert result.budget_total == BUDGET_TOTAL
    assert result.aid_total == Decimal("74000.00")
    assert result.self_financing_total == BUDGET_TOTAL - Decimal("74000.00")
    assert result.pending == 1
    by_funder = {t.funder: t for t in result.funders}
    detr_total = by_funder[funder_label(detr())]
    assert (detr_total.sought, detr_total.budget, detr_total.actions) == (Decimal("74000.00"), Decimal(185000), ["A1"])
    dsil_total = by_funder[funder_label(fact("dsil:53"))]
    assert (dsil_total.sought, dsil_total.pending, dsil_total.actions) == (Decimal(0), 1, ["A2"])
    assert all(row.financing.grants == [] for row in result.rows[2:])  # no match, nothing asked


def test_public_aid_cap_80_and_70_percent():
    plan = with_financement(example_plan(), "A1", {"financeur": "DETR", "taux": 60}, {"financeur": "DSIL", "taux": 40})
    result = synthesis_of(plan)
    a1 = result.rows[0]
    assert {g.scheme_id for g in a1.financing.grants} == {"detr:22", "dsil:53"}
    assert a1.aid_total == Decimal("148000.00")  # 100 % asked, 80 % of 185 000 kept
    assert a1.financing.self_financing == Decimal("37000.00")
    assert any("plafond" in w for w in a1.financing.warnings)
    chef = synthesis_of(with_financement(example_plan(), "A1", {"financeur": "DETR", "taux": 60},
                                         {"financeur": "DSIL", "taux": 40}), chef_de_file=True)
    assert chef.rows[0].aid_total == Decimal("129500.00")


def test_what_the_collectivite_states_wins_over_a_proposal():
    proposed = synthesis_of(proposer=FixedProposer(30))
    line = proposed.rows[0].financing.grants[0]
    assert line.amount == Decimal("55500.00") and origin_label(line) == "proposition à confirmer"
    assert "à confirmer" in line.notes[0]
    by_option = synthesis_of(proposer=FixedProposer(30), rates=("DETR=35",))
    assert by_option.rows[0].financing.grants[0].amount == Decimal("64750.00")
    in_plan = synthesis_of(with_financement(example_plan(), "A1", {"financeur": "DETR", "montant": 36000}),
                           proposer=FixedProposer(30))
    grant = in_plan.rows[0].financing.grants[0]
    assert grant.amount == Decimal("36000.00") and grant.origin == "stated"
    # the option applies where DETR is listed (A1) and nowhere else: A2 lists only the DSIL
    assert by_option.rows[1].financing.grants[0].scheme_id == "dsil:53"


def test_a_stated_funder_outside_the_listed_schemes_gets_its_own_line():
    plan = with_financement(example_plan(), "A3", {"financeur": "Région Bretagne", "montant": 10000})
    result = synthesis_of(plan)
    a3 = result.rows[2]
    assert [(line.funder, line.amount) for line in a3.extra] == [("Région Bretagne", Decimal("10000.00"))]
    assert "Région Bretagne" in {t.funder for t in result.funders}


def test_an_option_naming_no_listed_funder_is_refused_in_french():
    with pytest.raises(FinancingError, match="ne figure parmi les dispositifs accessibles"):
        synthesis_of(rates=("FEDER=40",))
    with pytest.raises(FinancingError, match="FINANCEUR=VALEUR"):
        synthesis_of(rates=("DETR",))


def test_engineering_and_loans_are_not_aid():
    loan = fact("bdt:bdt-long-term-loans")
    engineering = dataclasses.replace(fact("dsil:53"), id="test:ingenierie", aid_types=["technical-engineering"])
    result = synthesis_of(found={"A1": matches(engineering, loan)})
    a1 = result.rows[0]
    assert a1.financing.grants == [] and [line.scheme_id for line in a1.financing.loans] == [loan.id]
    assert a1.aid_total == 0 and result.funders == []


def test_a_dispositif_is_listed_once_and_top_counts_distinct_schemes():
    copy = dataclasses.replace(fact("dsil:53"), id="dsil:copie-at", title="Financer des projets - DSIL")
    result = synthesis_of(found={"A1": matches(fact("dsil:53"), copy, detr(), fact("feder:feder-bzh-131"))}, top=2)
    assert [o.scheme.id for o in result.rows[0].options] == ["dsil:53", "detr:22"]
    assert [o.rank for o in result.rows[0].options] == [1, 2]


def test_an_action_without_budget_is_left_to_complete(tmp_path):
    plan = example_plan()
    plan.action("A1").budget_ht = None
    result = synthesis_of(plan)
    a1 = result.rows[0]
    assert a1.budget is None and a1.financing.grants[0].amount is None and result.missing_budgets == ["A1"]
    assert result.budget_total == BUDGET_TOTAL - 185000 and result.aid_total == 0
    write_xlsx(result, tmp_path / "s.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "s.xlsx")["Synthèse"]
    assert sheet["C5"].value is None and "budget à compléter" in sheet["U5"].value
    cells = [c.text for t in build_document(result).tables for r in t.rows for c in r.cells]
    header = len(build_document(result).tables[0].columns)
    assert cells[header + 1] == "à compléter"  # A1's budget cell: second row, second column


# -- formats --------------------------------------------------------------------------------------

class _Html(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_each_format_reopens(tmp_path):
    plan = example_plan()
    plan.action("A1").titre = "Guichet <script>alert(1)</script> & démarches"
    result = synthesis_of(plan)
    write_docx(result, tmp_path / "s.docx")
    document = docx.Document(str(tmp_path / "s.docx"))
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 29.7 and round(section.page_height.cm, 1) == 21.0
    assert round(section.left_margin.cm, 1) == 2.5 and round(section.right_margin.cm, 1) == 2.0
    assert document.core_properties.author == plan.collectivite.nom
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert any("74\u00a0000,00\u00a0€" in c for c in cells) and any("à compléter" in c for c in cells)
    assert len(document.tables) == 2

    write_xlsx(result, tmp_path / "s.xlsx")
    book = openpyxl.load_workbook(tmp_path / "s.xlsx")
    sheet = book["Synthèse"]
    assert book.properties.creator == plan.collectivite.nom
    assert sheet["L5"].value == pytest.approx(0.40) and sheet["M5"].value.startswith("=IF(")
    assert sheet["P5"].value.startswith("=SUMIFS(") and sheet["U5"].value.startswith("=IF(")
    assert len(book["Par financeur"]._charts) == 1

    page = render_html(result)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; démarches" in page
    parser = _Html()
    parser.feed(page)
    names = [tag for tag, _ in parser.tags]
    assert names.count("caption") == 2 and "svg" in names
    assert sum(1 for tag, attrs in parser.tags if tag == "th" and attrs.get("scope") == "col") == 12
    assert any(tag == "svg" and attrs.get("role") == "img" for tag, attrs in parser.tags)
    assert "74\u00a0000,00\u00a0€" in "".join(parser.text)


def _recalculated(path, tmp_path):
    """The workbook after LibreOffice Calc has opened and recalculated it (values only)."""
    if soffice() is None:
        pytest.skip("LibreOffice absent (installé par « make system-deps »)")
    out = tmp_path / "recalcule"
    subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)], capture_output=True, timeout=240)
    if not (out / path.name).is_file():
        pytest.skip("LibreOffice Calc absent (paquet libreoffice-calc-nogui, « make system-deps »)")
    return openpyxl.load_workbook(out / path.name, data_only=True)


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_workbook_recalculates_in_libreoffice_after_a_rate_change(tmp_path):
    found = {"A1": matches(detr(), fact("dsil:53")), "A2": matches(fact("dsil:53"), detr())}
    result = synthesis_of(found=found, proposer=FixedProposer(30))
    path = tmp_path / "synthese.xlsx"
    path.write_bytes(workbook_bytes(result))
    book = openpyxl.load_workbook(path)
    sheet = book["Synthèse"]
    # rows 5-6: A1 (DETR, DSIL); rows 7-8: A2 (DSIL, DETR)
    assert [sheet[f"E{r}"].value.rsplit("[", 1)[1] for r in range(5, 9)] == ["detr:22]", "dsil:53]", "dsil:53]", "detr:22]"]
    sheet["L5"] = 0.35   # A1: DETR asked at 35 % instead of the proposed 30 %
    sheet["L8"] = 0.25   # A2: the DETR alternative asked too
    book.save(path)
    values = _recalculated(path, tmp_path)
    main, funders = values["Synthèse"], values["Par financeur"]
    expected = synthesis_of(found=found, proposer=FixedProposer(30),
                            plan=with_financement(with_financement(example_plan(), "A1", {"financeur": "DETR", "taux": 35}),
                                                  "A2", {"financeur": "DETR", "taux": 25}, {"financeur": "DSIL", "taux": 30}))
    total_row = next(r for r in range(5, main.max_row + 1) if main[f"A{r}"].value == "Total du plan")
    assert _money(main["M5"].value) == Decimal("64750.00") and _money(main["M8"].value) == Decimal("24000.00")
    assert _money(main[f"P{total_row}"].value) == expected.aid_total == Decimal("64750.00") + Decimal("24000.00") \
        + Decimal("28800.00")
    assert _money(main[f"Q{total_row}"].value) == expected.self_financing_total
    assert _money(main[f"C{total_row}"].value) == BUDGET_TOTAL
    assert main["U5"].value == "respecté"
    sought = {funders[f"A{r}"].value: funders[f"B{r}"].value for r in range(5, 5 + len(expected.funders))}
    for total in expected.funders:
        assert _money(sought[total.funder]) == total.sought, total.funder
    budgets = {funders[f"A{r}"].value: funders[f"C{r}"].value for r in range(5, 5 + len(expected.funders))}
    assert _money(budgets[funder_label(detr())]) == Decimal(185000 + 96000)


def test_workbook_cap_check_turns_when_rates_exceed_it(tmp_path):
    result = synthesis_of(proposer=FixedProposer(30))
    path = tmp_path / "synthese.xlsx"
    path.write_bytes(workbook_bytes(result))
    book = openpyxl.load_workbook(path)
    book["Synthèse"]["L5"], book["Synthèse"]["L6"] = 0.5, 0.4   # A1: DETR 50 % + DSIL 40 % = 90 %
    book.save(path)
    main = _recalculated(path, tmp_path)["Synthèse"]
    assert main["U5"].value == "dépasse le plafond des aides"
    assert _money(main["P5"].value) == Decimal("166500.00") and _money(main["T5"].value) == Decimal("148000.00")


def test_docx_pages_are_a4_landscape_and_amounts_whole(tmp_path):
    from pypdf import PdfReader
    if soffice() is None:
        pytest.skip("LibreOffice absent (installé par « make system-deps »)")
    result = synthesis_of(proposer=FixedProposer(30))
    write_docx(result, tmp_path / "synthese.docx")
    subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "synthese.docx")],
                   check=True, capture_output=True, timeout=240)
    reader = PdfReader(str(tmp_path / "synthese.pdf"))
    broken = re.compile(r"(?:\d[ \u00a0]?\d{0,3},\d{0,2}|\d{1,3}(?:[ \u00a0]\d{3})*,\d{2})[ \u00a0]?$")
    for number, page in enumerate(reader.pages, 1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595), number
        for line in (page.extract_text() or "").splitlines():
            assert not broken.search(line.strip()), f"p. {number} : montant coupé « {line} »"
            assert not re.match(r"^\s*€", line), f"p. {number} : « € » seul « {line} »"
            for word in ("Autofinancement", "Financement", "compléter"):
                for cut in range(3, len(word) - 2):
                    assert not line.strip().endswith(" " + word[:cut]), f"p. {number} : « {line} »"
    text = " ".join(page.extract_text() or "" for page in reader.pages).replace("\u00a0", " ")
    assert "55 500,00 €" in text and "Totaux par financeur" in text


def test_document_author_is_the_collectivite_not_python_docx():
    document = build_document(synthesis_of())
    assert document.core_properties.author == "Loudéac Communauté - Bretagne Centre"
    assert document.core_properties.last_modified_by == "Loudéac Communauté - Bretagne Centre"


# -- command --------------------------------------------------------------------------------------

@pytest.fixture
def catalogue():
    store([detr(), fact("dsil:53"), fact("feder:feder-bzh-131"), ain_detr()])


def ain_detr():
    """The DETR record moved to the Ain: Loudéac Communauté (Côtes-d'Armor) may not use it."""
    return detr(id="detr:01", perimeter="DEP:01", perimeter_label="Ain",
                title="DETR Ain — Dotation d'équipement des territoires ruraux (DETR)")


def run(*args):
    return CliRunner().invoke(cli, ["synthese", *map(str, args)], catch_exceptions=False)


def test_help_teaches_in_french():
    result = run("--help")
    assert result.exit_code == 0
    assert "Synthèse du financement" in result.output and "--taux" in result.output
    assert "Afficher cette aide" in result.output and "Show this message" not in result.output


def test_writes_every_format_and_never_lists_an_ineligible_scheme(catalogue, tmp_path):
    from aidenum.matcher.engine import Matcher
    outputs = [tmp_path / "s.xlsx", tmp_path / "s.docx", tmp_path / "s.html"]
    result = run(EXAMPLE_PLAN, *[arg for path in outputs for arg in ("-o", path)])
    assert result.exit_code == 0, result.output
    assert result.output.count("Synthèse écrite") == 3
    plan = example_plan()
    excluded = {e.scheme.id for a in plan.actions for e in Matcher().exclusions(plan.collectivite, a)}
    assert "detr:01" in excluded  # the matcher finds it, its filters set it aside
    page = outputs[2].read_text(encoding="utf-8")
    assert "DETR Côtes-d" in page and "DETR Ain" not in page
    book = openpyxl.load_workbook(outputs[0])
    cells = [str(c.value) for row in book["Synthèse"].iter_rows() for c in row]
    assert any("[detr:22]" in c for c in cells) and not any("detr:01" in c or "DETR Ain" in c for c in cells)
    words = " ".join(c.text for t in docx.Document(str(outputs[1])).tables for r in t.rows for c in r.cells)
    assert "DETR Côtes-d" in words and "DETR Ain" not in words


def test_format_option_and_default_name(catalogue, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(EXAMPLE_PLAN).exit_code == 0 and (tmp_path / "synthese.xlsx").is_file()
    assert run(EXAMPLE_PLAN, "--format", "html", "-o", "rapport").exit_code == 0
    assert (tmp_path / "rapport.html").is_file()
    again = run(EXAMPLE_PLAN)
    assert again.exit_code == 1 and "existe déjà" in again.stderr and "--ecraser" in again.stderr
    assert run(EXAMPLE_PLAN, "--ecraser").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["-o", "synthese.pdf"], "extension « .pdf » non prise en charge"),
    (["-o", "absent/synthese.xlsx"], "le dossier « absent » n'existe pas"),
    (["-o", "s.docx", "--format", "xlsx"], "l'extension dit Word, --format dit Excel"),
    (["-o", "sans-extension"], "indiquez l'extension"),
    (["--taux", "DETR=beaucoup"], "invalide"),
    (["--taux", "Région=20"], "ne figure parmi les dispositifs accessibles"),
])
def test_bad_input_is_refused_in_french(catalogue, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(EXAMPLE_PLAN, *args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert not list(tmp_path.glob("*.xlsx"))


def test_unwritable_file_says_why_and_keeps_the_other_formats(catalogue, tmp_path, monkeypatch):
    import aidenum.drafting.synthesis_xlsx as xlsx_module

    def full_disk(path, data, **_):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(xlsx_module, "atomic_write", full_disk)
    result = run(EXAMPLE_PLAN, "-o", tmp_path / "s.xlsx", "-o", tmp_path / "s.html")
    assert result.exit_code == 1
    assert "impossible d'écrire" in result.stderr and "disque plein" in result.stderr
    assert (tmp_path / "s.html").is_file() and not (tmp_path / "s.xlsx").exists()


def test_empty_catalogue_is_a_french_error(tmp_path):
    result = run(EXAMPLE_PLAN, "-o", tmp_path / "s.xlsx")
    assert result.exit_code == 1 and "vide" in result.stderr and "catalogue import" in result.stderr
