"""Benchmark: catalogue import throughput and `aidenum catalogue list` latency.

    .venv/bin/python bench/bench_catalogue.py [--records 10000] [--runs 3]

10 000 records are resampled from the real ones: rows of the Aides-territoires CSV export
(274 aids) and records of the Drôme API sample (3 aids), each copy with its own id and a
description varied by mixing in sentences of other real aids; API copies get real
perimeter names of several scales. Every figure is the median of several runs, each into a
fresh catalogue, next to baselines measured in the same process:

* parse only: decode + build and validate ``Scheme`` objects, no store (the floor);
* naive store: the same schemes written with one transaction per record (what a loop of
  autocommitted INSERTs costs) — the importer writes one transaction per file.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aidenum.catalogue import territory  # noqa: E402
from aidenum.catalogue.aides_territoires import scheme_from_api, scheme_from_csv_row  # noqa: E402
from aidenum.catalogue.importers import JsonStream, import_file  # noqa: E402
from aidenum.catalogue.store import Catalogue  # noqa: E402

AT = ROOT / "tests" / "files" / "shared" / "aides-territoires"
PERIMETERS = ["Drôme", "Bretagne", "Ain", "France", "Morbihan", "Occitanie", "Côtes-d'Armor", "Europe",
              "Loudéac Communauté − Bretagne Centre", "Valence", "Hauts-de-France", "Isère"]


def sentences(texts: list[str]) -> list[str]:
    out = []
    for text in texts:
        out += [s.strip() + "." for s in text.split(".") if len(s.strip()) > 30]
    return out


def resample(n: int, workdir: Path) -> dict[str, Path]:
    rng = random.Random(20250101)
    with open(AT / "aides-territoires_periurbain.csv", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    drome = json.loads((AT / "feed-samples" / "departement_drome_data.json").read_text(encoding="utf-8"))
    pool = sentences([r["Descriptif"] for r in rows])
    referential = territory.load()
    perimeters = []
    for name in PERIMETERS:
        try:
            referential.resolve(name)
            perimeters.append(name)
        except territory.TerritoryError:
            pass

    csv_path = workdir / "resample.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        for i in range(n):
            row = dict(rng.choice(rows))
            row["Lien"] = row["Lien"].rstrip("/") + f"-r{i}/"
            row["Descriptif"] = row["Descriptif"] + " " + " ".join(rng.sample(pool, 2))
            writer.writerow(row)

    api_path = workdir / "resample.json"
    results = []
    for i in range(n):
        record = dict(rng.choice(drome["results"]))
        record["id"] = 100_000 + i
        record["perimeter"] = rng.choice(perimeters)
        record["description"] = record["description"] + "<p>" + " ".join(rng.sample(pool, 2)) + "</p>"
        results.append(record)
    api_path.write_text(json.dumps({"count": n, "next": None, "previous": None, "results": results},
                                   ensure_ascii=False), encoding="utf-8")
    return {"at-csv": csv_path, "at-api": api_path}


def parse_only(path: Path, fmt: str) -> int:
    referential = territory.load()
    count = 0
    if fmt == "at-csv":
        with open(path, encoding="utf-8", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                scheme_from_csv_row(row, line, referential)
                count += 1
    elif fmt == "at-api":
        with open(path, encoding="utf-8") as handle:
            for _, _, record in JsonStream(handle).iter_results():
                scheme_from_api(record, referential)
                count += 1
    else:
        from aidenum.catalogue.model import Scheme
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                Scheme.from_dict(json.loads(line))
                count += 1
    return count


def naive_store(path: Path, fmt: str, db: Path) -> int:
    """One run (transaction) per record, as an autocommitting INSERT loop would do."""
    referential = territory.load()
    count = 0
    with Catalogue(db) as store, open(path, encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            scheme = scheme_from_csv_row(row, line, referential)
            with store.run("at", label="naive") as run:
                run.upsert(scheme)
            count += 1
    return count


def timed(func, runs: int) -> tuple[float, float]:
    """Median wall-clock and median CPU time of this process (the CPU figure is the one to
    compare on a shared machine: other processes inflate wall-clock, not our CPU time)."""
    walls, cpus = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n, runs = args.records, args.runs
    territory.load().resolve("Drôme")  # load and index the referential once, outside the timings

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = resample(n, work)
        print(f"{n} enregistrements rééchantillonnés ; médiane de {runs} passes ; "
              f"CSV {files['at-csv'].stat().st_size / 1e6:.1f} Mo, API {files['at-api'].stat().st_size / 1e6:.1f} Mo")
        counter = iter(range(10**6))

        def fresh() -> Path:
            return work / f"cat-{next(counter)}.sqlite"

        def import_into_fresh(path):
            with Catalogue(fresh()) as store:
                report = import_file(path, store)
                assert report.ok and report.counts["new"] == n, report.summary_fr()

        print(f"\n{'mesure':58} {'durée':>8} {'enr./s':>9} {'CPU':>8} {'enr./s CPU':>11}")

        def line(label, seconds, count=n):
            wall, cpu = seconds
            print(f"{label:58} {wall:7.2f}s {count / wall:9.0f} {cpu:7.2f}s {count / cpu:11.0f}")

        for fmt, path in files.items():
            line(f"[base] {fmt} : lecture + validation, sans stockage", timed(lambda: parse_only(path, fmt), runs))
            line(f"{fmt} : import complet dans un catalogue neuf", timed(lambda: import_into_fresh(path), runs))

        naive_n = min(n, 2000)
        naive_csv = work / "naive.csv"
        with open(files["at-csv"], encoding="utf-8") as src, open(naive_csv, "w", encoding="utf-8") as out:
            for i, text in enumerate(src):
                if i > naive_n:
                    break
                out.write(text)
        line(f"[base] at-csv : une transaction par enregistrement ({naive_n})",
             timed(lambda: naive_store(naive_csv, "at-csv", fresh()), runs), naive_n)

        main_db = work / "main.sqlite"
        with Catalogue(main_db) as store:
            import_file(files["at-csv"], store)
            import_file(files["at-api"], store)
            line("at-csv : réimport identique (tout inchangé)", timed(lambda: import_file(files["at-csv"], store), runs))
            export = work / "export.jsonl"
            from aidenum.catalogue.importers import export_jsonl
            with open(export, "w", encoding="utf-8") as out:
                total = export_jsonl(store, out)
        line("[base] jsonl : lecture + validation, sans stockage", timed(lambda: parse_only(export, "jsonl"), runs), total)

        def import_jsonl():
            with Catalogue(fresh()) as store:
                assert import_file(export, store).counts["new"] == total
        line("jsonl : import complet dans un catalogue neuf", timed(import_jsonl, runs), total)

        # -- list latency on the 2 n schemes ---------------------------------------------------
        print(f"\nLatence de « aidenum catalogue list » sur {total} dispositifs (médiane de 5)")
        env = dict(os.environ, AIDENUM_HOME=str(work))
        main_db.rename(work / "catalogue.sqlite")
        for wal in ("-wal", "-shm"):
            if (work / f"main.sqlite{wal}").exists():
                (work / f"main.sqlite{wal}").rename(work / f"catalogue.sqlite{wal}")
        from click.testing import CliRunner

        from aidenum.cli import cli
        runner = CliRunner(env=env)
        for label, argv in (("table, tout", ["catalogue", "list"]),
                            ("json, tout", ["catalogue", "list", "--format", "json"]),
                            ("--territoire Drôme --ouverts", ["catalogue", "list", "--territoire", "Drôme", "--ouverts"]),
                            ("--beneficiaire commune --financeur drome", ["catalogue", "list", "--beneficiaire",
                                                                         "commune", "--financeur", "drome"])):
            result = runner.invoke(cli, argv)
            assert result.exit_code == 0, result.output
            wall, cpu = timed(lambda: runner.invoke(cli, argv), 5)
            print(f"  dans le processus  {label:42} {wall * 1000:7.0f} ms (CPU {cpu * 1000:.0f} ms)")
        base, _ = timed(lambda: subprocess.run([sys.executable, str(ROOT / "cli.py"), "--help"], env=env,
                                            capture_output=True, check=True), 5)
        print(f"  [base] processus neuf  « aidenum --help »{'':22} {base * 1000:7.0f} ms")
        whole, _ = timed(lambda: subprocess.run([sys.executable, str(ROOT / "cli.py"), "catalogue", "list"], env=env,
                                             capture_output=True, check=True), 5)
        print(f"  processus neuf  « aidenum catalogue list »{'':16} {whole * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
