"""Benchmark: the cost of the one status rule (catalogue/status.py) on the shipped catalogue.

    .venv/bin/python bench/bench_status.py [--copies 20] [--runs 5]

The 479 real records of data/catalogue.jsonl, copied ``--copies`` times. Medians of ``--runs``
runs, in the same process:

* baseline: a status from the dates alone (closed_at, archived, deadline) — the floor;
* stored: ``Scheme.status`` when the store has read the texts (``end_evidence`` set), what every
  listing and the matcher pay;
* unread: ``Scheme.status`` on records never stored (texts scanned at each call);
* reading: ``status.end_evidence`` per record, what the store pays once per upsert.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aidenum.catalogue import status  # noqa: E402
from aidenum.catalogue.model import Scheme  # noqa: E402

TODAY = dt.date(2026, 12, 2)


def dates_only(scheme: Scheme, today: dt.date) -> str:
    if scheme.closed_at or scheme.archived or (scheme.deadline and scheme.deadline < today):
        return "closed"
    return "open"


def median_seconds(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lines = (ROOT / "data" / "catalogue.jsonl").read_text(encoding="utf-8").splitlines()
    unread = [Scheme.from_dict(json.loads(line)) for line in lines] * args.copies
    stored = [Scheme.from_dict({**json.loads(line), "end_evidence": ""}) for line in lines] * args.copies
    for scheme in stored:
        scheme.end_evidence = status.end_evidence(scheme)
    count = len(unread)
    figures = {
        "baseline (dates only)": median_seconds(lambda: [dates_only(s, TODAY) for s in stored], args.runs),
        "stored (end_evidence read)": median_seconds(lambda: [s.status(TODAY) for s in stored], args.runs),
        "unread (texts scanned)": median_seconds(lambda: [s.status(TODAY) for s in unread], args.runs),
        "reading (end_evidence)": median_seconds(lambda: [status.end_evidence(s) for s in unread], args.runs),
    }
    print(f"{count} records, median of {args.runs} runs")
    for name, seconds in figures.items():
        print(f"  {name:28s} {seconds * 1000:8.1f} ms  {seconds / count * 1e6:7.2f} µs/record")


if __name__ == "__main__":
    main()
