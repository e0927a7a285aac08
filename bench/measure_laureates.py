"""Measures of the funded-projects evidence (issue 11, point 5), with a year split.

    .venv/bin/python bench/measure_laureates.py [--limit N]

Evidence: the DGCL 2018 and 2019 projects of the shipped ``data/laureates-dgcl.jsonl.gz``
(``before_year=2023``: nothing of 2023 is evidence for 2023). Questions: the 2023 DGCL projects
whose title is digital (``DIGITAL`` below, the themes listed in shared/data/laureates/README.md)
and whose rate is known. For each, the query is its title and the applicant its beneficiary's
territory (commune, EPCI or département).

- rate error: |proposed rate − real rate| in points, where the proposal is
  ``SimilarProjects.rate_proposal`` for the project's own dispositif (80 % rule applied, no
  scheme ceiling). Baseline: the median rate of all 2018–2019 projects of that dispositif in the
  same département (no text at all);
- top 3: the share of projects whose dispositif is among the three strongest dispositifs of the
  evidence (``SimilarProjects.evidence``, ordered by weight);
- no evidence: the share of projects for which the evidence is empty, and the share without a
  proposal for their dispositif (the draft then keeps « à compléter »).
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aidenum.catalogue.formatting import number_fr  # noqa: E402
from aidenum.catalogue.laureates import SHIPPED_PATH, LaureateStore  # noqa: E402
from aidenum.matcher.similar import SimilarProjects  # noqa: E402

QUESTION_YEAR = 2023
DIGITAL = re.compile(
    r"vid[eé]o[\s-]*(protection|surveillance)|num[eé]rique|informatique|logiciel|wi[\s-]?fi|t[eé]l[eé]phonie|"
    r"\btni\b|\btbi\b|\bvpi\b|tableaux? (blanc|num[eé]rique|interactif)|site (internet|web)|fibre optique|"
    r"d[eé]mat[eé]rialisation|cyber",
    re.IGNORECASE)


def questions(store: LaureateStore, limit: int | None) -> list:
    rows = [r for r in store.rows("WHERE year = ? AND source = 'dgcl' AND rate IS NOT NULL ORDER BY id",
                                  (QUESTION_YEAR,))
            if DIGITAL.search(r.title)]
    return rows[:limit] if limit else rows


def baseline_rates(store: LaureateStore) -> dict[tuple[str, str], float]:
    """Median rate of every 2018–2019 project per (dispositif, département)."""
    rates: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in store.rows("WHERE year < ? AND rate IS NOT NULL", (QUESTION_YEAR,)):
        rates[(row.dispositif, row.departement)].append(row.rate)
    return {key: statistics.median(values) for key, values in rates.items()}


def measure(similar: SimilarProjects, asked: list, baseline: dict) -> dict:
    errors, baseline_errors, timings = [], [], []
    top3 = no_evidence = no_proposal = 0
    for row in asked:
        started = time.perf_counter()
        evidence = similar.evidence(row.title, row.territory, before_year=QUESTION_YEAR)
        proposal = similar.rate_proposal(row.title, row.territory, row.dispositif, before_year=QUESTION_YEAR)
        timings.append(time.perf_counter() - started)
        if not evidence:
            no_evidence += 1
        if row.dispositif in list(evidence)[:3]:
            top3 += 1
        if proposal is None:
            no_proposal += 1
        else:
            errors.append(abs(float(proposal.rate) - row.rate))
            base = baseline.get((row.dispositif, row.departement))
            if base is not None:
                baseline_errors.append(abs(min(base, 80.0) - row.rate))
    count = len(asked)
    return {"questions": count, "mae": statistics.median(errors) if errors else None,
            "mean_error": statistics.fmean(errors) if errors else None,
            "baseline_mae": statistics.median(baseline_errors) if baseline_errors else None,
            "top3": top3 / count, "no_evidence": no_evidence / count, "no_proposal": no_proposal / count,
            "proposals": len(errors), "median_ms": statistics.median(timings) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N questions (quick look)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        with LaureateStore(Path(home) / "laureates.sqlite") as store:
            store.import_file(SHIPPED_PATH)
            asked = questions(store, args.limit)
            baseline = baseline_rates(store)
        similar = SimilarProjects.open(home)
        try:
            result = measure(similar, asked, baseline)
        finally:
            similar.close()
    print(f"Questions : {result['questions']} projets numériques de {QUESTION_YEAR} (preuves : 2018–2019)")
    print(f"Écart médian du taux proposé : {number_fr(result['mae'], 1)} points "
          f"(moyen {number_fr(result['mean_error'], 1)} ; référence sans texte, médiane du dispositif dans le "
          f"département : {number_fr(result['baseline_mae'], 1)} points) sur {result['proposals']} propositions")
    print(f"Dispositif réel parmi les 3 premiers : {number_fr(result['top3'] * 100, 1)} %")
    print(f"Sans aucune preuve : {number_fr(result['no_evidence'] * 100, 1)} % ; sans proposition pour le "
          f"dispositif réel : {number_fr(result['no_proposal'] * 100, 1)} %")
    print(f"Temps médian par projet (preuves + proposition) : {number_fr(result['median_ms'], 1)} ms")


if __name__ == "__main__":
    main()
