"""End to end: `aidenum crawl` in a subprocess against a loopback copy of the Banque des Territoires
saved pages, with what the web does to us. Assertions read the SQLite catalogue directly."""
from __future__ import annotations

import re

import pytest

import crawl_helpers
from crawl_helpers import (BDT_DETAILS, BDT_FILES, FAST_SETTINGS, Page, catalogue_rows, crawl, free_port, run_aidenum,
                           runs, status)

SPIDER = "bdt"
ALL_IDS = {f"bdt:{slug}" for slug in BDT_DETAILS}
PVD = "/petites-villes-de-demain"


@pytest.fixture(autouse=True)
def site_port(monkeypatch):
    """One port per test: the site keeps its address from one weekly crawl to the next."""
    port = free_port()
    monkeypatch.setattr(crawl_helpers, "SITE_PORT", port, raising=False)
    return port


def bdt_mirror(**options):
    return crawl_helpers.bdt_mirror(port=crawl_helpers.SITE_PORT, **options)


def crawl_bdt(home, mirror, **kwargs):
    return crawl(home, SPIDER, mirror.url("/dispositifs-nationaux"), **kwargs)


def open_ids(home) -> set[str]:
    return {sid for sid, row in catalogue_rows(home).items() if row["closed_at"] is None}


def first_full_crawl(home):
    with bdt_mirror() as mirror:
        result = crawl_bdt(home, mirror)
    assert result.returncode == 0, result.stdout + result.stderr
    assert open_ids(home) == ALL_IDS
    return catalogue_rows(home)


def test_clean_crawl_lands_every_scheme_politely(aidenum_home):
    with bdt_mirror() as mirror:
        result = crawl_bdt(aidenum_home, mirror)
        agents = mirror.user_agents
        hits = mirror.hits
    assert result.returncode == 0, result.stderr
    assert open_ids(aidenum_home) == ALL_IDS
    assert hits["/robots.txt"] == 1
    assert all("aidenum" in agent and "https://" in agent for agent in agents)
    report = status(aidenum_home, SPIDER)
    assert report["status"] == "ok" and report["complete"] is True
    assert report["counts"]["new"] == 6 and report["items_valid"] == 6
    assert "Source « bdt » (Banque des Territoires) : collecte réussie" in result.stdout
    log = (aidenum_home / "logs").glob("crawl-*.log")
    assert not [line for path in log for line in path.read_text().splitlines() if "py.warnings" in line]
    assert "6 nouveau(x)" in result.stdout
    last_run = runs(aidenum_home)[-1]
    assert (last_run["source"], last_run["kind"], last_run["complete"]) == ("bdt", "crawl", True)
    assert last_run["counts"]["new"] == 6 and not last_run["counts"].get("closed")


def test_second_identical_crawl_changes_nothing(aidenum_home):
    before = first_full_crawl(aidenum_home)
    with bdt_mirror() as mirror:
        result = crawl_bdt(aidenum_home, mirror)
    assert result.returncode == 0
    assert status(aidenum_home, SPIDER)["counts"] == {"unchanged": 6, "closed": 0}
    after = catalogue_rows(aidenum_home)
    assert {k: v["content_hash"] for k, v in after.items()} == {k: v["content_hash"] for k, v in before.items()}


def test_500_and_503_are_retried_until_success(aidenum_home):
    with bdt_mirror() as mirror:
        mirror.fault("/dispositifs-nationaux", "status", 500, times=1)
        mirror.fault(PVD, "status", 503, times=2)
        result = crawl_bdt(aidenum_home, mirror)
        hits = dict(mirror.hits)
    assert result.returncode == 0, result.stdout
    assert hits["/dispositifs-nationaux"] == 2 and hits[PVD] == 3
    assert open_ids(aidenum_home) == ALL_IDS
    report = status(aidenum_home, SPIDER)
    assert report["failures"] == [] and report["retries"] == 3
    assert "3 nouvelles tentatives" in result.stdout


def test_listing_failing_after_every_retry_fails_the_source_and_closes_nothing(aidenum_home):
    first_full_crawl(aidenum_home)
    with bdt_mirror() as mirror:
        mirror.fault("/dispositifs-nationaux", "status", 503)
        result = crawl_bdt(aidenum_home, mirror)
        assert mirror.hits["/dispositifs-nationaux"] == 3  # initial + RETRY_TIMES=2
    assert result.returncode == 1
    assert open_ids(aidenum_home) == ALL_IDS
    report = status(aidenum_home, SPIDER)
    assert report["status"] == "failed" and report["complete"] is False
    assert "HTTP 503" in result.stdout and "en échec" in result.stdout
    assert "Erreur : 1 source(s) en échec" in result.stderr
    assert runs(aidenum_home)[-1]["complete"] is False


