"""Rate proposals from comparable funded projects, end to end: laureates imported, then `aidenum draft`.

The laureates are the Ain rows of the shipped DGCL file (data/laureates-dgcl.jsonl.gz: DETR, DSIL…
2018, 2019, 2023), imported with `aidenum laureats import`; the applicant is Bourg-en-Bresse and the
scheme the real DETR Ain record. Checked: the proposal is labelled as such, with its basis and
« à confirmer »; the amount is the proposed rate of the cost; the scheme's published maximum and
the 80 % cap limit it; a rate or amount the user states wins over it.
"""
from __future__ import annotations

import gzip
import json
import re
from decimal import ROUND_DOWN, Decimal
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from aidenum.cli import cli
from aidenum.drafting.check import check_docx
from aidenum.drafting.proposals import MIN_RATES, RateProposer
from conftest import ROOT
from draft_helpers import fact, store

SHIPPED_LAUREATES = ROOT / "data" / "laureates-dgcl.jsonl.gz"
BUDGET = Decimal(120000)
PLAN = """\
collectivite:
  nom: Bourg-en-Bresse
  type: commune
  code: "01053"
actions:
  - id: V1
    axe: Sécurité
    titre: Étendre la vidéoprotection urbaine
    description: >-
      Installation de caméras de vidéoprotection aux abords des écoles et des équipements publics,
      raccordées au centre de supervision urbain.
    budget_ht: 120000
    calendrier: {debut: "2027-03", fin: "2027-10"}
"""
PROPOSAL_RE = re.compile(r"proposition : (\d+(?:,\d)?) %, taux médian de (\d+) projets comparables financés par "
                         r"la DETR dans l'Ain en (?:\d{4}, )*\d{4}(?: et \d{4})? — à confirmer")


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=False)


def plain(path) -> str:
    return re.sub(r"\s+", " ", check_docx(path))  # table cells follow each other on one line


def euros(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",") + " €"


@pytest.fixture
def ain(tmp_path):
    """Laureates of the Ain imported, the DETR Ain record in the catalogue, the plan written."""
    subset = tmp_path / "laureats-ain.jsonl.gz"
    with gzip.open(SHIPPED_LAUREATES, "rt", encoding="utf-8") as source, \
            gzip.open(subset, "wt", encoding="utf-8") as out:
        out.write(next(source))  # the header: format, source, columns
        for line in source:
            row = json.loads(line)
            if row[8] == "01":  # departement column
                out.write(line)
    imported = run("laureats", "import", subset)
    assert imported.exit_code == 0, imported.output
    plan = tmp_path / "plan-bourg.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    return plan


def proposed(text: str) -> tuple[Decimal, int]:
    found = PROPOSAL_RE.search(text)
    assert found, "no labelled proposal in the draft"
    return Decimal(found.group(1).replace(",", ".")), int(found.group(2))


