"""One draft per family converted to PDF by LibreOffice headless; the PDF's text is checked."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from pypdf import PdfReader

from aidenum.drafting.render import render_draft
from draft_helpers import example_plan, fact, soffice, to_pdf

pytestmark = pytest.mark.skipif(soffice() is None, reason="LibreOffice absent (installé par « make test »)")


def pdf_text(path) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    return re.sub(r"\s+", " ", text)  # lines wrap anywhere; no-break spaces become spaces


def test_each_family_opens_in_libreoffice_with_the_right_content(tmp_path):
    plan = example_plan()
    drafts = {
        "dsil-detr": (plan.action("A1"), [fact("dsil:dsil-lot", rate_max=50.0)]),
        "feder": (plan.action("A1"), [fact("feder:feder-bzh-131", rate_max=40.0), fact("dsil:dsil-lot", rate_max=50.0)]),
        "bdt": (plan.action("A7"), [fact("bdt:bdt-long-term-loans")]),
        "generique": (plan.action("A8"), [fact("facts:pass-commerce-bzh-numerique")]),
    }
    files = []
    for family, (action, schemes) in drafts.items():
        result = render_draft(plan, action, schemes, tmp_path / f"{family}.docx", today=dt.date(2026, 11, 20))
        assert result.family == family
        files.append(result.path)
    pdfs = dict(zip(drafts, to_pdf(files, tmp_path, tmp_path / "lo-profile")))
    texts = {family: pdf_text(path) for family, path in pdfs.items()}
    for family, text in texts.items():
        assert "Loudéac Communauté - Bretagne Centre" in text, family
        assert "Éléments restant à compléter" in text and "à compléter : nom et qualité du signataire" in text
        assert "{{" not in text and "{%" not in text
    assert "Attestation de non-commencement" in texts["dsil-detr"] and "92 500,00 €" in texts["dsil-detr"]
    assert "Ce projet est cofinancé par le Fonds Européen de Développement Régional" in texts["feder"]
    assert "74 000,00 €" in texts["feder"] and "37 000,00 €" in texts["feder"]
    assert "Délibération autorisant l'emprunt" in texts["bdt"] and "420 000,00 €" in texts["bdt"]
    assert "7 500,00 €" in texts["generique"]
