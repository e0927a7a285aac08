"""Rendering the application file: each family, markers, escaping, user templates, checks."""
from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import zipfile

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX

from aidenum.drafting.check import DraftCheckError, check_docx, docx_text
from aidenum.drafting.family import family_of
from aidenum.drafting.render import SHIPPED_TEMPLATES, DraftError, Templates, render_draft, safe_filename
from draft_helpers import all_facts, example_plan, fact, local_dsil, open_generic

TODAY = dt.date(2026, 11, 20)
NB = "\u00a0"


@pytest.fixture(scope="module")
def plan():
    return example_plan()


def draft(plan, action, schemes, path, **options):
    return render_draft(plan, action, schemes, path, today=TODAY, **options)


def text_of(path):
    return check_docx(path).replace(NB, " ")


def test_families_of_the_real_scheme_records():
    families = {s.id: family_of(s) for s in all_facts()}
    assert families["dsil:dsil-lot"] == families["dsil:detr-dsil-51-2025"] == "dsil-detr"
    assert families["feder:feder-bzh-131"] == families["feder:feder-alsace-apps"] == "feder"
    assert families["bdt:bdt-long-term-loans"] == families["bdt:cnfs"] == "bdt"
    assert families["facts:pass-commerce-bzh-numerique"] == "generique"
    named = fact("facts:mednum01", title="Financer des projets d'investissement - DSIL")
    assert family_of(named) == "dsil-detr"
    programme = fact("facts:mednum01", programmes=["Programme Bretagne FEDER-FSE+ 2021-2027"])
    assert family_of(programme) == "feder"


def test_dsil_detr_draft(plan, tmp_path):
    dsil = local_dsil(rate_max=50.0)  # DSIL has no national rate: a préfecture's rate for the test
    result = draft(plan, plan.action("A1"), [dsil], tmp_path / "dsil.docx")
    text = text_of(result.path)
    assert result.family == "dsil-detr"
    for title in ("Formulaire national DETR / DSIL : réponses préparées", "Lettre de demande", "Note explicative",
                  "Plan de financement prévisionnel et échéancier", "Modèle de délibération",
                  "Attestation de non-commencement (article R2334-24 du CGCT)", "Engagements du porteur de projet",
                  "Pièces justificatives demandées par le formulaire", "Éléments restant à compléter"):
        assert title in text
    assert "Loudéac Communauté - Bretagne Centre" in text and "Côtes-d'Armor (22)" in text
    assert "92 500,00 €" in text and "50,00 %" in text  # 50 % of 185 000 €
    assert "185 000,00 €" in text and "1er trimestre 2027 (2 mois)" in text
    assert "Le conseil communautaire de Loudéac Communauté" in text
    assert "« à compléter : arrondissement (choix du formulaire : Dinan, Guingamp, Lannion, Saint-Brieuc) »" in text
    assert "aucun devis n'a été signé" in text
    # the list at the end names what only the user knows, and only what this template uses
    assert any(m.startswith("arrondissement (choix du formulaire : Dinan") for m in result.missing)
    tail = text.split("Éléments restant à compléter")[-1]
    for label in ("nom et qualité du signataire (maire ou président)", "date de la délibération du conseil",
                  "rang de priorité parmi les demandes de l'année", "nombre de votes pour"):
        assert f"☐ {label}" in tail
    assert "DNSH" not in tail and "emprunt" not in tail


def test_feder_draft_with_a_cofunder_over_the_cap(plan, tmp_path):
    feder = fact("feder:feder-bzh-131", rate_max=40.0)  # 40 %: Megalis' rate in the Bretagne programmation
    dsil = local_dsil(rate_max=50.0)
    result = draft(plan, plan.action("A1"), [feder, dsil], tmp_path / "feder.docx")
    text = text_of(result.path)
    assert result.family == "feder"
    assert "« Cofinancé par l'Union européenne »" in text and "règlement (UE) 2021/1060" in text
    assert "article 47" in text and "annexe IX" in text and "2014-2020" not in text
    for title in ("Description de l'opération", "Indicateurs de réalisation et de résultat",
                  "Recettes nettes générées", "« ne pas causer de préjudice important » (DNSH)",
                  "Engagement de publicité", "Attestation de non-récupération de la TVA"):
        assert title in text
    # 40 % + 50 % of 185 000 € is over 80 %: the DSIL share (last) is cut to 74 000 €
    assert text.count("74 000,00 €") >= 2 and "37 000,00 €" in text and "20,00 %" in text
    assert "Points de vigilance" in text and "dépassent le plafond" in text
    assert any("dépassent le plafond" in w for w in result.warnings)
    assert "justification DNSH : biodiversité" in result.missing


