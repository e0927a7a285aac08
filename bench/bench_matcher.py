"""Matcher benchmark: import + index rate, per-action ranking cost against tantivy, `aidenum match` wall.

    .venv/bin/python bench/bench_matcher.py [--schemes 10000] [--runs 3] [--wall-runs 5]
    make bench          # every bench/, after installing bench/requirements.txt (tantivy)

Reads only files of the repository. Catalogue: ``--schemes`` schemes resampled from the 274 real
Aides-territoires aids of ``tests/files/shared/aides-territoires/aides-territoires_periurbain.csv``:
each copy gets a new id, a perimeter drawn from real départements/régions (so the territory filter
has work to do) and two sentences of other real aids appended to its description (so the texts are
distinct, as in ``bench_catalogue.py``, and the build's caches are not flattered). Plan: the 12
actions of ``data/plans/plan-exemple.yaml`` plus the 18 one-line actions written below = 30.

Every figure is a median of several runs, printed next to baselines measured in the same process:

- import + index: ``aidenum catalogue import`` of the catalogue as JSONL into a fresh catalogue,
  then the index build (``Matcher.ensure_index``) — the reference path (``fast=False``: Whoosh
  analyses every occurrence of every word and writes through its own pool) next to it;
- per-action ranking: ``SchemeIndex.search`` of each action's query (every word and phrase in every
  field, BM25F, 200 best) with the postings read from the index (per-query caches dropped before
  each run), next to tantivy (Rust, from PyPI, a bench requirement only) searching an index of the
  same documents for the same words: the same analysed terms (our French analysis, given to
  tantivy already analysed), the same fields with the same weights, the same phrases, the same
  200 best. The whole ``match_action`` (query building, filters, explanations) is shown too;
- ``aidenum match`` of the 30-action plan in a new process, next to ``aidenum --help`` (start-up).
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
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

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aidenum.catalogue import store, territory  # noqa: E402
from aidenum.catalogue.aides_territoires import scheme_from_csv_row  # noqa: E402
from aidenum.catalogue.formatting import number_fr  # noqa: E402
from aidenum.catalogue.importers import import_file  # noqa: E402
from aidenum.catalogue.model import Scheme, SchemeError  # noqa: E402
from aidenum.matcher.analysis import analyze  # noqa: E402
from aidenum.matcher.engine import SEARCH_DEPTH, Matcher  # noqa: E402
from aidenum.matcher.index import FIELD_WEIGHTS, document  # noqa: E402
from aidenum.matcher.plans import Action, load_plan  # noqa: E402

CSV_PATH = ROOT / "tests" / "files" / "shared" / "aides-territoires" / "aides-territoires_periurbain.csv"
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
# targets of issue 10, point 4
TARGET_RATE, TARGET_WALL, TARGET_RATIO = 1000, 1.0, 50


def resampled_schemes(count: int, seed: int = 2026):
    referential = territory.load()
    with open(CSV_PATH, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    real = [scheme_from_csv_row(row, line, referential) for line, row in enumerate(rows, start=2)]
    pool = [s.strip() + "." for scheme in real for s in scheme.description.split(".") if len(s.strip()) > 30]
    perimeters = ["FR"] * 6 + [c for c in referential.territories if c.startswith(("DEP:", "REG:")) and _importable(c)]
    rng = random.Random(seed)
    out = []
    for i in range(count):
        if i < len(real):
            out.append(dataclasses.replace(real[i], id=f"{real[i].id}-{i}", raw=None))
            continue
        base = rng.choice(real)
        out.append(dataclasses.replace(base, id=f"{base.id}-{i}", perimeter=rng.choice(perimeters), raw=None,
                                       description=" ".join([base.description, *rng.sample(pool, 2)])))
    return out


def _importable(perimeter: str) -> bool:
    """The importer refuses a few codes of the referential (« REG:986 »): leave them out."""
    try:
        Scheme.from_dict({"id": "x:1", "source": "x", "title": "x", "perimeter": perimeter})
    except SchemeError:
        return False
    return True


def median_time(func, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def fr(value: float, digits: int = 0) -> str:
    return number_fr(value, digits, fixed=True)


# -- import + index -------------------------------------------------------------------------------

def import_and_index(jsonl: Path, count: int, runs: int, fast: bool) -> dict[str, float]:
    """Median seconds of the import and of the index build, each run into a fresh home."""
    imports, builds = [], []
    for _ in range(runs):
        home = Path(tempfile.mkdtemp(prefix="aidenum-bench-import-"))
        try:
            started = time.perf_counter()
            with store.Catalogue(home / store.DB_NAME) as cat:
                report = import_file(jsonl, cat)
            assert report.ok and report.counts["new"] == count, report.summary_fr()
            imported = time.perf_counter()
            Matcher(home, fast=fast).ensure_index()
            imports.append(imported - started)
            builds.append(time.perf_counter() - imported)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    total = [i + b for i, b in zip(imports, builds)]
    return {"import": count / statistics.median(imports), "index": count / statistics.median(builds),
            "total": count / statistics.median(total)}


# -- per-action ranking -----------------------------------------------------------------------------

def ranking_costs(home: Path, plan, actions, runs: int) -> dict[str, list[float]]:
    """Per action, milliseconds: the ranking (``SchemeIndex.search``, postings read from the index
    at every run), the whole ``match_action`` with warm caches, and tantivy on the same query."""
    matcher = Matcher(home)
    matcher.ensure_index()
    matcher.match_action(plan.collectivite, actions[0], today=TODAY)   # opens index, facts, thesaurus
    index = matcher.index
    queries = []
    for action in actions:
        text = " ".join(p for p in (action.titre, action.axe, action.description) if p)
        queries.append([p.query for p in matcher.build_query(text, action.titre)])
    ours, whole = [], []
    for action, parts in zip(actions, queries):
        def search():
            index.drop_query_caches()
            return index.search(parts, None, SEARCH_DEPTH)
        ours.append(median_time(search, runs)[0] * 1000)
        matcher.match_action(plan.collectivite, action, today=TODAY)
        whole.append(median_time(lambda: matcher.match_action(plan.collectivite, action, today=TODAY),
                                 runs)[0] * 1000)
    out = {"ours": ours, "match": whole}
    tantivy = TantivyBaseline.build(home)
    if tantivy is not None:
        out["tantivy"] = [median_time(lambda: tantivy.search(parts, SEARCH_DEPTH), runs)[0] * 1000
                          for parts in queries]
        out["tantivy_build"] = [tantivy.seconds]
    return out


class TantivyBaseline:
    """The same documents in a tantivy index: every field of ``index.document()`` analysed by our
    French analyzer (index mode, as the Whoosh index holds it) and given to tantivy as
    space-separated terms, so both engines hold the same terms at the same positions."""

    def __init__(self, index, schema, seconds: float):
        self.index, self.schema, self.seconds = index, schema, seconds
        self.searcher = index.searcher()

    @classmethod
    def build(cls, home: Path):
        try:
            import tantivy
        except ImportError:
            return None
        started = time.perf_counter()
        builder = tantivy.SchemaBuilder()
        for name in FIELD_WEIGHTS:
            builder.add_text_field(name, tokenizer_name="terms")
        schema = builder.build()
        index = tantivy.Index(schema, path=None)
        index.register_tokenizer("terms", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        writer = index.writer(heap_size=200_000_000, num_threads=1)   # one segment: docids in order
        with store.Catalogue(home / store.DB_NAME) as cat:
            for scheme in cat.all(without=("raw",)):
                fields = document(scheme)
                writer.add_document(tantivy.Document(**{name: " ".join(analyze(fields[name], mode="index"))
                                                        for name in FIELD_WEIGHTS}))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        return cls(index, schema, time.perf_counter() - started)

    def search(self, parts, limit: int):
        import tantivy
        clauses = []
        for part in parts:
            for name, field_weight in FIELD_WEIGHTS.items():
                query = tantivy.Query.term_query(self.schema, name, part.stems[0]) if len(part.stems) == 1 \
                    else tantivy.Query.phrase_query(self.schema, name, list(part.stems))
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, part.weight * field_weight)))
        hits = self.searcher.search(tantivy.Query.boolean_query(clauses), limit).hits
        return [(address.doc, score) for score, address in hits]


# -- wall time ----------------------------------------------------------------------------------------

def wall_times(home: Path, plan_path: Path, runs: int) -> dict[str, float]:
    def run(argv):
        return subprocess.run([sys.executable, str(ROOT / "cli.py"), *argv], cwd=ROOT, capture_output=True,
                              text=True, env={**os.environ, "AIDENUM_HOME": str(home)}, check=True)

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    out = {}
    for label, argv in (("json", ["match", str(plan_path), "--format", "json", "--date", TODAY.isoformat()]),
                        ("texte", ["match", str(plan_path), "--date", TODAY.isoformat()]),
                        ("help", ["--help"])):
        run(argv)  # the index is up to date: no run below rebuilds it
        before = cpu()
        out[label], _ = median_time(lambda: run(argv), runs)
        out[label + "_cpu"] = (cpu() - before) / runs
    return out


def thirty_action_plan(path: Path) -> Path:
    data = yaml.safe_load(PLAN_PATH.read_text(encoding="utf-8"))
    data["actions"] += [{"id": f"X{i}", "titre": t} for i, t in enumerate(EXTRA_ACTIONS, 1)]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wall-runs", type=int, default=5)
    parser.add_argument("--reference-runs", type=int, default=1,
                        help="runs of the (slow) reference build")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="aidenum-bench-"))
    home = work / "home"
    home.mkdir()
    os.environ["AIDENUM_HOME"] = str(home)
    schemes = resampled_schemes(args.schemes)
    jsonl = work / "catalogue.jsonl"
    jsonl.write_text("".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in schemes), encoding="utf-8")
    count = len(schemes)
    print(f"Catalogue : {count} dispositifs rééchantillonnés depuis {CSV_PATH.name} (textes distincts)")
    print(f"Médianes de {args.runs} exécutions (temps écoulé ; machine : {os.cpu_count()} processeurs, "
          f"charge {os.getloadavg()[0]:.1f}).")

    fast = import_and_index(jsonl, count, args.runs, fast=True)
    reference = import_and_index(jsonl, count, args.reference_runs, fast=False)
    print(f"Import + index : {fr(fast['total'])} dispositifs/s (import {fr(fast['import'])}/s, index "
          f"{fr(fast['index'])}/s) vs {fr(reference['total'])}/s (chemin de référence, index "
          f"{fr(reference['index'])}/s) — objectif ≥ {fr(TARGET_RATE)}/s")
    real_count = sum(1 for line in REAL_CATALOGUE.read_text(encoding="utf-8").splitlines() if line.strip())
    real = import_and_index(REAL_CATALOGUE, real_count, args.runs, fast=True)
    print(f"  catalogue réel ({real_count} dispositifs, {REAL_CATALOGUE.name}) : {fr(real['total'])}/s "
          f"(import {fr(real['import'])}/s, index {fr(real['index'])}/s)")

    with store.Catalogue(home / store.DB_NAME) as cat:
        import_file(jsonl, cat)
    plan = load_plan(PLAN_PATH)
    actions = list(plan.actions) + [Action(id=f"X{i}", titre=t) for i, t in enumerate(EXTRA_ACTIONS, 1)]
    assert len(actions) == 30
    costs = ranking_costs(home, plan, actions, args.runs)
    ours, whole = statistics.median(costs["ours"]), statistics.median(costs["match"])
    line = f"Classement par action (30 actions, médiane) : {fr(ours, 1)} ms"
    if "tantivy" in costs:
        theirs = statistics.median(costs["tantivy"])
        ratios = [a / b for a, b in zip(costs["ours"], costs["tantivy"])]
        line += (f" vs {fr(theirs, 2)} ms pour tantivy (mêmes documents, mêmes termes) : rapport "
                 f"{fr(ours / theirs, 0)} × (médiane des rapports par action {fr(statistics.median(ratios), 0)} ×, "
                 f"pire {fr(max(ratios), 0)} ×) — objectif ≤ {TARGET_RATIO} ×; index tantivy construit en "
                 f"{fr(costs['tantivy_build'][0], 1)} s")
    else:
        line += " (tantivy absent : pip install -r bench/requirements.txt)"
    print(line)
    print(f"  match_action complet (requête, filtres, explications ; caches chauds) : {fr(whole, 1)} ms")

    plan_path = thirty_action_plan(work / "plan-30.yaml")
    wall = wall_times(home, plan_path, args.wall_runs)
    print(f"aidenum match (30 actions, {count} dispositifs, démarrage compris, médiane de "
          f"{args.wall_runs}) : JSON {fr(wall['json'], 2)} s ({fr(wall['json_cpu'], 2)} s de processeur), "
          f"tableau {fr(wall['texte'], 2)} s ({fr(wall['texte_cpu'], 2)} s) vs {fr(wall['help'], 2)} s "
          f"({fr(wall['help_cpu'], 2)} s) pour « aidenum --help » — objectif ≤ {fr(TARGET_WALL, 1)} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