def test_slow_page_is_retried_after_a_timeout(aidenum_home):
    with bdt_mirror() as mirror:
        mirror.fault(PVD, "delay", 3, times=1)
        result = crawl_bdt(aidenum_home, mirror, settings={"DOWNLOAD_TIMEOUT": "1"})
        assert mirror.hits[PVD] == 2
    assert result.returncode == 0, result.stdout
    assert open_ids(aidenum_home) == ALL_IDS


def test_detail_page_that_always_times_out_keeps_its_scheme(aidenum_home):
    before = first_full_crawl(aidenum_home)
    with bdt_mirror() as mirror:
        mirror.fault(PVD, "delay", 3)
        result = crawl_bdt(aidenum_home, mirror, settings={"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "1"})
    assert result.returncode == 0, result.stdout
    after = catalogue_rows(aidenum_home)
    assert open_ids(aidenum_home) == ALL_IDS
    assert after["bdt:petites-villes-de-demain"]["last_seen"] == before["bdt:petites-villes-de-demain"]["last_seen"]
    report = status(aidenum_home, SPIDER)
    assert report["kept_unseen"] == ["bdt:petites-villes-de-demain"]
    assert [f["reason"] for f in report["failures"]] == ["délai de réponse dépassé"]
    assert "délai de réponse dépassé" in result.stdout and "1 fiche conservée" in result.stdout


def test_redirects_are_followed(aidenum_home):
    with bdt_mirror() as mirror:
        moved = mirror.pages.pop("/dispositifs-nationaux")
        mirror.add("/aides/dispositifs-nationaux-2025", moved)
        mirror.add("/aides/dispositifs-nationaux-2025?page=1", mirror.pages.pop("/dispositifs-nationaux?page=1"))
        mirror.fault("/dispositifs-nationaux", "redirect", "/aides/dispositifs-nationaux-2025")
        mirror.add("/programmes/petites-villes-de-demain", mirror.pages.pop(PVD))
        mirror.fault(PVD, "redirect", "/programmes/petites-villes-de-demain")
        result = crawl_bdt(aidenum_home, mirror)
        assert mirror.hits["/programmes/petites-villes-de-demain"] == 1
    assert result.returncode == 0, result.stdout
    rows = catalogue_rows(aidenum_home)
    assert set(rows) == ALL_IDS
    assert rows["bdt:petites-villes-de-demain"]["url"].endswith("/programmes/petites-villes-de-demain")


def test_404_on_a_known_detail_page_keeps_the_scheme_open(aidenum_home):
    first_full_crawl(aidenum_home)
    with bdt_mirror() as mirror:
        del mirror.pages[PVD]
        result = crawl_bdt(aidenum_home, mirror)
    assert result.returncode == 0, result.stdout
    assert open_ids(aidenum_home) == ALL_IDS
    report = status(aidenum_home, SPIDER)
    assert report["complete"] is True and report["counts"] == {"unchanged": 5, "closed": 0}
    assert report["failures"][0]["reason"] == "HTTP 404" and report["failures"][0]["kind"] == "detail"


def test_404_on_a_new_detail_page_makes_a_partial_run(aidenum_home):
    with bdt_mirror() as mirror:
        del mirror.pages[PVD]
        result = crawl_bdt(aidenum_home, mirror)
    assert result.returncode == 1
    assert open_ids(aidenum_home) == ALL_IDS - {"bdt:petites-villes-de-demain"}
    report = status(aidenum_home, SPIDER)
    assert report["status"] == "partial" and report["complete"] is False
    assert "collecte partielle" in result.stdout and "aucune fiche n'a été clôturée" in result.stdout


def test_changed_listing_layout_is_a_failure_not_a_mass_closure(aidenum_home):
    before = first_full_crawl(aidenum_home)
    with bdt_mirror() as mirror:
        mirror.add("/dispositifs-nationaux", (BDT_FILES / "dispositifs-nationaux-layout-change.html").read_bytes())
        result = crawl_bdt(aidenum_home, mirror)
    assert result.returncode == 1
    assert open_ids(aidenum_home) == ALL_IDS
    assert catalogue_rows(aidenum_home) == before
    report = status(aidenum_home, SPIDER)
    assert report["status"] == "failed" and report["items_seen"] == 0
    assert "mise en page" in result.stdout


def test_a_scheme_really_gone_from_the_listing_is_closed(aidenum_home):
    first_full_crawl(aidenum_home)
    with bdt_mirror() as mirror:
        listing = mirror.pages["/dispositifs-nationaux"].body.decode("utf-8")
        without = re.sub(r'<article class="card-o[^"]*"[^>]*>(?:(?!</article>).)*petites-villes-de-demain.*?</article>',
                         "", listing, flags=re.S)
        assert without != listing
        mirror.add("/dispositifs-nationaux", without)
        result = crawl_bdt(aidenum_home, mirror)
    assert result.returncode == 0, result.stdout
    assert open_ids(aidenum_home) == ALL_IDS - {"bdt:petites-villes-de-demain"}
    assert catalogue_rows(aidenum_home)["bdt:petites-villes-de-demain"]["closed_at"]
    assert "1 clôturé(s)" in result.stdout


def test_malformed_html_does_not_crash_the_crawl(aidenum_home):
    with bdt_mirror() as mirror:
        page = mirror.pages[PVD].body
        cut = page[: len(page) * 2 // 3] + b"</div></span><p <<< \xff\xfe <table><tr><td>"
        mirror.add(PVD, Page(cut))
        result = crawl_bdt(aidenum_home, mirror)
    assert "Traceback" not in result.stdout + result.stderr
    rows = catalogue_rows(aidenum_home)
    assert ALL_IDS - {"bdt:petites-villes-de-demain"} <= set(rows)
    report = status(aidenum_home, SPIDER)
    # whatever the spider made of the broken page, the report and the exit code agree
    assert (result.returncode == 0) == (report["status"] == "ok")
    if "bdt:petites-villes-de-demain" in rows:
        assert rows["bdt:petites-villes-de-demain"]["title"]


def test_20_mb_page_is_refused_and_reported(aidenum_home):
    with bdt_mirror() as mirror:
        mirror.fault(PVD, "big", 20 * 1024 * 1024)
        result = crawl_bdt(aidenum_home, mirror)
    assert result.returncode == 1
    assert open_ids(aidenum_home) == ALL_IDS - {"bdt:petites-villes-de-demain"}
    report = status(aidenum_home, SPIDER)
    assert report["failures"][0]["reason"].startswith("page trop volumineuse")
    assert "page trop volumineuse" in result.stdout


@pytest.mark.parametrize("declared_in", ["header", "meta"])
def test_windows_1252_page_is_decoded(aidenum_home, declared_in):
    with bdt_mirror() as mirror:
        text = mirror.pages[PVD].body.decode("utf-8")
        assert '<meta charset="utf-8" />' in text
        if declared_in == "header":
            text, content_type = text.replace('<meta charset="utf-8" />', ""), "text/html; charset=windows-1252"
        else:  # an old préfecture template: no charset on the wire, only in the page
            text, content_type = text.replace('charset="utf-8"', 'charset="windows-1252"'), "text/html"
        body = text.encode("cp1252")  # every character of the page exists in windows-1252
        assert body != text.encode("utf-8")
        mirror.add(PVD, Page(body, content_type))
        result = crawl_bdt(aidenum_home, mirror)
    assert result.returncode == 0, result.stdout
    reference = _reference_rows()
    pvd = catalogue_rows(aidenum_home)["bdt:petites-villes-de-demain"]
    assert pvd["title"] == reference["title"] and "é" in pvd["description"]
    assert pvd["description"] == reference["description"]


def _reference_rows():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        with bdt_mirror() as mirror:
            assert crawl_bdt(home, mirror).returncode == 0
        return catalogue_rows(home)["bdt:petites-villes-de-demain"]


def test_robots_txt_disallowed_page_is_never_fetched_and_its_scheme_kept(aidenum_home):
    first_full_crawl(aidenum_home)
    robots = "User-agent: *\nDisallow: /ami-hubs-pour-un-numerique-inclusif\n"
    with bdt_mirror(robots=robots) as mirror:
        result = crawl_bdt(aidenum_home, mirror)
        assert mirror.hits["/ami-hubs-pour-un-numerique-inclusif"] == 0
    assert result.returncode == 0, result.stdout
    assert open_ids(aidenum_home) == ALL_IDS
    report = status(aidenum_home, SPIDER)
    assert report["failures"][0]["reason"] == "interdite par robots.txt"
    assert report["kept_unseen"] == ["bdt:ami-hubs-pour-un-numerique-inclusif"]


def test_cache_switch_serves_the_second_crawl_from_disk(aidenum_home):
    args = ["crawl", SPIDER, "--cache"]
    for name, value in FAST_SETTINGS.items():
        args += ["--set", f"{name}={value}"]
    with bdt_mirror() as mirror:
        url = mirror.url("/dispositifs-nationaux")
        assert run_aidenum(args + ["--start-url", url], aidenum_home).returncode == 0
        hits_first = sum(mirror.hits.values())
        assert run_aidenum(args + ["--start-url", url], aidenum_home).returncode == 0
        hits_second = sum(mirror.hits.values()) - hits_first
    assert (aidenum_home / "httpcache").is_dir()
    assert hits_first >= 8 and hits_second == 0
