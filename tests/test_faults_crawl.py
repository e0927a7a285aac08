"""Fault matrix of the crawl (issue 15, point 3 and the Ctrl-C of point 10), end to end: ``aidenum
crawl`` in a subprocess against a loopback copy of the source (tests/crawl_helpers.py), each case
asserting the exit code, the French report, no Python traceback and the catalogue intact.

The bounds are the real ones of the spiders (``custom_settings``, spiders/limits.py), lowered
through the documented ``--set`` developer setting so that a test reads tens of pages instead of
hundreds; the report must name the bound that stopped the crawl.

"Catalogue intact": the catalogue is first filled by a clean crawl of the same source; after the
faulty crawl every scheme it held is still there and still open (a partial run closes nothing),
and the new run is recorded as incomplete.
"""
from __future__ import annotations

import copy
import fcntl
import gzip
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import crawl_helpers
from crawl_helpers import (BDT_FILES, FAST_SETTINGS, FILES_AT, PYTHON, ROOT, TESTS, Mirror, Page, catalogue_rows,
                           crawl, free_port, runs, status)

pytestmark = pytest.mark.slow

KEY = "cle-de-test-0123"
AT_API_2025 = FILES_AT / "api-2025"
FAST_BACKOFF = {"AT_BACKOFF_SECONDS": "0.05"}
FIRST_PAGE = "/api/aids/?itemsPerPage=100"
PVD = "/petites-villes-de-demain"
PVD_ID = "bdt:petites-villes-de-demain"
# what the issue counted: a listing of 5,000 links
LISTING_LINKS = 5000


# -- shared assertions -----------------------------------------------------------------------------
def assert_clean(result, code: int) -> str:
    """Exit code, and nothing a user should never see; returns stdout + stderr."""
    out = result.stdout + result.stderr
    assert result.returncode == code, (result.returncode, result.stdout[-3000:], result.stderr[-3000:])
    assert "Traceback" not in out and "ReactorNotRunning" not in out, out[-3000:]
    return out


def assert_intact(home: Path, before: dict[str, dict]) -> dict[str, dict]:
    """Every scheme of ``before`` is still in the catalogue, still open; the last run is incomplete."""
    after = catalogue_rows(home)
    assert set(before) <= set(after), set(before) - set(after)
    assert [sid for sid in before if after[sid]["closed_at"] is not None] == []
    assert sum(row["closed_at"] is not None for row in after.values()) == 0
    assert runs(home)[-1]["complete"] is False
    assert not runs(home)[-1]["counts"].get("closed")
    return after


# -- Aides-territoires: an API whose « next » never ends -------------------------------------------
def _api_page(name: str) -> dict:
    return json.loads((AT_API_2025 / name).read_text(encoding="utf-8"))


def _absolute(path: str) -> str:
    """``next`` as the real API writes it: absolute, on its own host (the spider keeps our mirror)."""
    return "https://aides-territoires.beta.gouv.fr" + path


def at_mirror(pages: dict[str, dict] | None = None) -> Mirror:
    """The 2024-2026 API shape: token exchange, then pages of aids by path (JSON documents)."""
    if pages is None:
        pages = {FIRST_PAGE: _api_page("aids-page-1.json"), f"{FIRST_PAGE}&page=2": _api_page("aids-page-2.json")}
    served = {"/api/connexion/": Page((FILES_AT / "connexion.json").read_bytes(), "application/json")}
    for path, document in pages.items():
        served[path] = Page(json.dumps(document, ensure_ascii=False).encode("utf-8"), "application/json")
    return Mirror(served)


def crawl_at(home: Path, mirror: Mirror, settings: dict | None = None, timeout: float = 60):
    return crawl(home, "at", mirror.url("/api/"), settings=dict(FAST_BACKOFF, **(settings or {})),
                 env={"AIDES_TERRITOIRES_API_KEY": KEY}, timeout=timeout)


