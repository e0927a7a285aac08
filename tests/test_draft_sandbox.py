"""User templates (--templates) travel between colleagues: they run in Jinja's sandbox."""
from __future__ import annotations

import shutil

import docx
import pytest

from aidenum.drafting.render import SHIPPED_TEMPLATES, DraftError, Templates, render_draft
from draft_helpers import example_plan, fact

ESCAPE = "{{ ''.__class__.__mro__[1].__subclasses__() }}"


@pytest.fixture
def mine(tmp_path):
    folder = tmp_path / "modeles"
    (folder / "blocks").mkdir(parents=True)
    shutil.copy(SHIPPED_TEMPLATES / "generique.docx", folder / "generique.docx")
    return folder


def test_a_block_cannot_reach_python_internals(mine, tmp_path):
    plan = example_plan()
    (mine / "blocks" / "deliberation.j2").write_text(ESCAPE + "\n", encoding="utf-8")
    with pytest.raises(DraftError, match="deliberation.j2 : opération interdite dans un modèle"):
        render_draft(plan, plan.action("A8"), [fact("facts:mednum01")], tmp_path / "g.docx", templates=Templates(mine), force=True)
    assert not (tmp_path / "g.docx").exists()


def test_a_word_template_cannot_reach_python_internals(mine, tmp_path):
    plan = example_plan()
    document = docx.Document(str(mine / "generique.docx"))
    document.add_paragraph(ESCAPE)
    document.save(str(mine / "generique.docx"))
    with pytest.raises(DraftError, match="generique.docx : opération interdite dans un modèle"):
        render_draft(plan, plan.action("A8"), [fact("facts:mednum01")], tmp_path / "g.docx", templates=Templates(mine), force=True)
    assert not (tmp_path / "g.docx").exists()
