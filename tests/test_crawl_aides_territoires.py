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


# -- the 2024-2026 API shape (API_SHAPE.md): lists, relative url, perimeter_id, absolute next --------
API_2025 = FILES_AT / "api-2025"
FAST_BACKOFF = {"AT_BACKOFF_SECONDS": "0.05"}


def api_2025_mirror() -> Mirror:
    def page(name: str) -> Page:
        return Page((API_2025 / name).read_bytes() if name.startswith("aids") else (FILES_AT / name).read_bytes(),
                    "application/json")
    return Mirror({"/api/connexion/": page("connexion.json"),
                   "/api/aids/?itemsPerPage=100": page("aids-page-1.json"),
                   "/api/aids/?itemsPerPage=100&page=2": page("aids-page-2.json")})


def test_real_api_shape_lands_with_themes_split(aidenum_home):
    with api_2025_mirror() as mirror:
        result = crawl(aidenum_home, SPIDER, mirror.url("/api/"), settings=FAST_BACKOFF,
                       env={"AIDES_TERRITOIRES_API_KEY": KEY})
        pages = [r[1] for r in mirror.requests if r[1].startswith("/api/aids/")]
    assert result.returncode == 0, result.stdout + result.stderr
    assert pages == ["/api/aids/?itemsPerPage=100", "/api/aids/?itemsPerPage=100&page=2"]
    rows = catalogue_rows(aidenum_home)
    assert sorted(rows) == ["at:162", "at:338", "at:650"]
    assert rows["at:650"]["themes"] == ["Solidarités / lien social", "Alimentation",
                                        "Développement économique / production et consommation",
                                        "Technologies numériques et numérisation"]
    assert rows["at:162"]["perimeter"] == "DEP:26" and rows["at:162"]["funders"] == ["Chambre d’agriculture de la Drôme"]
    assert rows["at:162"]["raw"]["perimeter_id"] == 71000
    assert status(aidenum_home, SPIDER)["complete"] is True


def test_flaky_401_then_503_is_renewed_then_backed_off(aidenum_home):
    with api_2025_mirror() as mirror:
        mirror.fault("/api/aids/?itemsPerPage=100&page=2", "status", 401, times=1)
        mirror.fault("/api/aids/?itemsPerPage=100&page=2", "status", 503, times=2)
        result = crawl(aidenum_home, SPIDER, mirror.url("/api/"), settings=FAST_BACKOFF,
                       env={"AIDES_TERRITOIRES_API_KEY": KEY})
        logins = [r for r in mirror.requests if r[1] == "/api/connexion/"]
        hits = mirror.hits["/api/aids/?itemsPerPage=100&page=2"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(logins) == 2 and hits == 3
    assert status(aidenum_home, SPIDER)["complete"] is True
    assert sorted(catalogue_rows(aidenum_home)) == ["at:162", "at:338", "at:650"]


def test_api_refusing_a_page_after_backoff_is_partial(aidenum_home):
    with api_2025_mirror() as mirror:
        assert crawl(aidenum_home, SPIDER, mirror.url("/api/"), settings=FAST_BACKOFF,
                     env={"AIDES_TERRITOIRES_API_KEY": KEY}).returncode == 0
    with api_2025_mirror() as mirror:
        mirror.fault("/api/aids/?itemsPerPage=100&page=2", "status", 429)
        result = crawl(aidenum_home, SPIDER, mirror.url("/api/"), settings=FAST_BACKOFF,
                       env={"AIDES_TERRITOIRES_API_KEY": KEY})
        hits = mirror.hits["/api/aids/?itemsPerPage=100&page=2"]
    assert result.returncode == 1
    assert hits == 4                                       # the page, then 3 spaced retries
    assert "HTTP 429 après 3 nouvelles tentatives espacées" in result.stdout
    assert "collecte partielle" in result.stdout
    rows = catalogue_rows(aidenum_home)
    assert rows["at:650"]["closed_at"] is None             # not seen this time, not closed
