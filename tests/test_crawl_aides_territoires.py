"""End to end: the Aides-territoires spider through `aidenum crawl` against a loopback copy of the
API (token exchange, pages following `next`), with and without a key, with a refused key and
with a token expiring mid-crawl."""
from __future__ import annotations

import json

from crawl_helpers import FILES_AT, Mirror, Page, catalogue_rows, crawl, runs, status

SPIDER = "at"
KEY = "cle-de-test-0123"


def api_mirror() -> Mirror:
    def page(name: str) -> Page:
        return Page((FILES_AT / name).read_bytes(), "application/json")
    return Mirror({"/api/connexion/": page("connexion.json"),
                   "/api/aids/?itemsPerPage=100": page("aids-page-1.json"),
                   "/api/aids/?itemsPerPage=100&page=2": page("aids-page-2.json")})


INVALID = "at:99650"  # its perimeter « Atlantide » is no French territory: dropped, field named


def expected_ids() -> set[str]:
    ids = set()
    for name in ("aids-page-1.json", "aids-page-2.json"):
        ids |= {f"at:{record['id']}" for record in json.loads((FILES_AT / name).read_text())["results"]}
    assert INVALID in ids
    return ids - {INVALID}


def crawl_at(home, mirror, key=KEY):
    return crawl(home, SPIDER, mirror.url("/api/"), env={"AIDES_TERRITOIRES_API_KEY": key})


def test_key_is_exchanged_for_a_token_and_every_page_lands(aidenum_home):
    with api_mirror() as mirror:
        result = crawl_at(aidenum_home, mirror)
        requests = list(mirror.requests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(catalogue_rows(aidenum_home)) == expected_ids()
    login = [r for r in requests if r[1] == "/api/connexion/"]
    assert [r[0] for r in login] == ["POST"] and login[0][2].get("X-Auth-Token") == KEY
    pages = [r for r in requests if r[1].startswith("/api/aids/")]
    assert len(pages) == 2 and all(r[2].get("Authorization", "").startswith("Bearer ey") for r in pages)
    report = status(aidenum_home, SPIDER)
    assert report["status"] == "ok" and report["complete"] is True
    assert report["invalid"] == {"perimeter": 1} and any("Atlantide" in e for e in report["invalid_examples"])
    assert "fiches rejetées par champ : territoire : 1" in result.stdout


def test_without_a_key_the_source_is_skipped_not_failed(aidenum_home):
    with api_mirror() as mirror:
        result = crawl_at(aidenum_home, mirror, key="")
        assert not [r for r in mirror.requests if r[1] != "/robots.txt"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "collecte ignorée" in result.stdout and "AIDES_TERRITOIRES_API_KEY" in result.stdout
    assert status(aidenum_home, SPIDER)["status"] == "skipped"
    assert not (aidenum_home / "catalogue.sqlite").exists() or runs(aidenum_home) == []


def test_refused_key_fails_the_source_and_closes_nothing(aidenum_home):
    with api_mirror() as mirror:
        assert crawl_at(aidenum_home, mirror).returncode == 0
    with api_mirror() as mirror:
        mirror.fault("/api/connexion/", "status", 401)
        result = crawl_at(aidenum_home, mirror, key="mauvaise-cle")
    assert result.returncode == 1
    assert "authentification refusée" in result.stdout
    rows = catalogue_rows(aidenum_home)
    assert set(rows) == expected_ids() and all(row["closed_at"] is None for row in rows.values())


def test_token_expiring_mid_crawl_is_renewed_once(aidenum_home):
    with api_mirror() as mirror:
        mirror.fault("/api/aids/?itemsPerPage=100&page=2", "status", 401, times=1)
        result = crawl_at(aidenum_home, mirror)
        logins = [r for r in mirror.requests if r[1] == "/api/connexion/"]
    assert result.returncode == 0, result.stdout
    assert len(logins) == 2
    assert set(catalogue_rows(aidenum_home)) == expected_ids()
    assert status(aidenum_home, SPIDER)["failures"] == []
