"""Crawl benchmark: pages per second on a loopback mirror of 2,000 pages, and the time from crawl
start to an updated search index.

The mirror (40 listing pages + 1,960 scheme pages generated from the demo préfecture templates of
tests/crawl_helpers.py) is served by a threaded http.server in this process; the crawl runs
`aidenum crawl demo_prefecture` in a subprocess with politeness off (no delay, no AutoThrottle,
32 concurrent requests) but robots.txt still obeyed and every pipeline on (normalise, validate,
dedupe, one catalogue transaction). Baseline measured in the same process on the same pages: a
plain sequential urllib fetch loop (download only, no parsing, no storage).

    .venv/bin/python bench/bench_crawl.py [--runs 3] [--pages 2000]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from crawl_helpers import FAST_SETTINGS, Mirror, demo_site, generated_schemes, run_aidenum  # noqa: E402

PER_PAGE = 50
BENCH_SETTINGS = dict(FAST_SETTINGS, CONCURRENT_REQUESTS="32", CONCURRENT_REQUESTS_PER_DOMAIN="32",
                      DOWNLOAD_TIMEOUT="30", SPIDER_MODULES="aidenum.spiders.spiders,crawl_demo_spider")


def build_site(total_pages: int) -> dict[str, str]:
    details = total_pages - -(-total_pages // (PER_PAGE + 1))  # listings take one page in PER_PAGE + 1
    site = demo_site(generated_schemes(details), per_page=PER_PAGE)
    return site


def baseline(mirror: Mirror, paths: list[str]) -> float:
    """Pages per second of a sequential urllib loop over the same pages."""
    start = time.perf_counter()
    for path in paths:
        with urllib.request.urlopen(mirror.url(path), timeout=10) as response:
            response.read()
    return len(paths) / (time.perf_counter() - start)


def crawl_once(mirror: Mirror, with_index: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as folder:
        home = Path(folder)
        args = ["crawl", "demo_prefecture", "--start-url", mirror.url("/aides")]
        for name, value in BENCH_SETTINGS.items():
            args += ["--set", f"{name}={value}"]
        hits_before = sum(mirror.hits.values())
        start = time.perf_counter()
        result = run_aidenum(args, home, timeout=600)
        crawl_wall = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"la collecte a échoué :\n{result.stdout}\n{result.stderr}")
        status = json.loads((home / "status" / "demo_prefecture.json").read_text(encoding="utf-8"))
        out = {"pages": sum(mirror.hits.values()) - hits_before - 1,  # minus robots.txt
               "schemes": status["counts"].get("new", 0), "crawl_wall": crawl_wall,
               "spider_seconds": status["elapsed_seconds"]}
        if with_index:
            indexed = run_aidenum(["index"], home, timeout=600)
            out["index_ok"] = indexed.returncode == 0
            out["index_message"] = (indexed.stdout or indexed.stderr).strip().splitlines()[-1:] or [""]
            out["to_index"] = time.perf_counter() - start
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=2000)
    options = parser.parse_args()

    site = build_site(options.pages)
    with Mirror(site) as mirror:
        paths = list(site)
        print(f"Miroir local : {len(paths)} pages ({sum(1 for p in paths if '?' in p or p == '/aides')} listes), "
              f"{options.runs} mesures de chaque")
        base = [baseline(mirror, paths) for _ in range(options.runs)]
        has_index = run_aidenum(["index", "--help"], Path(tempfile.gettempdir())).returncode == 0
        runs = [crawl_once(mirror, has_index) for _ in range(options.runs)]

    base_rate = statistics.median(base)
    spider_rate = statistics.median(r["pages"] / r["spider_seconds"] for r in runs)
    wall_rate = statistics.median(r["pages"] / r["crawl_wall"] for r in runs)
    print(f"référence urllib séquentielle (téléchargement seul) : {base_rate:7.0f} pages/s (médiane)")
    print(f"aidenum crawl, araignée + pipelines + catalogue       : {spider_rate:7.0f} pages/s (médiane), "
          f"x{spider_rate / base_rate:.2f} la référence")
    print(f"aidenum crawl, commande entière (démarrage compris)   : {wall_rate:7.0f} pages/s (médiane)")
    print(f"pages lues par collecte : {runs[0]['pages']}, fiches enregistrées : {runs[0]['schemes']}")
    print(f"durée de la commande crawl : médiane {statistics.median(r['crawl_wall'] for r in runs):.2f} s")
    if has_index:
        ok = all(r["index_ok"] for r in runs)
        print(f"du début de la collecte à l'index à jour (crawl + aidenum index) : médiane "
              f"{statistics.median(r['to_index'] for r in runs):.2f} s"
              + ("" if ok else f" — ÉCHEC de aidenum index : {runs[0]['index_message'][0]}"))
    else:
        print("aidenum index n'existe pas encore : durée jusqu'à l'index non mesurée")
    goal = 100
    print(f"objectif ≥ {goal} pages/s : {'atteint' if spider_rate >= goal else 'NON atteint'}")


if __name__ == "__main__":
    main()