def test_bdt_draft_with_a_loan(plan, tmp_path):
    loan = fact("bdt:bdt-long-term-loans")
    result = draft(plan, plan.action("A7"), [loan], tmp_path / "bdt.docx")
    text = text_of(result.path)
    assert result.family == "bdt"
    assert "Délibération autorisant l'emprunt" in text and "Caisse des dépôts et consignations" in text
    assert "dont emprunt : Banque des Territoires" in text
    assert "420 000,00 €" in text and "100,00 %" in text  # no grant: all self-financed, loan inside
    assert any(m.startswith("montant de l'emprunt sollicité auprès de la Banque des Territoires") for m in result.missing)
    assert "durée du prêt" in result.missing


def test_generic_draft_with_published_rate_and_ceiling(plan, tmp_path):
    scheme = open_generic()  # real: 50 %, at most 7 500 €
    result = draft(plan, plan.action("A8"), [scheme], tmp_path / "generique.docx")
    text = text_of(result.path)
    assert result.family == "generique"
    assert "7 500,00 €" in text and "limité au montant maximal du dispositif" in text
    assert "Modèle de délibération" in text and "Lettre de demande" in text


def test_markers_are_highlighted_and_values_are_not(plan, tmp_path):
    result = draft(plan, plan.action("A1"), [local_dsil()], tmp_path / "d.docx")
    document = docx.Document(str(result.path))
    runs = [run for p in _paragraphs(document) for run in p.runs]
    markers = [run for run in runs if run.text.startswith("«\u00a0à")]
    assert not [run for run in runs if run.text.startswith("« à")]
    assert markers and all(run.font.highlight_color == WD_COLOR_INDEX.YELLOW and run.bold for run in markers)
    # no marker left inside a longer run (several markers per paragraph, after line breaks…)
    assert all(run.text.startswith("«\u00a0à compléter\u00a0:") and run.text.endswith("\u00a0»")
               for run in runs if "«\u00a0à compléter\u00a0:" in run.text)
    plain = [run for run in runs if "Loudéac Communauté" in run.text]
    assert plain and all(run.font.highlight_color is None for run in plain)
    # the missing rate leaves the amount to complete, in the table and in the list
    assert any("aucun taux publié" in m for m in result.missing)


def _paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


@pytest.mark.parametrize("scheme_id", ["dsil:dsil-lot", "feder:feder-bzh-131", "bdt:bdt-long-term-loans",
                                       "facts:pass-commerce-bzh-numerique"])
def test_special_characters_long_and_empty_texts_come_out_intact(plan, tmp_path, scheme_id):
    tricky = "Wi-Fi & <fibre> \"THD\" l'école — {{ pas une balise }} {% non %} à Saint-Brieuc"
    long_text = " ".join(f"phrase {i} : déploiement & <suivi> \"n°{i}\"." for i in range(3000))
    action = dataclasses.replace(plan.action("A1"), titre=tricky, description=long_text + "\n\nSecond paragraphe.\x0b")
    collectivite = dataclasses.replace(plan.collectivite, nom="Commune d'Œuvres & <Fils>")
    other = dataclasses.replace(plan, collectivite=collectivite)
    scheme = fact(scheme_id, title=f"{fact(scheme_id).title} <& 'spécial'>")
    result = draft(other, action, [scheme], tmp_path / "x.docx", force=True)
    text = check_docx(result.path).replace("\u200b", "")
    assert tricky in text
    assert long_text in text and "Second paragraphe." in text and "\x0b" not in text
    assert "Commune d'Œuvres & <Fils>" in text and "<& 'spécial'>" in text
    empty = dataclasses.replace(plan.action("A2"), description="")
    result = draft(plan, empty, [scheme], tmp_path / "empty.docx", force=True)
    assert "«\u00a0à compléter\u00a0: description détaillée de l'opération\u00a0»" in check_docx(result.path)


def test_budget_and_calendar_missing(plan, tmp_path):
    action = dataclasses.replace(plan.action("A1"), budget_ht=None, debut=None, fin=None)
    result = draft(plan, action, [local_dsil(rate_max=50.0)], tmp_path / "b.docx")
    text = check_docx(result.path)
    assert "coût total HT de l'opération (budget absent du plan)" in result.missing
    assert "«\u00a0à compléter\u00a0: échéancier des dépenses (dates de début et de fin absentes du plan)\u00a0»" in text
    assert "€" not in text.split("Plan de financement prévisionnel de l'opération")[1].split("Échéancier prévisionnel")[0]


def test_refuses_to_overwrite_and_leaves_no_temporary_file(plan, tmp_path):
    tmp_path = tmp_path / "sortie"
    tmp_path.mkdir()
    out = tmp_path / "d.docx"
    out.write_bytes(b"travail de la chargee de mission")
    with pytest.raises(DraftError, match="existe déjà"):
        draft(plan, plan.action("A1"), [local_dsil()], out)
    assert out.read_bytes() == b"travail de la chargee de mission"
    draft(plan, plan.action("A1"), [local_dsil()], out, overwrite=True)
    check_docx(out)
    assert [p.name for p in tmp_path.iterdir()] == ["d.docx"]


