"""Issue 13.7: drafts per second for the example plan and the synthesis time, LibreOffice excluded.

Measured in one process, medians of several runs, each against a bare baseline:

- drafts: one dossier per action of the example plan for its best eligible scheme (what
  ``aidenum draft --all --top 1`` writes), against a bare python-docx document holding the same
  paragraphs;
- synthesis: the computation (matching, observed-rate proposals, financing plans, totals), then
  each format written: XLSX against a bare openpyxl workbook holding the same cells as plain
  values, DOCX against a bare python-docx table of the same rows and columns, HTML alone.

The catalogue home is ``AIDENUM_HOME`` when it holds a catalogue, else a temporary one built
from the shipped catalogue and funded projects (data/), as ``make demo`` does.
"""
from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = 5
EXAMPLE_PLAN = ROOT / "data" / "plans" / "plan-exemple.yaml"


def median_seconds(work, runs: int = RUNS) -> float:
    times = []
    for run in range(runs):
        start = time.perf_counter()
        work(run)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def prepare_home() -> Path:
    """AIDENUM_HOME if it holds a catalogue, else a fresh home loaded through the commands themselves."""
    import subprocess
    from aidenum.catalogue import store
    home = os.environ.get("AIDENUM_HOME")
    if home and (Path(home) / store.DB_NAME).is_file():
        return Path(home)
    folder = Path(tempfile.mkdtemp(prefix="aidenum-bench-"))
    os.environ["AIDENUM_HOME"] = str(folder)
    for args in (["catalogue", "import", "data/catalogue.jsonl"], ["laureats", "import", "data/laureates-dgcl.jsonl.gz"]):
        subprocess.run([sys.executable, "-m", "aidenum.cli", *args], cwd=ROOT, check=True, capture_output=True)
    return folder


def main() -> None:
    import docx
    import openpyxl
    from aidenum.catalogue import territory
    from aidenum.drafting.check import docx_text
    from aidenum.drafting.proposals import RateProposer
    from aidenum.drafting.render import Templates, render_draft
    from aidenum.drafting.synthesis import build_synthesis, match_depth
    from aidenum.drafting.synthesis_docx import build_document
    from aidenum.drafting.synthesis_html import render_html
    from aidenum.drafting.synthesis_xlsx import workbook_bytes
    from aidenum.matcher.engine import Matcher
    from aidenum.matcher.plans import load_plan

    home = prepare_home()
    plan = load_plan(EXAMPLE_PLAN)
    referential = territory.load()
    matcher = Matcher(home, referential=referential)
    matcher.ensure_index()
    proposer = RateProposer.open(home)
    templates = Templates()
    best = {a.id: matcher.match_action(plan.collectivite, a, top=1) for a in plan.actions}
    drafted = [(a, best[a.id][0].scheme) for a in plan.actions if best[a.id]]

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        sample = render_draft(plan, drafted[0][0], [drafted[0][1]], out / "warm.docx", templates=templates,
                              referential=referential).path
        paragraphs = docx_text(sample).splitlines()

        def drafts(run: int) -> None:
            for action, scheme in drafted:
                proposals = proposer.for_schemes(plan, action, [scheme]) if proposer else {}
                render_draft(plan, action, [scheme], out / f"d-{run}-{action.id}.docx", templates=templates,
                             referential=referential, proposals=proposals, force=False)

        def bare_drafts(run: int) -> None:
            for action, _ in drafted:
                document = docx.Document()
                for text in paragraphs:
                    document.add_paragraph(text)
                document.save(str(out / f"b-{run}-{action.id}.docx"))

        draft_s, bare_draft_s = median_seconds(drafts), median_seconds(bare_drafts)

        def compute(_run: int = 0):
            matches = {a.id: matcher.match_action(plan.collectivite, a, top=match_depth(3)) for a in plan.actions}
            return build_synthesis(plan, matches, proposer=proposer, similar=proposer.similar if proposer else None)

        synthesis = compute()
        compute_s = median_seconds(compute)
        rows = sum(max(1, len(r.options) + len(r.extra)) for r in synthesis.rows)
        xlsx_s = median_seconds(lambda run: workbook_bytes(synthesis))
        docx_s = median_seconds(lambda run: build_document(synthesis).save(io.BytesIO()))
        html_s = median_seconds(lambda run: render_html(synthesis))

        def bare_xlsx(_run):
            book = openpyxl.Workbook()
            for r in range(rows + 5):
                book.active.append([f"valeur {r}-{c}" for c in range(21)])
            book.save(io.BytesIO())

        def bare_docx(_run):
            document = docx.Document()
            table = document.add_table(rows=0, cols=6)
            for r in range(len(synthesis.rows) + len(synthesis.funders) + 4):
                for cell in table.add_row().cells:
                    cell.text = f"valeur {r}"
            document.save(io.BytesIO())

        bare_xlsx_s, bare_docx_s = median_seconds(bare_xlsx), median_seconds(bare_docx)

    print(f"Plan d'exemple : {len(plan.actions)} actions, {len(drafted)} dossiers (meilleur dispositif accessible "
          f"de chaque action), médianes de {RUNS} passes, LibreOffice exclu ; observés : "
          f"{'oui' if proposer else 'non (aucun projet financé chargé)'}")
    print(f"  dossiers aidenum draft      {len(drafted) / draft_s:7.1f} dossiers/s ({draft_s * 1000 / len(drafted):.0f} ms "
          f"par dossier)")
    print(f"  python-docx nu (référence)  {len(drafted) / bare_draft_s:7.1f} documents/s "
          f"(dossiers / référence : {bare_draft_s / draft_s:.2f})")
    print(f"  synthèse : calcul           {compute_s * 1000:7.0f} ms (appariement, propositions, plans de financement)")
    for name, seconds, baseline in (("XLSX", xlsx_s, bare_xlsx_s), ("DOCX", docx_s, bare_docx_s), ("HTML", html_s, None)):
        ref = f" ; référence nue {baseline * 1000:.0f} ms, {seconds / baseline:.1f} fois son temps" if baseline else ""
        print(f"  synthèse : écriture {name}     {seconds * 1000:7.0f} ms{ref}")
    total = compute_s + xlsx_s + docx_s + html_s
    print(f"  synthèse complète (calcul + trois formats) : {total:.2f} s")


if __name__ == "__main__":
    main()
