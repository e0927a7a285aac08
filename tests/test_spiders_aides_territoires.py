"""Aides-territoires API spider on saved API answers (real Drôme records, pages of 100 with next)."""
from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
import time_machine
from conftest import FILES
from scrapy.utils.test import get_crawler
from spider_helpers import file_response

from aidenum.catalogue.aides_territoires import LICENCE, scheme_from_api
from aidenum.catalogue.model import Scheme
from aidenum.spiders.report import report_for
from aidenum.spiders.spiders.aides_territoires import AidesTerritoiresSpider

PAGES = FILES / "aides_territoires"
API = "https://aides-territoires.beta.gouv.fr/api/"
PAGE1 = f"{API}aids/?itemsPerPage=100"
PAGE2 = f"{API}aids/?itemsPerPage=100&page=2"
KEY = "cle-de-test-0000"
FROZEN = dt.datetime(2025, 3, 3, 9, 0)
STORE_FIELDS = {"first_seen", "last_seen", "last_changed", "closed_at", "content_hash"}


def _start(spider) -> list:
    async def collect():
        return [request async for request in spider.start()]
    return asyncio.run(collect())


def _spider(monkeypatch, referential, key=KEY, **kwargs):
    if key is None:
        monkeypatch.delenv("AIDES_TERRITOIRES_API_KEY", raising=False)
    else:
        monkeypatch.setenv("AIDES_TERRITOIRES_API_KEY", key)
    crawler = get_crawler(AidesTerritoiresSpider)
    spider = AidesTerritoiresSpider.from_crawler(crawler, **kwargs)
    spider._referential = referential
    return spider


def _authenticated(spider):
    [token_request] = _start(spider)
    [first_page] = spider.parse_token(file_response(PAGES / "connexion.json", token_request.url,
                                                    request=token_request))
    return first_page


def _page(spider, name, request):
    with time_machine.travel(FROZEN, tick=False):
        return list(spider.parse_page(file_response(PAGES / name, request.url, request=request)))


# -- no key: skip, do not crash -----------------------------------------------------------------------
def test_without_key_yields_nothing_and_says_why(monkeypatch, referential, caplog):
    spider = _spider(monkeypatch, referential, key=None)
    assert _start(spider) == []
    assert "Aides-territoires ignorée : clé API absente" in caplog.text
    assert "AIDES_TERRITOIRES_API_KEY" in spider.skip_reason
    assert spider.crawler.stats.get_value("aidenum/skipped") == spider.skip_reason


def test_blank_key_counts_as_absent(monkeypatch, referential):
    spider = _spider(monkeypatch, referential, key="   ")
    assert _start(spider) == [] and spider.skip_reason


# -- token exchange -------------------------------------------------------------------------------------
def test_key_is_exchanged_for_a_bearer_token(monkeypatch, referential):
    spider = _spider(monkeypatch, referential)
    [token_request] = _start(spider)
    assert (token_request.method, token_request.url) == ("POST", f"{API}connexion/")
    assert token_request.headers["X-AUTH-TOKEN"] == KEY.encode()
    assert spider.skip_reason == ""
    first_page = _authenticated(spider)
    token = json.loads((PAGES / "connexion.json").read_text())["token"]
    assert spider.token == token
    assert first_page.url == PAGE1
    assert first_page.headers["Authorization"] == f"Bearer {token}".encode()
    assert first_page.callback == spider.parse_page


def test_api_key_argument_wins_over_the_environment(monkeypatch, referential):
    spider = _spider(monkeypatch, referential, key="cle-env", api_key="cle-argument")
    [token_request] = _start(spider)
    assert token_request.headers["X-AUTH-TOKEN"] == b"cle-argument"


def test_refused_key_stops_with_a_french_reason(monkeypatch, referential, caplog):
    spider = _spider(monkeypatch, referential)
    [token_request] = _start(spider)
    refused = file_response(PAGES / "aids-unexpected.json", token_request.url, status=403, request=token_request)
    assert list(spider.parse_token(refused)) == []
    assert "clé API refusée" in caplog.text
    assert spider.crawler.stats.get_value("aidenum/auth_error") == "clé API refusée par Aides-territoires"


