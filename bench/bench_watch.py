"""How much the weekly digest costs on top of matching.

Loads the shipped catalogue snapshot (data/catalogue.jsonl) twice into a temporary
AIDENUM_HOME — the second time with every tenth scheme's deadline moved and rate changed, and
every twentieth gone — then times, for the example plan:

- baseline: ``Matcher.match_action`` for every action (include_closed=True, top 20);
- digest:   ``watch.digest.build_digest`` (the same matching + change log + version diffs);
- render:   the three output formats of that digest;
- calendar: ``watch.calendar.collect_deadlines`` + ``build_calendar``.

Prints the median of several runs of each. Run: .venv/bin/python bench/bench_watch.py
"""
from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = 7


def median_time(func, runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    os.environ["AIDENUM_HOME"] = tempfile.mkdtemp(prefix="aidenum-bench-watch-")
    from aidenum.catalogue import territory
    from aidenum.catalogue.model import Scheme
    from aidenum.catalogue.store import Catalogue
    from aidenum.matcher.engine import Matcher
    from aidenum.matcher.plan import load_plan
    from aidenum.watch import calendar as ics
    from aidenum.watch import digest as digests
    from aidenum.watch import render

    records = [json.loads(line) for line in (ROOT / "data" / "catalogue.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    catalogue = Catalogue()
    today = dt.date.today()

    def load(rows):
        by_source: dict[str, list] = {}
        for row in rows:
            by_source.setdefault(row["source"], []).append(row)
        for source, items in by_source.items():
            with catalogue.run(source, kind="crawl", complete=True) as run:
                for row in items:
                    run.upsert(Scheme.from_dict(dict(row)))

    load(records)
    first_run = digests.last_run_id(catalogue)
    week2 = []
    for index, row in enumerate(records):
        row = dict(row)
        if index % 20 == 7:
            continue
        if index % 10 == 3:
            row["deadline"] = (today + dt.timedelta(days=20 + index % 40)).isoformat()
            row["rate_max"] = 50.0
        week2.append(row)
    load(week2)

    plan = load_plan(ROOT / "data" / "plans" / "plan-exemple.yaml")
    referential = territory.load()
    matcher = Matcher()
    matcher.ensure_index()
    period = digests.Period(since=today - dt.timedelta(days=7), until_run=digests.last_run_id(catalogue),
                            after_run=first_run)

    def baseline():
        for action in plan.actions:
            matcher.match_action(plan.collectivite, action, top=20, include_closed=True, today=today)

    built = {}

    def digest():
        built["d"] = digests.build_digest(plan, catalogue, matcher, period, today, top=20,
                                          perimeter_label=referential.label)

    def render_all():
        for fmt in ("terminal", "markdown", "html"):
            render.render(built["d"], fmt)

    def calendar():
        deadlines, _ = ics.collect_deadlines(plan, catalogue, matcher, today)
        if deadlines:
            ics.build_calendar(deadlines, digests.plan_key(plan), plan.collectivite.nom)

    baseline()  # warm caches (index searcher, thesaurus) before timing anything
    base = median_time(baseline)
    full = median_time(digest)
    rend = median_time(render_all)
    cal = median_time(calendar)
    d = built["d"]
    print(f"catalogue : {catalogue.count()} dispositifs, {len(plan.actions)} actions, {RUNS} mesures par ligne (médianes)")
    print(f"digest content: {d.counts()}")
    print(f"baseline  match_action x{len(plan.actions)}      {base * 1000:8.1f} ms")
    print(f"digest    build_digest               {full * 1000:8.1f} ms  ({full / base:.2f} x baseline)")
    print(f"render    terminal+markdown+html     {rend * 1000:8.1f} ms")
    print(f"calendar  collect + build            {cal * 1000:8.1f} ms  ({cal / base:.2f} x baseline)")


if __name__ == "__main__":
    main()
