"""Drafts per second (LibreOffice excluded), against a bare python-docx baseline.

Baseline: writing a plain python-docx document holding the same paragraphs as a draft (no
template, no tables, no checks) — the floor any .docx writer pays. Measured: the full
``render_draft`` (financing plan, text blocks, docxtpl with autoescape, marker highlighting,
save, re-open and check). Median of several runs, both in this process.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

RUNS = 5
DOCS_PER_RUN = 12  # three actions × four families


def main() -> None:
    import docx
    from draft_helpers import example_plan, fact
    from aidenum.drafting.check import docx_text
    from aidenum.drafting.render import Templates, render_draft

    plan = example_plan()
    schemes = [fact("dsil:dsil-lot", rate_max=50.0), fact("feder:feder-bzh-131", rate_max=40.0),
               fact("bdt:bdt-long-term-loans"), fact("facts:pass-commerce-bzh-numerique")]
    actions = plan.actions[:DOCS_PER_RUN // len(schemes)]
    templates = Templates()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        # warm-up: template scan, referential, imports (paid once per command, not per draft)
        sample = render_draft(plan, actions[0], [schemes[0]], out / "warm.docx", templates=templates).path
        paragraphs = docx_text(sample).splitlines()

        def drafts(run: int) -> None:
            for i, action in enumerate(actions):
                for j, scheme in enumerate(schemes):
                    render_draft(plan, action, [scheme], out / f"d-{run}-{i}-{j}.docx", templates=templates)

        def baseline(run: int) -> None:
            for i in range(DOCS_PER_RUN):
                document = docx.Document()
                for text in paragraphs:
                    document.add_paragraph(text)
                document.save(str(out / f"b-{run}-{i}.docx"))

        results, cpu = {}, {}
        for name, work in (("python-docx nu (référence)", baseline), ("aidenum draft", drafts)):
            rates, cpu_rates = [], []
            for run in range(RUNS):
                start, start_cpu = time.perf_counter(), time.process_time()
                work(run)
                rates.append(DOCS_PER_RUN / (time.perf_counter() - start))
                cpu_rates.append(DOCS_PER_RUN / (time.process_time() - start_cpu))
            results[name], cpu[name] = statistics.median(rates), statistics.median(cpu_rates)
    print(f"{DOCS_PER_RUN} documents par passe, médiane de {RUNS} passes ({len(paragraphs)} paragraphes par document)")
    for name, rate in results.items():
        print(f"  {name:<28} {rate:7.1f} documents/s ({cpu[name]:.1f} par seconde de CPU : machine partagée)")
    ratio = results["aidenum draft"] / results["python-docx nu (référence)"]
    print(f"  rapport draft / référence : {ratio:.2f} (objectif : au moins 10 documents/s)")


if __name__ == "__main__":
    main()
