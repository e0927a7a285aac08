"""How fast the web application answers, on loopback only.

Loads the shipped catalogue (data/catalogue.jsonl) and, as `make demo` does, the shipped funded
projects (data/laureates-dgcl.jsonl.gz) into a temporary AIDENUM_HOME, starts the real server
(`aidenum web`, waitress) on a free 127.0.0.1 port, stores the example plan through the API,
then measures:

- baseline: what the matches page computes, in this process — ``Matcher.match_action`` and the
  similar funded projects (search + evidence) for each action of the example plan (what the page
  cannot go below);
- matches page warm: GET /plans/N/actions/<id> for every action, ROUNDS rounds after one warm-up
  round: p50 and p95 (target: p95 <= 300 ms);
- load: USERS threads, each looping over the pages a chef de projet opens (home, matches, a
  filtered matches page, the catalogue, a scheme search, the API) for DURATION seconds (60 by
  default), every loop bounded in count too: requests, errors, throughput, p50/p95 of all
  requests and of the matches pages under load.

Run: .venv/bin/python bench/bench_web.py [--users 20] [--duration 60] [--rounds 10] [--sans-laureats]
Exit code 1 when a request failed or the warm p95 misses the target.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "plans" / "plan-exemple.yaml"
TARGET_P95_MS = 300
MAX_REQUESTS_PER_USER = 5000   # a hard stop besides the duration
TIMEOUT_S = 30


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} : HTTP {response.status}")
    return time.perf_counter() - start


def prepare_home(with_laureates: bool) -> Path:
    from aidenum.catalogue import importers, laureates, store
    from aidenum.matcher.engine import Matcher
    from aidenum.matcher.similar import SimilarProjects
    home = Path(tempfile.mkdtemp(prefix="aidenum-bench-web-"))
    with store.Catalogue(home / store.DB_NAME) as cat:
        importers.import_file(ROOT / "data" / "catalogue.jsonl", cat)
    Matcher(home).ensure_index()
    if with_laureates:
        with laureates.LaureateStore(home / laureates.DB_NAME) as funded:
            funded.import_file(laureates.SHIPPED_PATH)
        similar = SimilarProjects.open(home)  # builds its term index once, as `laureats import` does
        similar.close()
    return home


def baseline(home: Path, plan) -> list[float]:
    """The page's own computations, in this process: matches, then similar funded projects from
    one kept look-up (the web layer keeps one per server thread)."""
    from aidenum.matcher.engine import Matcher
    from aidenum.matcher.similar import SimilarProjects
    from aidenum.web.services import MATCH_DEPTH
    matcher = Matcher(home)
    similar = SimilarProjects.open(home)

    def page_work(action) -> None:
        matcher.match_action(plan.collectivite, action, top=MATCH_DEPTH)
        if similar is not None:
            similar.search(action.text, applicant=plan.collectivite, top=5)
            similar.evidence(action.text, applicant=plan.collectivite)

    try:
        for action in plan.actions:
            page_work(action)
        timings = []
        for action in plan.actions:  # warm, as the measured pages are (matcher and look-up caches kept)
            start = time.perf_counter()
            page_work(action)
            timings.append(time.perf_counter() - start)
    finally:
        if similar is not None:
            similar.close()
    return timings


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "aidenum.cli", "web", "--port", str(port)],
                               env=dict(os.environ, AIDENUM_HOME=str(home)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            get(base + "/")
            return process, base
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    process.kill()
    raise SystemExit("aidenum web n'a pas démarré")


def load(base: str, urls: list[str], users: int, duration: float) -> tuple[list[tuple[str, float]], list[str]]:
    """(url, seconds) of every answered request, and the failures."""
    timings: list[tuple[str, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def user(number: int) -> None:
        for index in range(MAX_REQUESTS_PER_USER):
            if time.monotonic() >= stop_at:
                return
            url = base + urls[(number + index) % len(urls)]
            try:
                elapsed = get(url)
            except Exception as error:  # noqa: BLE001 — counted and reported
                with lock:
                    errors.append(f"{url} : {error}")
                continue
            with lock:
                timings.append((urls[(number + index) % len(urls)], elapsed))

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + TIMEOUT_S * 2)
    return timings, errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--sans-laureats", dest="laureates", action="store_false",
                        help="sans les projets financés livrés (la page des correspondances ne les cherche pas)")
    args = parser.parse_args(argv)

    from aidenum.matcher.plan import load_plan
    plan = load_plan(EXAMPLE)
    home = prepare_home(args.laureates)
    try:
        return measure(args, plan, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(args, plan, home: Path) -> int:
    from aidenum.web import planio
    base_timings = baseline(home, plan)
    process, base = start_server(home)
    try:
        body = json.dumps(planio.document_of(plan)).encode()
        request = urllib.request.Request(base + "/api/plans", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            plan_id = json.load(response)["id"]
        pages = [f"/plans/{plan_id}/actions/{urllib.parse.quote(a.id)}" for a in plan.actions]
        for url in pages:  # warm-up round
            get(base + url)
        warm = [get(base + url) for _ in range(args.rounds) for url in pages]
        urls = ["/", *pages, f"/plans/{plan_id}/actions/A2?type=grant&exclusions=1", "/dispositifs",
                "/dispositifs?q=" + urllib.parse.quote("médiation numérique"), f"/plans/{plan_id}",
                f"/api/plans/{plan_id}/actions/A1/correspondances"]
        timings, errors = load(base, urls, args.users, args.duration)
    finally:
        process.terminate()
        process.wait(timeout=10)

    ms = lambda seconds: f"{seconds * 1000:.0f} ms"  # noqa: E731
    from aidenum.catalogue import laureates, store
    with store.Catalogue(home / store.DB_NAME) as cat:
        schemes = cat.count()
    funded = 0
    if args.laureates:
        with laureates.LaureateStore(home / laureates.DB_NAME) as projects:
            funded = projects.count()
    print(f"Catalogue : {schemes} dispositifs livrés ; {funded} projets financés ; "
          f"plan d'exemple : {len(plan.actions)} actions")
    print(f"baseline, calculs de la page dans ce processus (correspondances + projets financés)  "
          f"p50 {ms(statistics.median(base_timings))}, p95 {ms(percentile(base_timings, 0.95))}")
    p95 = percentile(warm, 0.95)
    print(f"page des correspondances, à chaud ({len(warm)} requêtes)  p50 {ms(statistics.median(warm))}, "
          f"p95 {ms(p95)} (objectif ≤ {TARGET_P95_MS} ms : {'atteint' if p95 * 1000 <= TARGET_P95_MS else 'MANQUÉ'})")
    total = len(timings) + len(errors)
    every = [seconds for _, seconds in timings]
    matches_pages = [seconds for url, seconds in timings if url in pages]
    print(f"charge : {args.users} utilisateurs pendant {args.duration:.0f} s — {total} requêtes, "
          f"{len(errors)} erreur(s), {total / args.duration:.1f} requêtes/s")
    for label, values in (("toutes les pages", every), ("pages des correspondances", matches_pages)):
        if values:
            print(f"  {label} ({len(values)})  p50 {ms(statistics.median(values))}, p95 {ms(percentile(values, 0.95))}")
    for error in errors[:5]:
        print(f"  erreur : {error}")
    return 1 if errors or p95 * 1000 > TARGET_P95_MS else 0


if __name__ == "__main__":
    sys.exit(main())