# -- pages of aids ----------------------------------------------------------------------------------------
def test_pages_follow_next_and_map_every_field(monkeypatch, referential):
    spider = _spider(monkeypatch, referential)
    first_page = _authenticated(spider)
    results = _page(spider, "aids-page-1.json", first_page)
    items, [next_request] = results[:2], results[2:]
    assert next_request.url == PAGE2
    assert next_request.headers["Authorization"] == first_page.headers["Authorization"]
    assert [i["id"] for i in items] == ["at:162", "at:338"]

    results2 = _page(spider, "aids-page-2.json", next_request)
    assert [i["id"] for i in results2] == ["at:650"]      # the broken record is dropped, no next page
    items += results2

    records = {r["id"]: r for name in ("aids-page-1.json", "aids-page-2.json")
               for r in json.loads((PAGES / name).read_text(encoding="utf-8"))["results"]}
    for item, page_url in zip(items, (PAGE1, PAGE1, PAGE2)):
        record = records[int(item["id"].split(":")[1])]
        # one mapping for the API, shared with `aidenum catalogue import`
        expected = scheme_from_api(record, referential).to_dict()
        assert set(item) == set(expected) - STORE_FIELDS
        for key in set(item) - {"raw"}:
            assert item[key] == expected[key], key
        assert item["raw"] == dict(record, _api_page=page_url)
        Scheme.from_dict(item)

    first, second, third = items
    # every field of the first record, as the API labels map to our vocabularies
    assert first["source"] == "at" and first["title"] == "Développement d’une alimentation de proximité"
    assert first["url"] == first["application_url"] == \
        "https://collectivites.ladrome.fr/service/developpement-dune-alimentation-de-proximite/"
    assert first["beneficiaries"] == ["commune", "epci", "association", "private-person"]
    assert first["aid_types"] == ["technical-engineering"]
    assert (first["perimeter"], first["perimeter_label"]) == ("DEP:26", "Drôme")
    assert first["recurrence"] == "ongoing" and first["is_call_for_project"] is False
    assert first["funders"] == ["Chambre d’agriculture de la Drôme"] and first["themes"] == ["Alimentation"]
    assert first["description"].startswith("OPÉRATIONS CONCERNÉES\nActions favorisant l’accès")
    assert "<" not in first["description"] and "&#8230;" not in first["description"]
    assert first["contact"].startswith("Chambre d’Agriculture de la Drôme\nService Alimentation et Tourisme")
    assert (first["start_date"], first["deadline"]) == (None, None)
    assert (first["rate_min"], first["rate_max"], first["amount_min"], first["amount_max"]) == (None,) * 4
    assert first["licence"] == LICENCE
    assert second["beneficiaries"] == ["commune", "epci", "public-org"]
    assert second["funders"] == ["Conseil Départemental de la Drôme"]
    assert third["title"] == "Approvisionnement en produits locaux avec la plateforme Agrilocal"
    for item in items:
        assert Scheme.from_dict(item).status(FROZEN.date()) == "open"


def test_invalid_record_is_reported_with_its_field(monkeypatch, referential, caplog):
    spider = _spider(monkeypatch, referential)
    request = _authenticated(spider).replace(url=PAGE2)
    _page(spider, "aids-page-2.json", request)
    assert "aide ignorée" in caplog.text and "at:99650" in caplog.text and "Atlantide" in caplog.text
    assert spider.crawler.stats.get_value("aidenum/invalid_records") == 1
    report = report_for(spider.crawler)
    assert report.invalid["perimeter"] == 1 and report.items_seen == 1


def test_unexpected_json_is_a_layout_error(monkeypatch, referential, caplog):
    spider = _spider(monkeypatch, referential)
    assert _page(spider, "aids-unexpected.json", _authenticated(spider)) == []
    assert "page illisible" in caplog.text
    assert spider.crawler.stats.get_value("aidenum/layout_errors") == 1


def test_expired_token_is_renewed_once(monkeypatch, referential, caplog):
    spider = _spider(monkeypatch, referential)
    page_request = _authenticated(spider).replace(url=PAGE2)
    expired = file_response(PAGES / "aids-unexpected.json", PAGE2, status=401, request=page_request)
    [token_request] = spider.parse_page(expired)
    assert token_request.url == f"{API}connexion/" and token_request.method == "POST"
    [retried] = spider.parse_token(file_response(PAGES / "connexion.json", token_request.url,
                                                 request=token_request, meta=token_request.meta),
                                   **token_request.cb_kwargs)
    assert retried.url == PAGE2 and retried.dont_filter
    assert retried.headers["Authorization"] == f"Bearer {spider.token}".encode()
    # a second 401 is not answered with another token: backoff 5, 10, 20 s, then a failed page
    request, delays = retried, []
    for _ in range(3):
        [request] = spider.parse_page(file_response(PAGES / "aids-unexpected.json", PAGE2, status=401,
                                                    request=request))
        assert request.url == PAGE2 and request.dont_filter
        delays.append(request.meta["aidenum_delay"])
    assert delays == [5.0, 10.0, 20.0]
    assert list(spider.parse_page(file_response(PAGES / "aids-unexpected.json", PAGE2, status=401,
                                                request=request))) == []
    assert spider.crawler.stats.get_value("aidenum/auth_error") == "jeton refusé"
    [failure] = report_for(spider.crawler).failures
    assert failure.url == PAGE2 and failure.reason == "HTTP 401 après 3 nouvelles tentatives espacées"


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_busy_or_broken_api_is_retried_with_backoff(monkeypatch, referential, status):
    spider = _spider(monkeypatch, referential)
    request = _authenticated(spider)
    [again] = spider.parse_page(file_response(PAGES / "aids-unexpected.json", PAGE1, status=status, request=request))
    assert again.url == PAGE1 and again.meta["aidenum_delay"] == 5.0      # no new token for a 429/5xx
    assert again.meta["handle_httpstatus_list"] and again.meta["dont_retry"]


