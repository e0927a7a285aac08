"""Matcher benchmark: index build rate, per-action latency, `aidenum match` wall time.

    .venv/bin/python bench/bench_matcher.py [--schemes 10000] [--runs 3]

Catalogue: 10,000 schemes resampled from the 274 real Aides-territoires aids of
``shared/data/aides-territoires/aides-territoires_periurbain.csv`` (each copy gets a new id and
a perimeter drawn from real départements/régions, so the territory filter has work to do).
Plan: the 12 actions of ``data/plans/plan-exemple.yaml`` plus 18 actions written below = 30.

Every figure is the median of ``--runs`` runs, printed next to a baseline measured in the
same process: the naive analyzer (words only) for the build and the latency, and
``aidenum --help`` (bare start-up) for the wall time.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
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

from catalogue import store, territory  # noqa: E402
from catalogue.aides_territoires import scheme_from_csv_row  # noqa: E402
from matcher.engine import Matcher  # noqa: E402
from matcher.plan import Action, load_plan  # noqa: E402

CSV_PATH = ROOT.parent / "shared" / "data" / "aides-territoires" / "aides-territoires_periurbain.csv"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="aidenum-bench-"))
    os.environ["AIDENUM_HOME"] = str(home)
    schemes = resampled_schemes(args.schemes)
    with store.Catalogue(home / store.DB_NAME) as cat:
        store.upsert_all(cat, "at", schemes)
    print(f"Catalogue : {len(schemes)} dispositifs rééchantillonnés depuis {CSV_PATH.name} ({home})")

    figures = {}
    for mode in ("naive", "full"):
        matcher = Matcher(home, mode=mode)
        seconds, result = median_time(lambda: matcher.ensure_index(force=True), args.runs)
        figures[mode] = len(schemes) / seconds
    print(f"Construction de l'index : {figures['full']:,.0f} dispositifs/s (analyseur français) "
          f"vs {figures['naive']:,.0f}/s (référence naïve) — objectif ≥ 500/s".replace(",", " "))

    plan = load_plan(PLAN_PATH)
    actions = list(plan.actions) + [Action(id=f"X{i}", titre=t) for i, t in enumerate(EXTRA_ACTIONS, 1)]
    assert len(actions) == 30
    latency = {}
    for mode in ("naive", "full"):
        matcher = Matcher(home, mode=mode)
        matcher.ensure_index()
        matcher.match_action(plan.collectivite, actions[0], today=TODAY)   # load schemes, thesaurus, filters
        per_action = []
        for action in actions:
            seconds, _ = median_time(lambda: matcher.match_action(plan.collectivite, action, today=TODAY), args.runs)
            per_action.append(seconds)
        latency[mode] = statistics.median(per_action) * 1000
    print(f"Latence médiane par action : {latency['full']:.1f} ms (complet : filtres + thésaurus) "
          f"vs {latency['naive']:.1f} ms (référence naïve) — objectif ≤ 20 ms")

    def run(argv):
        return subprocess.run([sys.executable, str(ROOT / "cli.py"), *argv], cwd=ROOT, capture_output=True,
                              text=True, env={**os.environ, "AIDENUM_HOME": str(home)}, check=True)
    wall, _ = median_time(lambda: run(["match", str(PLAN_PATH), "--format", "json", "--date", TODAY.isoformat()]),
                          args.runs)
    bare, _ = median_time(lambda: run(["--help"]), args.runs)
    print(f"aidenum match {PLAN_PATH.name} ({len(plan.actions)} actions, {len(schemes)} dispositifs, démarrage "
          f"compris) : {wall:.2f} s vs {bare:.2f} s pour « aidenum --help » — objectif ≤ 1,5 s")


if __name__ == "__main__":
    main()
