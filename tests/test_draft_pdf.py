"""One draft per family converted to PDF by LibreOffice headless: the pages an instructor gets.

Checked on the PDF: A4 pages; every amount of the financing plan on one line (never
« 185 000,0|0 € »); no word of the financing table cut; no near-empty trailing page; the text
re-read (right content per family, no tag left); the document's author is the collectivité.
LibreOffice here has only DejaVu fonts, wider than the Arial the templates ask for: a layout
that holds here holds in Word.
"""
from __future__ import annotations

import datetime as dt
import re

import docx
import pytest
from pypdf import PdfReader

from aidenum.drafting.render import render_draft
from draft_helpers import example_plan, fact, local_dsil, open_generic, soffice, to_pdf

pytestmark = pytest.mark.skipif(soffice() is None, reason="LibreOffice absent (installé par « make test »)")

A4 = (595.3, 841.9)  # points
AMOUNT_RE = re.compile(r"\d{1,3}(?:[ \u00a0]\d{3})*,\d{2}[ \u00a0]€")
# a line ending inside an amount: digits then an optional group or decimal part, nothing after
BROKEN_END = re.compile(r"(?:\d[ \u00a0]?\d{0,3},\d{0,2}|\d{1,3}(?:[ \u00a0]\d{3})*,\d{2})[ \u00a0]?$")
MIN_LAST_PAGE_CHARS = 400  # the checklist, a signature block: never three lines alone on a page


def pdf_text(path) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    return re.sub(r"\s+", " ", text)  # lines wrap anywhere; no-break spaces become spaces


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("pdf")
    plan = example_plan()
    drafts = {
        "dsil-detr": (plan.action("A1"), [local_dsil(programmes=["DETR"])], {}),
        "feder": (plan.action("A1"), [fact("feder:feder-bzh-131", rate_max=40.0), local_dsil(rate_max=50.0)], {}),
        "bdt": (plan.action("A7"), [fact("bdt:bdt-long-term-loans")], {}),
        # as if still open: new posts are suspended since 14/05/2025 (shipped record, issue 12.3)
        "bdt-subvention": (plan.action("A5"), [fact("bdt:cnfs", deadline=None)], {}),
        "generique": (plan.action("A8"), [open_generic()], {}),
        "bdt-ingenierie": (plan.action("A3"), [fact("bdt:ingenierie-territoires")], {}),
        "france-services": (plan.action("A6"), [fact("france-services:national")], {}),
        "fipd": (plan.action("A12"), [fact("fipd:national")], {}),
        "detr": (plan.action("A1"), [fact("detr:22")], {}),
    }
    files, results = [], {}
    for name, (action, schemes, options) in drafts.items():
        result = render_draft(plan, action, schemes, tmp_path / f"{name}.docx", today=dt.date(2026, 11, 20), **options)
        files.append(result.path)
        results[name] = result
    return results, dict(zip(drafts, to_pdf(files, tmp_path, tmp_path / "lo-profile")))


def test_pages_are_a4_and_amounts_never_break(pdfs):
    results, files = pdfs
    for name, path in files.items():
        reader = PdfReader(str(path))
        for number, page in enumerate(reader.pages, 1):
            size = (float(page.mediabox.width), float(page.mediabox.height))
            assert abs(size[0] - A4[0]) < 2 and abs(size[1] - A4[1]) < 2, (name, number, size)
            for line in (page.extract_text() or "").splitlines():
                assert not BROKEN_END.search(line.strip()), f"{name} p. {number} : montant coupé « {line} »"
                assert not re.match(r"^\s*\d{0,2}[ \u00a0]?€", line) or AMOUNT_RE.search(line), (name, line)
        lines = "\n".join(page.extract_text() or "" for page in reader.pages).splitlines()
        financing = results[name].financing
        for amount in [financing.budget, financing.self_financing, *(g.amount for g in financing.grants)]:
            if amount is None:
                continue
            printed = f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " €"
            assert any(printed in line.replace("\u00a0", " ") for line in lines), (name, printed)
        last = reader.pages[-1].extract_text() or ""
        assert len(last) >= MIN_LAST_PAGE_CHARS, f"{name} : dernière page presque vide ({len(last)} caractères)"