def test_detr_draft_carries_a_labelled_proposal(ain, tmp_path):
    from aidenum.matcher.similar import SimilarProjects
    store([fact("detr:01")])
    out = tmp_path / "detr.docx"
    result = run("draft", ain, "-a", "V1", "-s", "detr:01", "-o", out)
    assert result.exit_code == 0, result.output
    text = plain(out)
    rate, count = proposed(text)
    assert count >= MIN_RATES and 0 < rate <= 80
    # the figures are those of the funded-projects evidence for this action and place
    from aidenum.matcher.plan import load_plan
    plan = load_plan(ain)
    evidence = SimilarProjects.open().evidence(plan.action("V1").text, plan.collectivite)["DETR"]
    assert evidence.count == count and evidence.scope == "DEP:01"
    assert rate == Decimal(str(evidence.median_rate)).quantize(Decimal(1))
    amount = (BUDGET * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    assert f"{rate.normalize():f} % proposé {euros(amount)}" in text  # the financing table's row
    assert f"Le montant sollicité s'élève à {euros(amount)}" in text  # the letter
    # the national form's answers, as typed in Démarches simplifiées, still say it is a proposal
    assert f"{int(amount)} (proposition à confirmer : voir le plan de financement)" in text


def test_the_published_maximum_caps_the_proposal(ain, tmp_path):
    store([fact("detr:01", rate_min=None, rate_max=15.0)])
    out = tmp_path / "detr.docx"
    assert run("draft", ain, "-a", "V1", "-s", "detr:01", "-o", out).exit_code == 0
    text = plain(out)
    assert "proposition : 15 %, taux médian de" in text
    assert "plafonné au taux maximal du dispositif (15 %)) — à confirmer" in text
    assert f"15 % proposé {euros(BUDGET * Decimal('0.15'))}" in text


def test_stated_figures_win_and_the_80_percent_cap_holds(ain, tmp_path):
    store([fact("detr:01")])
    stated = tmp_path / "stated.docx"
    assert run("draft", ain, "-a", "V1", "-s", "detr:01", "--taux", "DETR=25", "-o", stated).exit_code == 0
    text = plain(stated)
    assert f"25 % demandé {euros(Decimal(30000))}" in text and "proposition :" not in text

    capped = tmp_path / "capped.docx"  # 75 % from the Région + the DETR proposal > 80 % of the cost
    result = run("draft", ain, "-a", "V1", "-s", "detr:01", "--montant", "Région=90000", "-o", capped)
    assert result.exit_code == 0, result.output
    text = plain(capped)
    rate, _ = proposed(text)
    proposal = (BUDGET * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    cap = BUDGET * Decimal("0.8")
    assert "dépassent le plafond des aides publiques" in result.stderr
    # the stated amount is kept whole; the proposal is the share reduced to fit under the cap
    assert f"réduit de {euros(proposal)} à {euros(cap - Decimal(90000))}" in text
    assert euros(Decimal(90000)) in text and "Autofinancement (maître d'ouvrage)" in text
    assert euros(BUDGET - cap) in text


def test_the_national_form_answers_use_the_proposal(ain, tmp_path):
    from aidenum.matcher.plan import load_plan
    from aidenum.matcher.similar import SimilarProjects
    store([fact("detr:01")])
    out = tmp_path / "formulaire.json"
    assert run("draft", ain, "-a", "V1", "-s", "detr:01", "--format", "ds", "-o", out).exit_code == 0
    fields = json.loads(out.read_text(encoding="utf-8"))["champs"]
    amount = next(f for f in fields if f["libelle"].startswith("Montant de l'aide demandée"))
    plan = load_plan(ain)
    median = SimilarProjects.open().evidence(plan.action("V1").text, plan.collectivite)["DETR"].median_rate
    expected = (BUDGET * Decimal(str(median)).quantize(Decimal(1)) / 100).quantize(Decimal(1), rounding=ROUND_DOWN)
    assert (amount["valeur"], amount["statut"]) == (str(expected), "proposition"), amount
    assert "à confirmer" in amount["source"]


def test_no_proposal_without_laureates(tmp_path):
    store([fact("detr:01")])
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    out = tmp_path / "detr.docx"
    assert run("draft", plan, "-a", "V1", "-s", "detr:01", "-o", out).exit_code == 0
    assert "proposition :" not in plain(out)


def _evidence_with(rates_count: int):
    evidence = SimpleNamespace(rates_count=rates_count)
    found = SimpleNamespace(rate=Decimal(30), basis="proposition : 30 %, taux médian … — à confirmer",
                            evidence=evidence)
    return SimpleNamespace(rate_proposal=lambda *args, **kwargs: found)


def test_a_median_of_too_few_rates_is_not_proposed():
    plan = SimpleNamespace(collectivite=SimpleNamespace(chef_de_file=False))
    action = SimpleNamespace(text="vidéoprotection")
    scheme = fact("detr:01")
    assert RateProposer(_evidence_with(MIN_RATES - 1)).proposal(plan, action, scheme) is None
    assert RateProposer(_evidence_with(MIN_RATES)).proposal(plan, action, scheme).rate == Decimal(30)