def seeded_at(home: Path) -> dict[str, dict]:
    with at_mirror() as mirror:
        result = crawl_at(home, mirror)
    assert_clean(result, 0)
    rows = catalogue_rows(home)
    assert sorted(rows) == ["at:162", "at:338", "at:650"]
    return rows


def endless_pages(count: int | None, pages: int = 60) -> dict[str, dict]:
    """Page n's ``next`` is page n+1, always a new page with one new aid: a chain that never ends
    (``pages`` are served; a spider that did not stop would then fail on a 404, not hang)."""
    template = _api_page("aids-page-1.json")["results"][0]
    out = {}
    for number in range(1, pages + 1):
        record = copy.deepcopy(template)
        record["id"] = 900000 + number
        record["name"] = f"{template['name']} (page {number})"
        record["slug"] = f"{template.get('slug', 'aide')}-{number}"
        path = FIRST_PAGE if number == 1 else f"{FIRST_PAGE}&page={number}"
        out[path] = {"count": count, "previous": None, "next": _absolute(f"{FIRST_PAGE}&page={number + 1}"),
                     "results": [record]}
    return out


def aid_page_hits(mirror: Mirror) -> int:
    return sum(n for path, n in mirror.hits.items() if path.startswith("/api/aids/"))


@pytest.mark.parametrize("target", ["first-page", "itself"])
def test_api_next_loop_stops_as_partial_and_names_the_loop(aidenum_home, target):
    before = seeded_at(aidenum_home)
    last = _api_page("aids-page-2.json")
    loop_to = FIRST_PAGE if target == "first-page" else f"{FIRST_PAGE}&page=2"
    last["next"] = _absolute(loop_to)
    with at_mirror({FIRST_PAGE: _api_page("aids-page-1.json"), f"{FIRST_PAGE}&page=2": last}) as mirror:
        started = time.monotonic()
        result = crawl_at(aidenum_home, mirror)
        elapsed = time.monotonic() - started
        hits = aid_page_hits(mirror)
    assert_clean(result, 1)
    assert hits == 2                     # each page read once, the loop not followed
    report = status(aidenum_home, "at")
    assert report["status"] == "partial" and report["complete"] is False
    assert [limit for limit in report["limits"] if "boucle de pagination" in limit] == [
        f"boucle de pagination : « next » renvoie vers une page déjà lue ({mirror.url(loop_to)})"]
    assert "arrêtée par une limite : boucle de pagination" in result.stdout
    assert "collecte partielle" in result.stdout and "aucune fiche n'a été clôturée" in result.stdout
    assert "Erreur : 1 source(s) en échec ou partielle(s) : at" in result.stderr
    after = assert_intact(aidenum_home, before)
    assert sorted(after) == sorted(before)
    assert elapsed < 30


@pytest.mark.parametrize("count, limit, sentence", [
    (None, 5, "limite de 5 pages de l'API atteinte (AT_MAX_PAGES)"),
    (3, 200, "l'API annonce 1 page(s) d'aides mais « next » continue au-delà"),
], ids=["no-count-page-cap", "past-the-announced-count"])
def test_api_next_chain_without_end_stops_at_its_limit(aidenum_home, count, limit, sentence):
    before = seeded_at(aidenum_home)
    with at_mirror(endless_pages(count)) as mirror:
        result = crawl_at(aidenum_home, mirror, settings={"AT_MAX_PAGES": str(limit)})
        hits = aid_page_hits(mirror)
    assert_clean(result, 1)
    expected_pages = 5 if count is None else 3      # the cap, or the announced page + 2 of slack
    assert hits == expected_pages
    report = status(aidenum_home, "at")
    assert report["status"] == "partial" and report["items_valid"] == expected_pages
    assert any(limit_text.startswith(sentence) for limit_text in report["limits"]), report["limits"]
    assert f"arrêtée par une limite : {sentence}" in result.stdout
    after = assert_intact(aidenum_home, before)
    assert len(after) == len(before) + expected_pages          # the pages read are kept