def test_perimeter_id_restricts_the_search(monkeypatch, referential):
    spider = _spider(monkeypatch, referential, perimeter_id="71000")   # Drôme (perimeters_2023-01.csv: 71000-drome)
    assert _authenticated(spider).url == f"{API}aids/?itemsPerPage=100&perimeter_id=71000"


@pytest.mark.parametrize("start_url", ["http://127.0.0.1:8765/api", "http://127.0.0.1:8765/api/"])
def test_start_url_is_the_api_root_and_next_stays_on_it(monkeypatch, referential, start_url):
    spider = _spider(monkeypatch, referential, start_url=start_url)
    [token_request] = _start(spider)
    assert token_request.url == "http://127.0.0.1:8765/api/connexion/"
    first_page = _authenticated(spider)
    assert first_page.url == "http://127.0.0.1:8765/api/aids/?itemsPerPage=100"
    *_, next_request = _page(spider, "aids-page-1.json", first_page)
    assert next_request.url == "http://127.0.0.1:8765/api/aids/?itemsPerPage=100&page=2"


# -- end to end: `aidenum crawl aides_territoires` in a subprocess against a loopback API --------------
class _LoopbackApi:
    """A loopback Aides-territoires API: POST connexion/ checks the key, GET aids/ checks the token."""

    def __init__(self):
        self.token = json.loads((PAGES / "connexion.json").read_text())["token"]
        self.hits = []

    def __enter__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import threading

        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                api.hits.append(("POST", self.path))
                if self.path == "/api/connexion/" and self.headers.get("X-AUTH-TOKEN") == KEY:
                    return self._send(200, (PAGES / "connexion.json").read_bytes())
                self._send(403, b'{"detail": "cle invalide"}')

            def do_GET(self):
                api.hits.append(("GET", self.path))
                if self.path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nDisallow:\n", "text/plain")
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    return self._send(401, b'{"detail": "jeton absent"}')
                page = {"/api/aids/?itemsPerPage=100": "aids-page-1.json",
                        "/api/aids/?itemsPerPage=100&page=2": "aids-page-2.json"}.get(self.path)
                if page is None:
                    return self._send(404, b"{}")
                self._send(200, (PAGES / page).read_bytes())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, port = self.server.server_address[:2]
        self.root = f"http://{host}:{port}/api/"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _crawl_at(home, root, key):
    from crawl_helpers import FAST_SETTINGS, run_aidenum

    args = ["crawl", "aides_territoires", "--start-url", root]
    for name, value in FAST_SETTINGS.items():
        args += ["--set", f"{name}={value}"]
    return run_aidenum(args, home, env={"AIDES_TERRITOIRES_API_KEY": key} if key else {})


def test_crawl_end_to_end_on_a_loopback_api(aidenum_home, monkeypatch):
    from crawl_helpers import catalogue_rows

    monkeypatch.delenv("AIDES_TERRITOIRES_API_KEY", raising=False)
    with _LoopbackApi() as api:
        result = _crawl_at(aidenum_home, api.root, KEY)
    assert ("POST", "/api/connexion/") in api.hits
    assert ("GET", "/api/aids/?itemsPerPage=100&page=2") in api.hits
    assert "collecte réussie" in result.stdout, result.stdout + result.stderr
    assert "3 fiches valides" in result.stdout
    assert "Atlantide" in result.stdout                      # the dropped record is named in the report
    rows = catalogue_rows(aidenum_home)
    assert sorted(rows) == ["at:162", "at:338", "at:650"]
    assert rows["at:162"]["perimeter"] == "DEP:26" and rows["at:162"]["aid_types"] == ["technical-engineering"]


def test_crawl_without_key_is_skipped_not_failed(aidenum_home, monkeypatch):
    monkeypatch.delenv("AIDES_TERRITOIRES_API_KEY", raising=False)
    with _LoopbackApi() as api:
        result = _crawl_at(aidenum_home, api.root, None)
    assert api.hits == []                                   # not even robots.txt: nothing to fetch
    assert result.returncode == 0, result.stdout + result.stderr
    assert "collecte ignorée" in result.stdout and "clé API absente" in result.stdout


def test_crawl_with_a_refused_key_fails(aidenum_home, monkeypatch):
    monkeypatch.delenv("AIDES_TERRITOIRES_API_KEY", raising=False)
    with _LoopbackApi() as api:
        result = _crawl_at(aidenum_home, api.root, "mauvaise-cle")
    assert ("POST", "/api/connexion/") in api.hits
    assert not any(method == "GET" and path.startswith("/api/aids/") for method, path in api.hits)
    assert result.returncode != 0
