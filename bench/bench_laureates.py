"""Funded-projects benchmark: import rate, similar-project look-up, `aidenum match` overhead.

    .venv/bin/python bench/bench_laureates.py [--rows 100000] [--runs 3] [--wall-runs 5]

Case: ``--rows`` projects resampled from the real DGCL lists of shared/data/laureates/ (2018,
2019, 2023: titles, dispositifs, years, costs, grants and rates as published), each copy given a
commune drawn from the territory referential (new place, so the resolver and the proximity
zones have real work), written as a DGCL CSV (``;``, BOM, decimal comma, three-character
département).

Figures, each a median of ``--runs`` runs, next to a baseline measured in the same process:

- import: rows/s of ``LaureateStore.import_file`` (fresh store each run; the referential is loaded
  once before, its load time is given apart) against a bare ``csv.reader`` + ``executemany`` of
  the raw cells into a table of the same width in one transaction;
- look-up, warm: per action of the example plan (plus a few short actions), ``search`` + ``evidence``
  as ``aidenum match`` calls them, the result memo emptied before each run (so every run scores),
  against one bare FTS5 ``MATCH … ORDER BY bm25 LIMIT 400`` query on the same index with the
  action's terms;
- ``aidenum match plan --format json`` wall time with the laureates store in the home against the
  same home without it (same catalogue, index up to date).

Wall times on a shared machine move with its load (printed): CPU times are printed beside them.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aidenum.catalogue import laureates, territory  # noqa: E402
from aidenum.catalogue.formatting import number_fr  # noqa: E402
from aidenum.matcher.plan import load_plan  # noqa: E402
from aidenum.matcher.similar import CANDIDATES, SimilarProjects  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "laureates"
SOURCES = [SHARED / f"dgcl-liste-projets-dotations-investissement-local-{year}.csv" for year in (2018, 2019, 2023)]
REAL_CATALOGUE = ROOT / "data" / "catalogue.jsonl"
PLAN_PATH = ROOT / "data" / "plans" / "plan-exemple.yaml"
SHORT_ACTIONS = [
    "Installer la vidéoprotection aux abords des écoles",
    "Équiper les écoles de tableaux numériques interactifs",
    "Renouveler le parc informatique de la mairie",
    "Déployer le wifi public dans le centre-bourg",
    "Créer un espace France services avec un conseiller numérique",
    "Raccorder les zones d'activités à la fibre optique",
]


def fr(value: float, digits: int = 0) -> str:
    return number_fr(value, digits, fixed=True)


def signed(value: float) -> str:
    return f"{'+' if value >= 0 else '−'}{fr(abs(value))}"


def median_of(func, runs: int) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds) of ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def resampled_csv(out: Path, count: int, referential, seed: int = 2026) -> int:
    """Write ``count`` DGCL rows resampled from the real lists, each at a random commune."""
    rows = []
    for path in SOURCES:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            header = next(reader)
            rows += [r for r in reader if len(r) == len(header) and r[8].strip()]
    communes = []
    for code in referential.territories:
        if code.startswith("COM:"):
            dep = (referential.department_of(code) or "")[4:]
            if dep:
                communes.append((code[4:], referential.territories[code].name, dep))
    rng = random.Random(seed)
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(header)
        for _ in range(count):
            year, dispositif, programme, _type, _siren, _dep, _name, _insee, title, cost, grant, rate = rng.choice(rows)
            insee, name, dep = rng.choice(communes)
            writer.writerow([year, dispositif, programme, "commune", "", dep.zfill(3), name, insee, title, cost,
                             grant, rate])
    return count


def bare_import(path: Path, db_path: Path) -> int:
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute(f"CREATE TABLE IF NOT EXISTS raw ({', '.join(f'c{i}' for i in range(12))})")
    db.execute("BEGIN")
    db.execute("DELETE FROM raw")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        db.executemany(f"INSERT INTO raw VALUES ({', '.join('?' * 12)})", reader)
    db.execute("COMMIT")
    db.close()
    return 0


def import_rates(csv_path: Path, work: Path, referential, rows: int, runs: int) -> dict:
    counter = iter(range(10_000))

    def ours():
        with laureates.LaureateStore(work / f"import-{next(counter)}.sqlite") as store:
            result = store.import_file(csv_path, resolver=laureates.Resolver(referential))
        assert result.imported >= rows * 0.99, result.errors[:3]

    wall, cpu = median_of(ours, runs)
    bare_wall, bare_cpu = median_of(lambda: bare_import(csv_path, work / "bare.sqlite"), runs)
    return {"wall": rows / wall, "cpu": rows / cpu, "bare_wall": rows / bare_wall, "bare_cpu": rows / bare_cpu}


def lookups(home: Path, plan, runs: int) -> dict:
    similar = SimilarProjects.open(home)
    texts = [action.text for action in plan.actions] + SHORT_ACTIONS
    applicant = plan.collectivite

    def ours(text):
        similar._cache.clear()  # every run scores; the memo only serves one action's repeated calls
        similar.search(text, applicant, top=5)
        similar.evidence(text, applicant)

    def bare(text):
        query = similar._query(text)
        match = "terms : (" + " OR ".join(f'"{term}"' for term in query) + ")"
        similar.db.execute("SELECT rowid, terms, zone, norm FROM similar_terms WHERE similar_terms MATCH ? "
                           f"ORDER BY bm25(similar_terms, 1.0, 0.0, 0.0) LIMIT {CANDIDATES['FR']}",
                           (match,)).fetchall()

    for text in texts:  # warm: pages read, document frequencies known
        ours(text)
        bare(text)
    per_action, per_action_cpu, baseline = [], [], []
    for text in texts:
        wall, cpu = median_of(lambda: ours(text), runs)
        per_action.append(wall * 1000)
        per_action_cpu.append(cpu * 1000)
        baseline.append(median_of(lambda: bare(text), runs)[0] * 1000)
    similar.close()
    return {"median": statistics.median(per_action), "max": max(per_action),
            "median_cpu": statistics.median(per_action_cpu), "bare": statistics.median(baseline),
            "actions": len(texts)}


def match_overhead(home_with: Path, home_without: Path, runs: int) -> dict:
    argv = [sys.executable, str(ROOT / "cli.py"), "match", str(PLAN_PATH), "--format", "json", "--top", "5",
            "--date", "2026-11-22"]

    def run(home):
        subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True,
                       env={**os.environ, "AIDENUM_HOME": str(home)})

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    for home in (home_with, home_without):
        run(home)  # index built, laureates index built: no run below rebuilds
    walls = {home_with: [], home_without: []}
    cpus = {home_with: [], home_without: []}
    for _ in range(runs):  # alternated, so a change of machine load falls on both
        for home in (home_without, home_with):
            before, started = children_cpu(), time.perf_counter()
            run(home)
            walls[home].append(time.perf_counter() - started)
            cpus[home].append(children_cpu() - before)
    median = statistics.median
    return {"with": median(walls[home_with]) * 1000, "without": median(walls[home_without]) * 1000,
            "with_cpu": median(cpus[home_with]) * 1000, "without_cpu": median(cpus[home_without]) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wall-runs", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="aidenum-bench-laureates-"))
    try:
        started = time.perf_counter()
        referential = territory.load()
        referential_seconds = time.perf_counter() - started
        csv_path = work / "dgcl-liste-projets-dotations-investissement-local-bench.csv"
        resampled_csv(csv_path, args.rows, referential)
        print(f"Cas : {fr(args.rows)} projets rééchantillonnés depuis les listes DGCL 2018, 2019, 2023, chacun "
              f"dans une commune tirée du référentiel ({fr(csv_path.stat().st_size / 1e6, 1)} Mo).")
        print(f"Médianes de {args.runs} exécutions ; machine : {os.cpu_count()} processeurs, charge "
              f"{os.getloadavg()[0]:.1f} (temps écoulé, et temps processeur entre parenthèses).")

        rates = import_rates(csv_path, work, referential, args.rows, args.runs)
        print(f"Import : {fr(rates['wall'])} lignes/s ({fr(rates['cpu'])}) ; référence csv + executemany brut : "
              f"{fr(rates['bare_wall'])} lignes/s ({fr(rates['bare_cpu'])}) ; chargement du référentiel "
              f"(une fois par commande) : {fr(referential_seconds, 2)} s")

        home_with, home_without = work / "home-with", work / "home-without"
        for home in (home_with, home_without):
            home.mkdir()
            subprocess.run([sys.executable, str(ROOT / "cli.py"), "catalogue", "import", str(REAL_CATALOGUE)],
                           cwd=ROOT, capture_output=True, check=True, env={**os.environ, "AIDENUM_HOME": str(home)})
        shutil.copy(work / "import-0.sqlite", home_with / laureates.DB_NAME)
        similar = SimilarProjects(home_with / laureates.DB_NAME)
        started = time.perf_counter()
        indexed = similar.ensure_index()
        print(f"Index des projets similaires : {fr(indexed)} projets en {fr(time.perf_counter() - started, 1)} s")
        similar.close()

        plan = load_plan(PLAN_PATH)
        found = lookups(home_with, plan, args.runs)
        print(f"Recherche par action (à chaud, {found['actions']} actions) : médiane {fr(found['median'], 1)} ms "
              f"({fr(found['median_cpu'], 1)}), pire {fr(found['max'], 1)} ms ; référence, une requête FTS5 nue : "
              f"{fr(found['bare'], 1)} ms")

        overhead = match_overhead(home_with, home_without, args.wall_runs)
        print(f"aidenum match (plan exemple, {len(plan.actions)} actions) : {fr(overhead['with'])} ms avec les "
              f"lauréats ({fr(overhead['with_cpu'])}), {fr(overhead['without'])} ms sans "
              f"({fr(overhead['without_cpu'])}) : {signed(overhead['with'] - overhead['without'])} ms "
              f"({signed(overhead['with_cpu'] - overhead['without_cpu'])} processeur)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