WEEKLY = ROOT / "deploy" / "weekly.sh"


def test_weekly_job_on_an_endless_api_ends_and_releases_its_lock(aidenum_home, tmp_path):
    """The issue's worst case: under the weekly job a runaway crawl held the lock for weeks."""
    before = seeded_at(aidenum_home)
    lock = tmp_path / "weekly.lock"
    with at_mirror(endless_pages(None)) as mirror:
        settings = " ".join(f"--set {name}={value}"
                            for name, value in dict(FAST_SETTINGS, **FAST_BACKOFF, AT_MAX_PAGES="5").items())
        wrapper = tmp_path / "aidenum"
        # the real command; only `crawl` is pointed at the loopback API
        wrapper.write_text("#!/usr/bin/env bash\n"
                           f'if [ "$1" = crawl ]; then exec {PYTHON} {ROOT / "cli.py"} crawl at '
                           f'--start-url {mirror.url("/api/")} {settings}; fi\n'
                           f'exec {PYTHON} {ROOT / "cli.py"} "$@"\n')
        wrapper.chmod(0o755)
        env = dict(os.environ, AIDENUM_HOME=str(aidenum_home), AIDENUM_BIN=str(wrapper), AIDENUM_LOCK=str(lock),
                   AIDES_TERRITOIRES_API_KEY=KEY, PYTHONPATH=os.pathsep.join([str(ROOT), str(TESTS)]))
        env.pop("AIDENUM_PLAN", None)
        result = subprocess.run(["bash", str(WEEKLY)], env=env, capture_output=True, text=True, timeout=120,
                                cwd=str(aidenum_home))
        hits = aid_page_hits(mirror)
    out = assert_clean(result, 1)
    assert hits == 5
    assert "arrêtée par une limite : limite de 5 pages de l'API atteinte (AT_MAX_PAGES)" in out
    assert "Collecte incomplète" in result.stdout and "Veille terminée (code 1)" in result.stdout
    with lock.open("a") as handle:           # nobody holds it any more
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert_intact(aidenum_home, before)


# -- Banque des Territoires: a listing with 5,000 links --------------------------------------------
@pytest.fixture
def site_port():
    """A fixed port per test: the site keeps its address between the seeding crawl and the next."""
    return free_port()


def bdt_mirror(port: int) -> Mirror:
    return crawl_helpers.bdt_mirror(port=port)


def crawl_bdt(home: Path, mirror: Mirror, settings: dict | None = None, timeout: float = 60):
    return crawl(home, "bdt", mirror.url("/dispositifs-nationaux"), settings=settings, timeout=timeout)


def seeded_bdt(home: Path, port: int) -> dict[str, dict]:
    with bdt_mirror(port) as mirror:
        result = crawl_bdt(home, mirror)
    assert_clean(result, 0)
    rows = catalogue_rows(home)
    assert len(rows) == len(crawl_helpers.BDT_DETAILS)
    return rows


GENERATED = "/dispositif-genere-"


def with_many_links(mirror: Mirror, links: int = LISTING_LINKS) -> None:
    """The first listing page gains ``links`` cards, each to its own (served) scheme page."""
    listing = mirror.pages["/dispositifs-nationaux"].body.decode("utf-8")
    card = re.search(r'<article class="card-o[^"]*"[^>]*>(?:(?!</article>).)*</article>', listing, flags=re.S)
    assert card and PVD in card.group(0)
    cards = "\n".join(card.group(0).replace(PVD, f"{GENERATED}{n:04d}")
                      .replace("Petites villes de demain", f"Dispositif généré {n}") for n in range(links))
    mirror.add("/dispositifs-nationaux", listing.replace(card.group(0), card.group(0) + cards, 1))
    detail = mirror.pages[PVD]
    for n in range(links):
        mirror.pages[f"{GENERATED}{n:04d}"] = detail


def generated_hits(mirror: Mirror) -> int:
    return sum(n for path, n in mirror.hits.items() if path.startswith(GENERATED))


