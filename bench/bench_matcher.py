"""Matcher benchmark: index build rate, per-action latency, `aidenum match` wall time.

    .venv/bin/python bench/bench_matcher.py [--schemes 10000] [--runs 3] [--wall-runs 5]

Catalogue: 10,000 schemes resampled from the 274 real Aides-territoires aids of
``shared/data/aides-territoires/aides-territoires_periurbain.csv`` (each copy gets a new id and
a perimeter drawn from real départements/régions, so the territory filter has work to do).
Plan: the 12 actions of ``data/plans/plan-exemple.yaml`` plus 18 actions written below = 30.

Every figure is a median of several runs, printed next to baselines measured in the same
process:

- the reference path (``fast=False``): Whoosh analyses every occurrence of every word, scores
  through its own Term/Phrase matchers, and the filters read every scheme of the catalogue —
  the matcher as it was before its speed work, with identical results;
- the naive analyzer (words only, no filters), the evaluation baseline;
- ``aidenum --help`` (bare start-up) for the wall time.

Resampling repeats the real texts, so the build's per-word and short-value caches hit more
often than on a catalogue of distinct schemes: the build is also timed on the shipped real
catalogue (``data/catalogue.jsonl``, distinct schemes).
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aidenum.catalogue import store, territory  # noqa: E402
from aidenum.catalogue.aides_territoires import scheme_from_csv_row  # noqa: E402
from aidenum.catalogue.formatting import number_fr  # noqa: E402
from aidenum.matcher.engine import Matcher  # noqa: E402
from aidenum.matcher.plan import Action, load_plan  # noqa: E402

CSV_PATH = ROOT.parent / "shared" / "data" / "aides-territoires" / "aides-territoires_periurbain.csv"
REAL_CATALOGUE = ROOT / "data" / "catalogue.jsonl"
PLAN_PATH = ROOT / "data" / "plans" / "plan-exemple.yaml"
TODAY = dt.date(2026, 11, 22)
EXTRA_ACTIONS = [
    "Équiper les salles de classe de tableaux numériques interactifs",
    "Mettre en place un espace numérique de travail pour les écoles",
    "Renouveler le parc informatique des mairies",
    "Installer des bornes wifi dans les médiathèques",
    "Créer une application mobile citoyenne de signalement",
    "Lancer un budget participatif en ligne",
    "Mettre en place une gestion électronique des documents et un parapheur électronique",
    "Sensibiliser les agents à la cybersécurité et sauvegarder les données",
    "Déployer des capteurs connectés pour piloter l'éclairage public",
    "Former les secrétaires de mairie aux outils numériques",
    "Ouvrir une maison France services dans le bourg",
    "Numériser les archives communales",
    "Installer des cabines de téléconsultation en zone rurale",
    "Créer un fablab dans l'ancienne gare",
    "Aider les commerçants à vendre en ligne",
    "Raccorder les zones d'activités à la fibre optique",
    "Réaliser un schéma directeur du numérique intercommunal",
    "Mutualiser un délégué à la protection des données entre communes",
]


def resampled_schemes(count: int, seed: int = 2026):
    referential = territory.load()
    with open(CSV_PATH, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    real = [scheme_from_csv_row(row, line, referential) for line, row in enumerate(rows, start=2)]
    perimeters = ["FR"] * 6 + [c for c in referential.territories if c.startswith(("DEP:", "REG:"))]
    rng = random.Random(seed)
    out = []
    for i in range(count):
        base = real[i % len(real)] if i < len(real) else rng.choice(real)
        out.append(dataclasses.replace(base, id=f"{base.id}-{i}", perimeter=base.perimeter if i < len(real)
                                       else rng.choice(perimeters), raw=None))
    return out


def median_time(func, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def fr(value: float, digits: int = 0) -> str:
    return number_fr(value, digits, fixed=True)


def build_rates(home: Path, count: int, runs: int) -> dict[str, float]:
    rates = {}
    for label, mode, fast in (("fast", "full", True), ("reference", "full", False), ("naive", "naive", True)):
        matcher = Matcher(home, mode=mode, fast=fast)
        seconds, _ = median_time(lambda: matcher.ensure_index(force=True), runs)
        rates[label] = count / seconds
    return rates


def latencies(home: Path, plan, actions, runs: int, mode: str, fast: bool) -> dict[str, float]:
    """Cold first action (a new matcher: index, side file, referential, thesaurus, filters),
    then per action: its first run (postings read from the index) and the median of ``runs``.
    The first runs are also summed up over the example plan's actions alone: their long
    descriptions bring many words and thesaurus phrases, where the 18 one-line actions bring few."""
    matcher = Matcher(home, mode=mode, fast=fast)
    matcher.ensure_index()
    started = time.perf_counter()
    matcher.match_action(plan.collectivite, actions[0], today=TODAY)
    cold = time.perf_counter() - started
    first, repeated = [], []
    for action in actions[1:]:
        started = time.perf_counter()
        matcher.match_action(plan.collectivite, action, today=TODAY)
        first.append(time.perf_counter() - started)
    for action in actions:
        seconds, _ = median_time(lambda: matcher.match_action(plan.collectivite, action, today=TODAY), runs)
        repeated.append(seconds)
    long = first[:len(plan.actions) - 1]
    return {"cold": cold * 1000, "first": statistics.median(first) * 1000,
            "first_plan": statistics.median(long) * 1000, "repeated": statistics.median(repeated) * 1000}


def wall_times(home: Path, runs: int) -> dict[str, float]:
    def run(argv):
        return subprocess.run([sys.executable, str(ROOT / "cli.py"), *argv], cwd=ROOT, capture_output=True,
                              text=True, env={**os.environ, "AIDENUM_HOME": str(home)}, check=True)

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    match_argv = ["match", str(PLAN_PATH), "--format", "json", "--date", TODAY.isoformat()]
    run(match_argv)  # the index is up to date: no run below rebuilds it
    before = cpu()
    wall, _ = median_time(lambda: run(match_argv), runs)
    match_cpu = (cpu() - before) / runs
    before = cpu()
    bare, _ = median_time(lambda: run(["--help"]), runs)
    bare_cpu = (cpu() - before) / runs
    return {"match": wall, "match_cpu": match_cpu, "help": bare, "help_cpu": bare_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wall-runs", type=int, default=5)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="aidenum-bench-"))
    os.environ["AIDENUM_HOME"] = str(home)
    schemes = resampled_schemes(args.schemes)
    with store.Catalogue(home / store.DB_NAME) as cat:
        store.upsert_all(cat, "at", schemes)
    print(f"Catalogue : {len(schemes)} dispositifs rééchantillonnés depuis {CSV_PATH.name}")
    print(f"Chaque chiffre est une médiane de {args.runs} exécutions (temps écoulé ; machine : "
          f"{os.cpu_count()} processeurs, charge {os.getloadavg()[0]:.1f}).")

    rates = build_rates(home, len(schemes), args.runs)
    real_home = Path(tempfile.mkdtemp(prefix="aidenum-bench-real-"))
    from aidenum.catalogue.importers import import_file
    with store.Catalogue(real_home / store.DB_NAME) as cat:
        import_file(str(REAL_CATALOGUE), cat)
        real_count = cat.count()
    real = build_rates(real_home, real_count, args.runs)
    print(f"Construction de l'index : {fr(rates['fast'])} dispositifs/s vs {fr(rates['reference'])}/s "
          f"(chemin de référence) — objectif ≥ 500/s ; analyseur naïf : {fr(rates['naive'])}/s")
    print(f"  sur le catalogue réel ({real_count} dispositifs distincts, {REAL_CATALOGUE.name}) : "
          f"{fr(real['fast'])}/s vs {fr(real['reference'])}/s (référence)")

    plan = load_plan(PLAN_PATH)
    actions = list(plan.actions) + [Action(id=f"X{i}", titre=t) for i, t in enumerate(EXTRA_ACTIONS, 1)]
    assert len(actions) == 30
    fast = latencies(home, plan, actions, args.runs, "full", True)
    reference = latencies(home, plan, actions, args.runs, "full", False)
    naive = latencies(home, plan, actions, args.runs, "naive", True)
    print(f"Latence médiane par action (30 actions, complet : filtres + thésaurus) : {fr(fast['repeated'], 1)} ms "
          f"vs {fr(reference['repeated'], 1)} ms (référence) — objectif ≤ 20 ms ; "
          f"analyseur naïf : {fr(naive['repeated'], 1)} ms")
    print(f"  première exécution de chaque action (postings lus dans l'index) : {fr(fast['first'], 1)} ms "
          f"vs {fr(reference['first'], 1)} ms (référence) ; actions longues du plan exemple seules : "
          f"{fr(fast['first_plan'], 1)} ms vs {fr(reference['first_plan'], 1)} ms")
    print(f"  toute première action d'un processus (index, fichier annexe, référentiel, thésaurus, filtres) : "
          f"{fr(fast['cold'])} ms vs {fr(reference['cold'])} ms (référence)")

    wall = wall_times(home, args.wall_runs)
    print(f"aidenum match {PLAN_PATH.name} ({len(plan.actions)} actions, {len(schemes)} dispositifs, démarrage "
          f"compris, médiane de {args.wall_runs}) : {fr(wall['match'], 2)} s ({fr(wall['match_cpu'], 2)} s de "
          f"processeur) vs {fr(wall['help'], 2)} s ({fr(wall['help_cpu'], 2)} s) pour « aidenum --help » "
          "— objectif ≤ 1,5 s")
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(real_home, ignore_errors=True)


if __name__ == "__main__":
    main()
