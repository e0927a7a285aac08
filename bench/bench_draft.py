"""Drafts per second for the example plan (LibreOffice excluded), against a bare python-docx baseline.

Measured, in this process, on a private AIDENUM_HOME holding the shipped catalogue (and, unless
``--sans-laureats``, the shipped funded projects, so that DETR/DSIL drafts carry rate proposals):

- ``aidenum draft data/plans/plan-exemple.yaml --all``: the whole command path — plan reading,
  matching each action, eligibility, financing plan, rate proposals, docxtpl rendering, marker
  highlighting, save and re-check of every file;
- ``aidenum draft … --format ds``: the national DETR/DSIL form answers (JSON + CSV) of one action;
- baseline: a plain python-docx document holding the same paragraphs as one draft (no template,
  no table, no check), built and saved — the floor any .docx writer pays.

Median of several passes; throughput is also given per second of CPU, the machine being shared.
Run: ``.venv/bin/python bench/bench_draft.py [--passes N] [--sans-laureats]``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "data" / "plans" / "plan-exemple.yaml"
CATALOGUE = ROOT / "data" / "catalogue.jsonl"
LAUREATES = ROOT / "data" / "laureates-dgcl.jsonl.gz"
DS_ACTION, DS_SCHEME = "A1", "detr:22"  # the example plan's département: a real DETR form


def _invoke(*args: str) -> str:
    from click.testing import CliRunner
    from aidenum.cli import cli
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"aidenum {' '.join(args)} : code {result.exit_code}\n{result.output}")
    return result.output


def _timed(work, passes: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for run in range(passes):
        start, start_cpu = time.perf_counter(), time.process_time()
        work(run)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--sans-laureats", action="store_true", help="sans projets financés (pas de proposition)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work_dir = Path(tmp)
        os.environ["AIDENUM_HOME"] = str(work_dir / "home")
        _invoke("catalogue", "import", str(CATALOGUE))
        if not options.sans_laureats:
            _invoke("laureats", "import", str(LAUREATES))
        # warm-up (not measured): imports, referential, matcher and laureates indexes, templates
        _invoke("draft", str(PLAN), "--all", "-o", str(work_dir / "warm"))
        drafts = sorted((work_dir / "warm").glob("*.docx"))
        documents = len(drafts)
        import docx
        from aidenum.drafting.check import docx_text
        paragraphs = [docx_text(path).splitlines() for path in drafts]

        def draft_all(run: int) -> None:
            _invoke("draft", str(PLAN), "--all", "-o", str(work_dir / f"all-{run}"))

        def ds_form(run: int) -> None:
            _invoke("draft", str(PLAN), "-a", DS_ACTION, "-s", DS_SCHEME, "--format", "ds",
                    "-o", str(work_dir / f"ds-{run}.json"))

        def baseline(run: int) -> None:
            for number, texts in enumerate(paragraphs):
                document = docx.Document()
                for text in texts:
                    document.add_paragraph(text)
                document.save(str(work_dir / f"b-{run}-{number}.docx"))

        measured = {name: _timed(work, options.passes) for name, work in
                    (("baseline", baseline), ("all", draft_all), ("ds", ds_form))}

    def median(name: str, index: int) -> float:
        return statistics.median(measured[name][index])

    laureates = "sans projets financés" if options.sans_laureats else "avec les projets financés (propositions de taux)"
    print(f"Plan d'exemple : {documents} dossiers par passe (draft --all, --top 1), {laureates} ; "
          f"médiane de {options.passes} passes")
    rows = [("python-docx nu (référence)", documents / median("baseline", 0), documents / median("baseline", 1)),
            ("aidenum draft --all", documents / median("all", 0), documents / median("all", 1))]
    for name, rate, cpu_rate in rows:
        print(f"  {name:<28} {rate:7.1f} dossiers/s ({cpu_rate:.1f} par seconde de CPU)")
    print(f"  rapport draft --all / référence : {rows[1][1] / rows[0][1]:.2f}")
    print(f"  draft --all, commande entière : {median('all', 0):.2f} s (CPU {median('all', 1):.2f} s)")
    print(f"  draft --format ds ({DS_ACTION}, {DS_SCHEME}) : {median('ds', 0) * 1000:.0f} ms "
          f"(CPU {median('ds', 1) * 1000:.0f} ms), JSON + CSV")


if __name__ == "__main__":
    main()