def test_user_templates_take_precedence(plan, tmp_path):
    mine = tmp_path / "modeles"
    (mine / "blocks").mkdir(parents=True)
    shutil.copy(SHIPPED_TEMPLATES / "generique.docx", mine / "generique.docx")
    document = docx.Document(str(mine / "generique.docx"))
    document.add_paragraph("Texte ajouté par la chargée de mission pour {{ collectivite }}.")
    document.save(str(mine / "generique.docx"))
    (mine / "blocks" / "lettre_demande.j2").write_text(
        "Madame la Présidente,\n\nNotre lettre à nous pour « {{ projet }} » ({{ a_completer(\"référence du courrier\") }}).\n",
        encoding="utf-8")
    result = draft(plan, plan.action("A8"), [open_generic()], tmp_path / "g.docx",
                   templates=Templates(mine))
    text = check_docx(result.path)
    assert result.template == mine / "generique.docx"
    assert "Texte ajouté par la chargée de mission pour Loudéac Communauté - Bretagne Centre." in text
    assert "Notre lettre à nous pour «\u00a0Accompagner" in text and "référence du courrier" in result.missing
    assert "Modèle de délibération" in text  # other blocks still come from the shipped ones


def test_broken_user_templates_give_french_errors(plan, tmp_path):
    mine = tmp_path / "modeles"
    (mine / "blocks").mkdir(parents=True)
    shutil.copy(SHIPPED_TEMPLATES / "generique.docx", mine / "generique.docx")
    document = docx.Document(str(mine / "generique.docx"))
    document.add_paragraph("{{ signataire_inconnu }}")
    document.save(str(mine / "generique.docx"))
    with pytest.raises(DraftError, match="generique.docx : variable inconnue « signataire_inconnu »"):
        draft(plan, plan.action("A8"), [fact("facts:mednum01")], tmp_path / "g.docx", templates=Templates(mine),
              force=True)
    shutil.copy(SHIPPED_TEMPLATES / "generique.docx", mine / "generique.docx")
    (mine / "blocks" / "deliberation.j2").write_text("Ligne 1\n{% if %}\n", encoding="utf-8")
    with pytest.raises(DraftError, match="bloc de texte .*ligne 2"):
        draft(plan, plan.action("A8"), [fact("facts:mednum01")], tmp_path / "g.docx", templates=Templates(mine),
              force=True)
    (mine / "blocks" / "deliberation.j2").write_text("{{ conseil_inconnu }}\n", encoding="utf-8")
    with pytest.raises(DraftError, match="deliberation.j2 : variable inconnue"):
        draft(plan, plan.action("A8"), [fact("facts:mednum01")], tmp_path / "g.docx", templates=Templates(mine),
              force=True)
    with pytest.raises(DraftError, match="dossier de modèles introuvable"):
        Templates(tmp_path / "absent")
    assert not (tmp_path / "g.docx").exists()


def test_check_docx_catches_bad_documents(tmp_path):
    good = SHIPPED_TEMPLATES / "bdt.docx"
    with pytest.raises(DraftCheckError, match="balise de modèle"):
        check_docx(good)  # a template still has its tags
    not_zip = tmp_path / "faux.docx"
    not_zip.write_text("pas un docx")
    with pytest.raises(DraftCheckError, match="pas un fichier Word"):
        check_docx(not_zip)
    broken = tmp_path / "casse.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<w:p>&</w:p></w:body>")
            dst.writestr(item, data)
    with pytest.raises(DraftCheckError, match="XML mal formé dans word/document.xml"):
        check_docx(broken)


def test_templates_are_built_by_the_committed_script(tmp_path):
    """The shipped .docx hold the tags the script writes (no hand edits lost on rebuild)."""
    for name in ("dsil-detr.docx", "feder.docx", "bdt.docx", "generique.docx"):
        text = docx_text(SHIPPED_TEMPLATES / name)
        assert "{%tr for paire in manquants_paires %}" in text and "{%tr for ligne in plan_financement %}" in text


def test_safe_filenames():
    assert safe_filename("A1", "dsil:dsil-lot") == "a1-dsil-dsil-lot"
    name = safe_filename("Action/É 1", "at:../../etc/passwd")
    assert "/" not in name and ".." not in name and name.isascii()
    assert len(safe_filename("A1", "x" * 300)) <= 80
    assert safe_filename("A1", "at:x" * 100) != safe_filename("A1", "at:y" * 100)
    assert safe_filename("con") == "dossier-con" and safe_filename("") == "dossier"
