"""The web « Synthèse » page and its downloads: drafting/synthesis.py behind a thin view."""
from __future__ import annotations

import html
import io
import re

import docx
import openpyxl
from click.testing import CliRunner

from web_helpers import EXAMPLE_PLAN, app, catalogue_home, client, upload_example, web_home  # noqa: F401

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_page_shows_the_synthesis_table_and_downloads(client):
    plan_id = upload_example(client)
    response = client.get(f"/plans/{plan_id}/synthese")
    assert response.status_code == 200
    text = page_text(response)
    assert "Plan de financement par action" in text and "Totaux par financeur" in text
    assert all(f"A{n} — " in text for n in range(1, 13))
    assert f"/plans/{plan_id}/synthese.xlsx" in text and f"/plans/{plan_id}/synthese.docx" in text
    assert "arrivent avec" not in text  # the old « not yet available » note is gone
    assert "<svg" in text and 'role="img"' in text


def test_downloads_reopen(client):
    plan_id = upload_example(client)
    sheet = client.get(f"/plans/{plan_id}/synthese.xlsx")
    assert sheet.status_code == 200 and sheet.mimetype == XLSX
    assert "attachment" in sheet.headers["Content-Disposition"] and ".xlsx" in sheet.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(sheet.data))
    ids = [c.value for c in book["Synthèse"]["A"] if isinstance(c.value, str) and re.fullmatch(r"A\d+", c.value)]
    assert ids == [f"A{n}" for n in range(1, 13)]
    assert str(book["Synthèse"]["P5"].value).startswith("=SUMIFS(")
    word = client.get(f"/plans/{plan_id}/synthese.docx")
    assert word.status_code == 200 and word.mimetype == DOCX
    document = docx.Document(io.BytesIO(word.data))
    assert document.core_properties.author == "Loudéac Communauté - Bretagne Centre"
    assert round(document.sections[0].page_width.cm, 1) == 29.7


def test_page_and_command_say_the_same(client, web_home, tmp_path, monkeypatch):
    from aidenum.cli import cli
    plan_id = upload_example(client)
    text = page_text(client.get(f"/plans/{plan_id}/synthese"))
    monkeypatch.setenv("AIDENUM_HOME", str(web_home))
    out = tmp_path / "synthese.html"
    result = CliRunner().invoke(cli, ["synthese", str(EXAMPLE_PLAN), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    command = html.unescape(out.read_text(encoding="utf-8"))
    totals = re.search(r"Aides sollicitées chiffrées : [^<]+", command).group(0)
    assert totals in text
    assert re.search(r"Autofinancement : [^<]+", command).group(0) in text


def test_unknown_plan_is_a_french_404(client):
    for path in ("/plans/999/synthese", "/plans/999/synthese.xlsx", "/plans/999/synthese.docx"):
        response = client.get(path)
        assert response.status_code == 404 and "Ce plan n'existe pas" in page_text(response)
    assert client.get("/plans/1/synthese.pdf").status_code == 404