# Level-2 headings of the shipped templates (level-1 ones are numbered: « 4. Plan de financement… »)
SUBHEADINGS = {"Contexte et besoin", "Description du projet", "Effets attendus", "Impact environnemental", "Calendrier",
               "Échéancier prévisionnel des dépenses", "Points de vigilance", "Objectifs", "Actions prévues",
               "Public visé", "Résultats attendus", "Catégories prioritaires DETR du département"}


def test_headings_and_table_introductions_keep_with_what_follows(pdfs):
    """The last line above a page's footer is never a heading, nor the sentence (« … : ») that
    introduces a table on the next page."""
    _, files = pdfs
    for name, path in files.items():
        pages = PdfReader(str(path)).pages
        for number, page in enumerate(pages[:-1], 1):
            lines = [re.sub(r"\s+", " ", line).strip() for line in (page.extract_text() or "").splitlines()]
            body = [line for line in lines if line and "projet de dossier" not in line]
            last = body[-1] if body else ""
            assert not re.match(r"^\d+\. \S", last) and last not in SUBHEADINGS, f"{name} p. {number} : titre « {last} » seul"
            assert not last.endswith(":"), f"{name} p. {number} : « {last} » séparé de ce qu'il introduit"


def test_table_words_are_whole(pdfs):
    """A word cut in a table cell leaves its head as a token of its own (« Subventio » then « n »
    on the next visual line, other cells' text in between): no such head may appear."""
    _, files = pdfs
    for name, path in files.items():
        text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
        tokens = set(re.findall(r"[\w']+", text))
        for word in ("Autofinancement", "Subvention", "investissement", "Financeur", "compléter", "proposé",
                     "Dispositif", "d'équipement"):
            heads = [word[:cut] for cut in range(4, len(word)) if word[:cut] in tokens]
            assert not heads, f"{name} : « {word} » coupé ({heads})"


def test_each_family_reads_back_with_its_content(pdfs):
    results, files = pdfs
    texts = {name: pdf_text(path) for name, path in files.items()}
    for name, text in texts.items():
        assert "Loudéac Communauté - Bretagne Centre" in text, name
        assert "Éléments restant à compléter" in text and "nom et qualité du signataire" in text
        assert "{{" not in text and "{%" not in text and "dossier dossier" not in text
        properties = docx.Document(str(results[name].path)).core_properties
        assert properties.author == "Loudéac Communauté - Bretagne Centre" and "python-docx" not in properties.comments
        assert properties.title.startswith(("Demande de subvention", "Demande de financement"))
    detr = texts["dsil-detr"]
    for piece in ("Formulaire national DETR / DSIL", "Nature du porteur de projet EPCI à fiscalité propre",
                  "200067460", "22 - Côtes-d'Armor", "Contractualisation", "Impact environnemental",
                  "Engagement n° 3 — Obligation de publication du plan de financement",
                  "Attestation de non-commencement", "Justificatifs des dépenses prévisionnelles",
                  "catégories 2025-2026 d'après le formulaire national"):
        assert piece in detr, piece
    # A1 (a portal) shares no specific word with a Côtes-d'Armor category: left to the user, list given
    assert "catégorie prioritaire DETR du département (aucune ne correspond aux mots de l'action)" in detr
    assert "Catégories prioritaires DETR du département" in detr and "Déchetteries" in detr
    feder = texts["feder"]
    assert "« Cofinancé par l'Union européenne »" in feder and "règlement (UE) 2021/1060" in feder
    assert "annexe IX" in feder and "DNSH" in feder and "non-récupération de la TVA" in feder
    assert "74 000,00 €" in feder and "37 000,00 €" in feder
    assert "Délibération autorisant l'emprunt" in texts["bdt"] and "420 000,00 €" in texts["bdt"]
    assert "emprunt" not in texts["bdt-subvention"].split("Plan de financement prévisionnel")[-1].lower() \
        .replace("fonds propres et emprunt", "")
    assert "Modèle de délibération" in texts["bdt-subvention"]
    assert "7 500,00 €" in texts["generique"]