def test_listing_with_5000_links_stops_at_the_page_limit(aidenum_home, site_port):
    before = seeded_bdt(aidenum_home, site_port)
    with bdt_mirror(site_port) as mirror:
        with_many_links(mirror)
        result = crawl_bdt(aidenum_home, mirror, settings={"CLOSESPIDER_PAGECOUNT": "30"})
        read = generated_hits(mirror)
    assert_clean(result, 1)
    assert 0 < read < 100          # stopped near its cap (pages in flight finish), not after 5,000
    report = status(aidenum_home, "bdt")
    assert report["limits"] == ["limite de 30 pages atteinte (CLOSESPIDER_PAGECOUNT)"]
    assert report["status"] == "partial" and report["finish_reason"] == "closespider_pagecount"
    assert "arrêtée par une limite : limite de 30 pages atteinte (CLOSESPIDER_PAGECOUNT)" in result.stdout
    assert "collecte partielle" in result.stdout
    after = assert_intact(aidenum_home, before)
    assert 0 < len(after) - len(before) <= read       # what was read is kept


def test_listing_with_5000_links_stops_at_the_time_limit(aidenum_home, site_port):
    before = seeded_bdt(aidenum_home, site_port)
    slow = {"CLOSESPIDER_TIMEOUT": "3", "DOWNLOAD_DELAY": "0.25", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    with bdt_mirror(site_port) as mirror:
        with_many_links(mirror)
        started = time.monotonic()
        result = crawl_bdt(aidenum_home, mirror, settings=slow)
        elapsed = time.monotonic() - started
        read = generated_hits(mirror)
    assert_clean(result, 1)
    assert 0 < read < 60
    report = status(aidenum_home, "bdt")
    assert report["limits"] == ["durée maximale de 3 s atteinte (CLOSESPIDER_TIMEOUT)"]
    assert report["finish_reason"] == "closespider_timeout"
    assert "arrêtée par une limite : durée maximale de 3 s atteinte (CLOSESPIDER_TIMEOUT)" in result.stdout
    assert_intact(aidenum_home, before)
    assert elapsed < 40


def test_every_spider_bounds_its_crawl_below_the_issue_s_runaway():
    """Page, time and depth limits are declared per source, each well under what a 5,000-link
    listing at 1 page/s (85 min) or a never-ending API would take."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    settings = Settings()
    settings.setmodule("aidenum.spiders.settings", priority="project")
    loader = SpiderLoader.from_settings(settings)
    names = sorted(loader.list())
    assert names == ["at", "bdt", "dsil", "feder", "francenum"]
    for name in names:
        bounds = loader.load(name).custom_settings or {}
        assert {"CLOSESPIDER_PAGECOUNT", "CLOSESPIDER_TIMEOUT", "DEPTH_LIMIT"} <= set(bounds), name
        assert 0 < bounds["CLOSESPIDER_PAGECOUNT"] < LISTING_LINKS, name
        assert 0 < bounds["CLOSESPIDER_TIMEOUT"] <= 60 * 60, name


# -- pages Scrapy refuses: gzip bombs and redirect loops -------------------------------------------
def test_gzip_bomb_is_named_in_the_report(aidenum_home, site_port):
    before = seeded_bdt(aidenum_home, site_port)
    cap = 8 * 1024 * 1024                              # DOWNLOAD_MAXSIZE of spiders/settings.py
    bomb = gzip.compress(b"<p>" + b" " * (cap + 1024 * 1024) + b"</p>", compresslevel=9)
    assert len(bomb) < 64 * 1024                       # a few kB on the wire
    with bdt_mirror(site_port) as mirror:
        mirror.add(PVD, Page(bomb, headers={"Content-Encoding": "gzip"}))
        result = crawl_bdt(aidenum_home, mirror)
    assert_clean(result, 0)                            # a known page failed: its scheme is kept
    report = status(aidenum_home, "bdt")
    [failure] = report["failures"]
    assert failure["url"].endswith(PVD) and failure["kind"] == "detail"
    assert failure["reason"].startswith("bombe de décompression : page compressée (")
    assert "plus de 8 Mio une fois décompressée, DOWNLOAD_MAXSIZE" in failure["reason"]
    assert report["kept_unseen"] == [PVD_ID]
    assert "bombe de décompression" in result.stdout and "1 fiche conservée" in result.stdout
    after = catalogue_rows(aidenum_home)
    assert after[PVD_ID] == before[PVD_ID]             # untouched, not replaced by a refused page
    assert all(row["closed_at"] is None for row in after.values()) and set(after) == set(before)


@pytest.mark.parametrize("shape", ["a-b-a", "a-b-c-b", "to-itself", "endless-chain"])
def test_redirect_loop_is_named_in_the_report(aidenum_home, site_port, shape):
    before = seeded_bdt(aidenum_home, site_port)
    with bdt_mirror(site_port) as mirror:
        if shape == "a-b-a":
            mirror.fault(PVD, "redirect", "/ailleurs")
            mirror.fault("/ailleurs", "redirect", PVD)
        elif shape == "a-b-c-b":                       # the loop does not come back to the page asked for
            mirror.fault(PVD, "redirect", "/ailleurs")
            mirror.fault("/ailleurs", "redirect", "/ailleurs-encore")
            mirror.fault("/ailleurs-encore", "redirect", "/ailleurs")
        elif shape == "to-itself":
            mirror.fault(PVD, "redirect", PVD)
        else:                                          # always a new address: past REDIRECT_MAX_TIMES
            mirror.fault(PVD, "redirect", "/saut/1")
            for n in range(1, 30):
                mirror.fault(f"/saut/{n}", "redirect", f"/saut/{n + 1}")
        result = crawl_bdt(aidenum_home, mirror)
        hits = sum(n for path, n in mirror.hits.items() if path == PVD or path.startswith(("/saut/", "/ailleurs")))
    assert_clean(result, 0)                            # a known page failed: its scheme is kept
    assert hits <= 12                                  # followed at most REDIRECT_MAX_TIMES + 1 times
    report = status(aidenum_home, "bdt")
    [failure] = report["failures"]
    # reported at the address asked for, so the store knows the page of a known scheme failed
    assert failure["url"] == mirror.url(PVD) and failure["kind"] == "detail", failure
    if shape == "endless-chain":
        assert failure["reason"] == "boucle de redirections (plus de 10 redirections, REDIRECT_MAX_TIMES)"
    else:                                              # the chain, up to the address seen twice
        assert failure["reason"].startswith(f"boucle de redirections : {mirror.url(PVD)} → "), failure
    assert report["kept_unseen"] == [PVD_ID]
    assert "boucle de redirections" in result.stdout
    after = catalogue_rows(aidenum_home)
    assert after[PVD_ID] == before[PVD_ID]
    assert all(row["closed_at"] is None for row in after.values()) and set(after) == set(before)


# -- Ctrl-C in the middle of a crawl ---------------------------------------------------------------
def start_crawl(home: Path, mirror: Mirror, settings: dict) -> subprocess.Popen:
    args = ["crawl", "bdt", "--start-url", mirror.url("/dispositifs-nationaux")]
    for name, value in dict(FAST_SETTINGS, **settings).items():
        args += ["--set", f"{name}={value}"]
    env = dict(os.environ, AIDENUM_HOME=str(home), PYTHONPATH=os.pathsep.join([str(ROOT), str(TESTS)]))
    return subprocess.Popen([PYTHON, str(ROOT / "cli.py"), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=str(home))


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the crawl never got going"
        time.sleep(0.05)


SLOW_CRAWL = {"DOWNLOAD_DELAY": "0.2", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}


@pytest.mark.parametrize("sent, code, said", [(signal.SIGINT, 130, "Ctrl-C"),
                                              (signal.SIGTERM, 143, "arrêt demandé par le système")],
                         ids=["ctrl-c", "sigterm"])
def test_ctrl_c_keeps_the_pages_read_as_a_partial_run(aidenum_home, site_port, sent, code, said):
    """SIGTERM is what systemd sends when it stops the weekly job: the same graceful stop."""
    before = seeded_bdt(aidenum_home, site_port)
    with bdt_mirror(site_port) as mirror:
        with_many_links(mirror)
        process = start_crawl(aidenum_home, mirror, SLOW_CRAWL)
        try:
            wait_for(lambda: generated_hits(mirror) >= 5)
            process.send_signal(sent)
            stdout, stderr = process.communicate(timeout=30)
        finally:
            process.kill()
        read = generated_hits(mirror)
    result = crawl_helpers.CrawlResult(process.returncode, stdout, stderr)
    assert_clean(result, code)
    assert "Interruption demandée : arrêt après les pages en cours" in stderr
    assert (f"Collecte interrompue ({said}) : les pages déjà lues sont enregistrées comme collecte partielle, "
            "aucune fiche n'a été clôturée.") in stderr
    report = status(aidenum_home, "bdt")
    assert report["finish_reason"] == "shutdown" and report["status"] == "partial"
    assert "collecte interrompue par l'utilisateur (Ctrl-C)" in result.stdout
    after = assert_intact(aidenum_home, before)
    kept = len(after) - len(before)
    assert 0 < kept <= read < 100                      # the pages read are in the catalogue


def test_second_ctrl_c_quits_at_once_and_leaves_the_catalogue_unchanged(aidenum_home, site_port):
    before = seeded_bdt(aidenum_home, site_port)
    with bdt_mirror(site_port) as mirror:
        with_many_links(mirror)
        # each scheme page answers slowly: the first Ctrl-C has downloads to wait for
        for n in range(LISTING_LINKS):
            mirror.fault(f"{GENERATED}{n:04d}", "delay", 5)
        process = start_crawl(aidenum_home, mirror, {"DOWNLOAD_TIMEOUT": "20"})
        try:
            wait_for(lambda: generated_hits(mirror) >= 1)
            process.send_signal(signal.SIGINT)
            time.sleep(0.5)
            process.send_signal(signal.SIGINT)
            second = time.monotonic()
            stdout, stderr = process.communicate(timeout=30)
            quit_after = time.monotonic() - second
        finally:
            process.kill()
    result = crawl_helpers.CrawlResult(process.returncode, stdout, stderr)
    assert_clean(result, 130)
    assert quit_after < 3                               # not after the 5 s downloads in flight
    assert "Interruption demandée : arrêt après les pages en cours" in stderr
    assert ("Collecte arrêtée avant l'enregistrement de : bdt ; le catalogue de ces sources est inchangé."
            in stderr)
    assert "non enregistrée : collecte interrompue (Ctrl-C) avant la fin de cette source" in stdout
    assert catalogue_rows(aidenum_home) == before
    assert len(runs(aidenum_home)) == 1                 # no run recorded: the seeding crawl is the only one


# -- a non-finite number from the API (point 1) ----------------------------------------------------
def test_api_rate_nan_is_refused_per_record_and_the_catalogue_stays_readable(aidenum_home):
    before = seeded_at(aidenum_home)
    first = _api_page("aids-page-1.json")
    bad_id = f"at:{first['results'][0]['id']}"
    first["results"][0]["subvention_rate_upper_bound"] = "nan"
    with at_mirror({FIRST_PAGE: first, f"{FIRST_PAGE}&page=2": _api_page("aids-page-2.json")}) as mirror:
        result = crawl_at(aidenum_home, mirror)
    out = assert_clean(result, 0)
    report = status(aidenum_home, "at")
    assert report["invalid"] == {"subvention_rate": 1}, report["invalid"]
    assert any("nombre fini attendu, reçu « nan »" in example for example in report["invalid_examples"])
    assert "fiches rejetées par champ" in out
    # the run is complete, yet the rejected aid is not closed as « no longer on the source »
    assert report["complete"] is True and report["kept_unseen"] == [bad_id]
    assert "1 fiche conservée telle(s) quelle(s)" in out and "nouvelle version a été rejetée" in out
    after = catalogue_rows(aidenum_home)
    assert after[bad_id] == before[bad_id]                 # the stored record, neither replaced nor closed
    assert all(row["closed_at"] is None for row in after.values())
    listed = crawl_helpers.run_aidenum(["catalogue", "list"], aidenum_home)
    assert_clean(listed, 0)
    assert "3 dispositif(s)" in listed.stdout


def test_ctrl_c_during_an_api_backoff_does_not_wait_it_out(aidenum_home):
    """The API answers 429: the spider waits 30 s before trying again; a Ctrl-C then stops at once
    (the graceful stop used to wait for the backoff to end)."""
    before = seeded_at(aidenum_home)
    refused = f"{FIRST_PAGE}&page=2"
    with at_mirror() as mirror:
        mirror.fault(refused, "status", 429)
        args = ["crawl", "at", "--start-url", mirror.url("/api/")]
        for name, value in dict(FAST_SETTINGS, AT_BACKOFF_SECONDS="30").items():
            args += ["--set", f"{name}={value}"]
        env = dict(os.environ, AIDENUM_HOME=str(aidenum_home), AIDES_TERRITOIRES_API_KEY=KEY,
                   PYTHONPATH=os.pathsep.join([str(ROOT), str(TESTS)]))
        process = subprocess.Popen([PYTHON, str(ROOT / "cli.py"), *args], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env, cwd=str(aidenum_home))
        try:
            wait_for(lambda: mirror.hits[refused] >= 1)
            time.sleep(0.5)                                # now in the 30 s wait
            process.send_signal(signal.SIGINT)
            sent = time.monotonic()
            stdout, stderr = process.communicate(timeout=60)
            stopped_after = time.monotonic() - sent
        finally:
            process.kill()
        assert mirror.hits[refused] == 1                   # the retry never left
    assert_clean(crawl_helpers.CrawlResult(process.returncode, stdout, stderr), 130)
    assert stopped_after < 10, stopped_after
    assert "Collecte interrompue (Ctrl-C) : les pages déjà lues sont enregistrées" in stderr
    assert status(aidenum_home, "at")["status"] == "partial"
    assert_intact(aidenum_home, before)


def test_readme_says_what_a_ctrl_c_during_a_crawl_keeps():
    """Issue 15.10: the README claimed a Ctrl-C rolls a crawl back; the pages read are kept as a
    partial run (test_ctrl_c_keeps_the_pages_read_as_a_partial_run). The two must agree."""
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "A Ctrl-C during a crawl stops it gracefully: the pages already read are kept as a *partial* run" in readme
    assert "a second Ctrl-C quits at once and leaves that source's catalogue unchanged" in readme
    assert not re.search(r"Ctrl-C during a crawl (rolls|is rolled) (it )?back", readme)


def test_fault_matrix_points_to_tests_that_exist():
    """tests/FAULTS.md: every row names at least one test, and every test it names exists."""
    rows = [line for line in (TESTS / "FAULTS.md").read_text(encoding="utf-8").splitlines()
            if re.match(r"\| (\d+(\.\d+[a-z]?)?|W\.\d+) \|", line)]
    assert len(rows) >= 40
    for row in rows:
        cell = row.rstrip(" |").rsplit(" | ", 1)[-1]
        named = re.findall(r"`(?:(test_\w+\.py))?::(test_\w+)", cell)
        assert named, row
        module = None
        for explicit, function in named:
            module = explicit or module
            source = (TESTS / module).read_text(encoding="utf-8")
            assert re.search(rf"^def {function}\(", source, re.M), f"{module}::{function}"
