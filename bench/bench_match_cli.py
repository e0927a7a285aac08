"""`aidenum match` of a 30-action plan, start-up included: wall median against `python -c pass`.

    .venv/bin/python bench/bench_match_cli.py [--schemes 10000] [--runs 7] [--home DIR]

Home: ``--schemes`` schemes resampled from the real Aides-territoires aids (the catalogue of
``bench_matcher.py``), imported and indexed, and the shipped DGCL laureates loaded (the first
``aidenum match`` loads them, as for a user). ``--home`` reuses such a home (built once, kept).

Plan (30 actions, real shapes, nothing invented here): the collectivité and the 12 actions of
``data/plans/plan-exemple.yaml``, then the first 18 actions (title + description) of the profiles of
``data/eval/gold.yaml``, in file order.

Printed, each a median over ``--runs`` subprocesses run alternately in this process:
- wall of ``aidenum match PLAN --format json`` (``python cli.py``, as the installed script does);
- wall of ``python -c pass`` (interpreter start-up, the floor) and of ``aidenum --help``;
- the per-phase split, measured in a child that runs the command's own steps with a clock between
  them: imports (the command line and what ``match`` imports at its start), plan loading (with the
  territory referential, read once per process), opening the matcher (catalogue, index, laureates),
  first action, the 29 others, the JSON rendering.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PLAN_PATH = ROOT / "data" / "plans" / "plan-exemple.yaml"
GOLD_PATH = ROOT / "data" / "eval" / "gold.yaml"
TODAY = "2026-11-22"
ACTIONS = 30
TARGET_WALL = 1.0  # issue 10, point 4

# The child of the phase split: the steps of commands/match.py `match`, a clock between them.
PHASES = r"""
import sys, time, json
t0 = time.perf_counter()
from aidenum.commands import match as m
from aidenum import cli  # noqa: F401  the whole command line, as `aidenum` imports it
from aidenum.matcher.plans import load_plan  # imported by `match` itself, at its start
from aidenum.matcher.report import ActionResult
from aidenum.commands import common
import datetime as dt
common.collect_cycles_less_often()  # as cli.main does
t1 = time.perf_counter()
today = dt.date.fromisoformat(sys.argv[2])
plan = load_plan(sys.argv[1])
t2 = time.perf_counter()
matcher = m._matcher()
similar = matcher.similar
t3 = time.perf_counter()
sections, marks = [], []
for action in plan.actions:
    matches = matcher.match_action(plan.collectivite, action, top=10, include_closed=False, today=today)
    sections.append(ActionResult(action.id, action.titre, matches, action.axe, action.description,
                                 action.budget_ht, []))
    m._add_similar(sections[-1], similar, plan.collectivite, action)
    marks.append(time.perf_counter())
text = m._render(sections, "json", today, "x", "")
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "plan": t2 - t1, "open": t3 - t2, "first": marks[0] - t3,
                  "others": marks[-1] - marks[0], "render": t4 - marks[-1]}))
"""


def thirty_action_plan(path: Path) -> Path:
    plan = yaml.safe_load(PLAN_PATH.read_text(encoding="utf-8"))
    gold = yaml.safe_load(GOLD_PATH.read_text(encoding="utf-8"))
    extra = [{"id": f"G-{a['id']}", "titre": a["titre"], "description": a.get("description", "")}
             for profile in gold["profiles"] for a in profile["actions"]]
    plan["actions"] = plan["actions"] + extra[:ACTIONS - len(plan["actions"])]
    assert len(plan["actions"]) == ACTIONS
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def build_home(home: Path, schemes: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    from bench_matcher import resampled_schemes  # the same resampled catalogue
    jsonl = home / "bench-catalogue.jsonl"
    jsonl.write_text("".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in resampled_schemes(schemes)),
                     encoding="utf-8")
    cli(home, "catalogue", "import", str(jsonl))
    cli(home, "index")
    jsonl.unlink()


def cli(home: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *argv], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "AIDENUM_HOME": str(home)}, check=True)


def timed(argv: list[str], home: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, capture_output=True, check=True, env={**os.environ, "AIDENUM_HOME": str(home)})
    return time.perf_counter() - started


def fr(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--home", type=Path, help="home to reuse (built there when empty)")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="aidenum-bench-match-"))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "catalogue.sqlite").exists() and not any(home.glob("*.sqlite*")):
        build_home(home, args.schemes)
    plan = thirty_action_plan(home / "plan-30.yaml")
    match = [sys.executable, str(ROOT / "cli.py"), "match", str(plan), "--format", "json", "--date", TODAY]
    cli(home, "match", str(plan), "--format", "json", "--date", TODAY)  # loads the laureates once, warms the OS cache
    commands = {"match": match, "pass": [sys.executable, "-c", "pass"],
                "help": [sys.executable, str(ROOT / "cli.py"), "--help"]}
    walls = {name: [] for name in commands}
    phases = []
    for _ in range(args.runs):
        for name, argv in commands.items():
            walls[name].append(timed(argv, home))
        out = subprocess.run([sys.executable, "-c", PHASES, str(plan), TODAY], cwd=ROOT, capture_output=True,
                             text=True, check=True, env={**os.environ, "AIDENUM_HOME": str(home)})
        phases.append(json.loads(out.stdout.strip().splitlines()[-1]))
    median = {name: statistics.median(values) for name, values in walls.items()}
    print(f"aidenum match ({ACTIONS} actions, home {home}, médianes de {args.runs} ; machine : "
          f"{os.cpu_count()} processeurs, charge {os.getloadavg()[0]:.1f})")
    print(f"  match --format json : {fr(median['match'])} s (objectif ≤ {fr(TARGET_WALL, 1)} s) ; "
          f"python -c pass : {fr(median['pass'])} s ; aidenum --help : {fr(median['help'])} s ; "
          f"match moins python : {fr(median['match'] - median['pass'])} s")
    split = {key: statistics.median(p[key] for p in phases) * 1000 for key in phases[0]}
    print("  phases (ms) : " + " ; ".join(f"{key} {fr(value, 0)}" for key, value in split.items())
          + f" ; par action ensuite {fr(split['others'] / (ACTIONS - 1), 1)}")


if __name__ == "__main__":
    main()
