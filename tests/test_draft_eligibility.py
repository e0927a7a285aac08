"""Drafting refuses a scheme the collectivité cannot use (territory, beneficiaries, closed,
business-only) unless --forcer, which writes a visible warning; without --scheme the best
eligible match is taken; --all skips actions without an eligible match and says so."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from click.testing import CliRunner

from aidenum.cli import cli
from aidenum.drafting.check import check_docx
from aidenum.drafting.render import IneligibleError, render_draft
from draft_helpers import EXAMPLE_PLAN, example_plan, fact, local_dsil, store

TODAY = dt.date(2026, 11, 20)


def run(*args):
    return CliRunner().invoke(cli, ["draft", *map(str, args)], catch_exceptions=False)


@pytest.mark.parametrize("scheme, reason", [
    (fact("feder:feder-normandie-numerique"), "territoire Normandie (région) hors de"),  # FEDER Normandie, Bretagne EPCI
    (fact("dsil:dsil-54-2018", perimeter="DEP:22"), "clôturée le 30/04/2018"),  # real 2018 campaign, moved
    (fact("facts:pass-commerce-bzh-numerique", deadline=None), "réservée aux entreprises"),
    (local_dsil(beneficiaries=["commune"]), "bénéficiaires Communes (pas Intercommunalités / Pays)"),
])
def test_each_filter_refuses_the_draft(tmp_path, scheme, reason):
    plan = example_plan()
    with pytest.raises(IneligibleError) as caught:
        render_draft(plan, plan.action("A1"), [scheme], tmp_path / "d.docx", today=TODAY)
    message = str(caught.value)
    assert reason in message and "--forcer" in message
    assert "Loudéac Communauté - Bretagne Centre est exclue de l'aide" in message
    assert not (tmp_path / "d.docx").exists()


def test_forced_draft_opens_with_the_reason(tmp_path):
    plan = example_plan()
    result = render_draft(plan, plan.action("A1"), [fact("feder:feder-normandie-numerique")],
                          tmp_path / "d.docx", today=TODAY, force=True)
    text = check_docx(result.path).replace("\u00a0", " ")
    head = text.split("1. Fiche récapitulative")[0]
    assert "Attention : Loudéac Communauté - Bretagne Centre est exclue de l'aide « FEDER numérique" in head
    assert "territoire Normandie (région)" in head and "option --forcer" in head
    assert result.warnings[0].startswith("Loudéac Communauté - Bretagne Centre est exclue")


def test_agreement_follows_the_collectivite(tmp_path):
    plan = example_plan()
    department = dataclasses.replace(plan.collectivite, nom="Département du Doubs", type="department",
                                     code="25", territory="DEP:25", departement="25", region="27")
    other = dataclasses.replace(plan, collectivite=department)
    with pytest.raises(IneligibleError, match="Le Département du Doubs est exclu de l'aide"):
        render_draft(other, other.action("A1"), [local_dsil()], tmp_path / "d.docx", today=TODAY)


@pytest.fixture
def catalogue():
    store([fact("dsil:dsil-lot"), fact("dsil:dsil-at-1182", rate_max=50.0), fact("feder:feder-bzh-131"),
           fact("feder:feder-normandie-numerique"), fact("bdt:bdt-long-term-loans")])


def test_cli_refuses_then_forces(catalogue, tmp_path):
    out = tmp_path / "d.docx"
    refused = run(EXAMPLE_PLAN, "-a", "A1", "-s", "feder:feder-normandie-numerique", "-o", out)
    assert refused.exit_code == 1 and "Erreur : dossier non rédigé" in refused.stderr
    assert "territoire Normandie (région)" in refused.stderr and not out.exists()
    forced = run(EXAMPLE_PLAN, "-a", "A1", "-s", "feder:feder-normandie-numerique", "-o", out, "--forcer")
    assert forced.exit_code == 0 and "Attention (A1, feder:feder-normandie-numerique)" in forced.stderr
    assert "Attention : Loudéac Communauté" in check_docx(out)
    # a co-funder counts too: one ineligible scheme among several refuses the whole draft
    mixed = run(EXAMPLE_PLAN, "-a", "A1", "-s", "dsil:dsil-at-1182", "-s", "dsil:dsil-lot", "-o", tmp_path / "m.docx")
    assert mixed.exit_code == 1 and "DSIL (préfecture du Lot)" in mixed.stderr


def test_without_scheme_the_best_eligible_match(catalogue, tmp_path):
    result = run(EXAMPLE_PLAN, "-a", "A1", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert "Dispositif retenu pour A1 :" in result.output
    chosen = result.output.split("(", 1)[1].split(")", 1)[0]
    assert chosen not in ("dsil:dsil-lot", "feder:feder-normandie-numerique")  # never an ineligible one
    assert len(list(tmp_path.glob("*.docx"))) == 1


def test_all_skips_actions_without_eligible_match(tmp_path):
    store([fact("dsil:dsil-lot"), fact("feder:feder-normandie-numerique")])  # none open to Loudéac
    result = run(EXAMPLE_PLAN, "--all", "-o", tmp_path / "dossiers")
    assert result.exit_code == 1
    assert "A1 : aucun dispositif accessible à la collectivité ne correspond à cette action" in result.stderr
    assert "aucun dossier écrit" in result.stderr
    assert not list(tmp_path.rglob("*.docx"))
