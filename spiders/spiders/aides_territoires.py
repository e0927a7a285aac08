"""Aides-territoires: the state catalogue's API, read page by page (see API_SHAPE.md of the data).

The API key (env ``AIDES_TERRITOIRES_API_KEY`` or ``-a api_key=…``) is exchanged for a 24 h
bearer token (``POST /api/connexion/`` with header ``X-AUTH-TOKEN``), then ``/api/aids/`` is
read in pages of ``itemsPerPage=100`` (the API's maximum) following the absolute ``next`` URL;
``-a perimeter_id=…`` restricts the search to one AT perimeter. Records carry French labels
and a perimeter *name*; ``catalogue.aides_territoires.scheme_from_api`` maps them (the same
mapping as ``aidenum catalogue import``), so each item is ``scheme.to_dict()``.

What the real API does to a crawl, and the answer:

- intermittent 401 on valid tokens (seen in production by another client): a page answered 401
  or 403 gets one new token, then like 429 and 5xx it is retried after 5, 10, 20 s
  (``AT_BACKOFF_SECONDS``, doubled each time); still refused, it is a failed page of the crawl;
- ``next`` is followed at most ``AT_MAX_PAGES`` times; a ``next`` already read (a loop) or
  running past the pages the announced ``count`` needs stops the crawl too. Each of these
  makes the run partial and is named in the report.

Without a key the spider yields nothing and says why (``skip_reason``, stat ``aidenum/skipped``):
the crawl report then shows the source as skipped, not failed, and no scheme is closed.
"""
from __future__ import annotations

import json
import math
import os
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import scrapy

from aidenum.catalogue import territory
from aidenum.catalogue.model import SchemeError

from ..limits import DELAY
from .base import SchemeSpider

API_ROOT = "https://aides-territoires.beta.gouv.fr/api/"
PAGE_SIZE = 100   # itemsPerPage: the API's maximum (its default is 50)
ENV_KEY = "AIDES_TERRITOIRES_API_KEY"
NO_KEY = f"clé API absente (définir la variable d'environnement {ENV_KEY})"
_STORE_FIELDS = ("first_seen", "last_seen", "last_changed", "closed_at", "content_hash")
# Statuses the spider answers itself: new token (401/403), then backoff (and 429, 5xx).
AUTH_STATUSES = (401, 403)
BACKOFF_STATUSES = (401, 403, 429, 500, 502, 503, 504)
BACKOFF_RETRIES = 3
# About 3,000 aids answer a commune's search in 2026 (61 pages of 50, API_SHAPE.md §3); the
# whole live catalogue is a few times that. 200 pages of 100 = 20,000 aids.
MAX_PAGES = 200
# A count may grow while we read: a next page this far past the announced count is a runaway.
COUNT_SLACK_PAGES = 2


class AidesTerritoiresSpider(SchemeSpider):
    name = "at"
    source = "at"
    default_start_urls = [API_ROOT]
    custom_settings = {
        # the spider retries (with backoff) the statuses it handles; Scrapy retries the rest
        "AT_BACKOFF_SECONDS": 5.0,
        "AT_MAX_PAGES": MAX_PAGES,
        # pages + token exchanges + backoff retries of a full crawl, with room to spare
        "CLOSESPIDER_PAGECOUNT": MAX_PAGES + 60,
        # 200 pages at the polite 1 page/s plus every backoff (35 s a page) on a tenth of them
        "CLOSESPIDER_TIMEOUT": 45 * 60,
        # each page is one link deeper than the previous one: the page cap bounds the depth
        "DEPTH_LIMIT": 0,
    }

    def __init__(self, start_url: str | None = None, api_key: str | None = None,
                 perimeter_id: str | None = None, *args, **kwargs):
        super().__init__(start_url, *args, **kwargs)
        root = self.start_urls[0]
        self.api_root = root if root.endswith("/") else root + "/"
        self.api_key = (api_key or os.environ.get(ENV_KEY) or "").strip()
        self.perimeter_id = str(perimeter_id).strip() if perimeter_id else ""
        self.skip_reason = ""
        self.token = ""
        self._referential = None
        self.pages_read: set[str] = set()
        self.expected_pages: int | None = None

    # -- settings ------------------------------------------------------------------------------
    def _setting(self, name: str, default):
        crawler = getattr(self, "crawler", None)
        if crawler is None:
            return default
        return type(default)(crawler.settings.get(name, default))

    @property
    def max_pages(self) -> int:
        return self._setting("AT_MAX_PAGES", MAX_PAGES)

    @property
    def backoff_seconds(self) -> float:
        return self._setting("AT_BACKOFF_SECONDS", 5.0)

    # -- start: token first --------------------------------------------------------------------
    async def start(self):
        if not self.api_key:
            self.skip_reason = NO_KEY
            self.logger.warning("Aides-territoires ignorée : %s", NO_KEY)
            self._stat_set("aidenum/skipped", NO_KEY)
            return
        yield self._token_request()

    def _token_request(self, retry: scrapy.Request | None = None) -> scrapy.Request:
        return scrapy.Request(urljoin(self.api_root, "connexion/"), method="POST",
                              headers={"X-AUTH-TOKEN": self.api_key, "Accept": "application/json"},
                              callback=self.parse_token, dont_filter=True,
                              meta={"handle_httpstatus_list": [401, 403]}, cb_kwargs={"retry": retry})

    def parse_token(self, response, retry: scrapy.Request | None = None):
        token = None
        if response.status == 200:
            try:
                token = (json.loads(response.text) or {}).get("token")
            except (ValueError, AttributeError):
                token = None
        if not token:
            reason = ("clé API refusée par Aides-territoires" if response.status in (401, 403)
                      else "réponse de connexion sans jeton")
            self.logger.error("Aides-territoires : %s (HTTP %s sur %s)", reason, response.status, response.url)
            self._stat_set("aidenum/auth_error", reason)
            return
        self.token = token
        if retry is not None:
            yield retry.replace(headers=self._auth_headers(), dont_filter=True)
        else:
            yield self._page_request(self.first_page_url())

    def first_page_url(self) -> str:
        query = {"itemsPerPage": PAGE_SIZE}
        if self.perimeter_id:
            query["perimeter_id"] = self.perimeter_id
        return urljoin(self.api_root, "aids/?" + urlencode(query))

    def _auth_headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def _page_request(self, url: str) -> scrapy.Request:
        self.pages_read.add(url)
        return scrapy.Request(url, headers=self._auth_headers(), callback=self.parse_page,
                              meta={"handle_httpstatus_list": list(BACKOFF_STATUSES), "dont_retry": True})

    # -- pages of aids -------------------------------------------------------------------------
    def parse_page(self, response):
        if response.status in BACKOFF_STATUSES:
            yield from self._refused(response)
            return
        try:
            page = json.loads(response.text)
            results = page["results"]
            if not isinstance(results, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            self.logger.error("Aides-territoires : page illisible (JSON sans « results ») : %s", response.url)
            self._stat_inc("aidenum/layout_errors")
            return
        if self.expected_pages is None and isinstance(page.get("count"), int):
            self.expected_pages = max(1, math.ceil(page["count"] / PAGE_SIZE))
        for record in results:
            item = self._parse_record(record, response.url)
            if item is not None:
                yield item
        if page.get("next"):
            request = self._next_request(str(page["next"]))
            if request is not None:
                yield request

    def _refused(self, response):
        """401/403: one new token for this page; then 401/403/429/5xx: backoff, then a failure."""
        request = response.request
        if response.status in AUTH_STATUSES and not request.meta.get("aidenum_reauthenticated"):
            self.logger.info("Aides-territoires : HTTP %s sur %s, nouveau jeton", response.status, response.url)
            retry = request.replace(meta=dict(request.meta, aidenum_reauthenticated=True))
            yield self._token_request(retry=retry)
            return
        attempt = request.meta.get("aidenum_backoff", 0)
        if attempt < BACKOFF_RETRIES:
            delay = self.backoff_seconds * 2 ** attempt
            self.logger.info("Aides-territoires : HTTP %s sur %s, nouvel essai dans %g s",
                             response.status, response.url, delay)
            yield request.replace(dont_filter=True, headers=self._auth_headers(),
                                  meta=dict(request.meta, aidenum_backoff=attempt + 1, **{DELAY: delay}))
            return
        reason = f"HTTP {response.status} après {BACKOFF_RETRIES} nouvelles tentatives espacées"
        self.logger.error("Aides-territoires : %s : %s", reason, response.url)
        if response.status in AUTH_STATUSES:
            self._stat_set("aidenum/auth_error", "jeton refusé")
        self._report_failure(response.url, reason)

    def _next_request(self, next_url: str) -> scrapy.Request | None:
        url = self._parse_next(next_url)
        if url in self.pages_read:
            self._report_stop(f"boucle de pagination : « next » renvoie vers une page déjà lue ({url})")
            return None
        if len(self.pages_read) >= self.max_pages:
            self._report_stop(f"limite de {self.max_pages} pages de l'API atteinte (AT_MAX_PAGES)")
            return None
        if self.expected_pages is not None and len(self.pages_read) >= self.expected_pages + COUNT_SLACK_PAGES:
            self._report_stop(f"l'API annonce {self.expected_pages} page(s) d'aides mais « next » continue "
                              f"au-delà ({url})")
            return None
        return self._page_request(url)

    def _parse_record(self, record, page_url: str) -> dict | None:
        from aidenum.catalogue.aides_territoires import scheme_from_api

        try:
            scheme = scheme_from_api(record, self.referential)
        except SchemeError as error:
            self.logger.warning("Aides-territoires : aide ignorée, %s", error)
            self._stat_inc("aidenum/invalid_records")
            self._report_invalid(error)
            return None
        item = scheme.to_dict()
        for name in _STORE_FIELDS:
            item.pop(name, None)
        item["raw"] = dict(record, _api_page=page_url)
        return item

    def _parse_next(self, next_url: str) -> str:
        """The absolute ``next`` on the API root we were given (a mirror keeps the path and query)."""
        root, target = urlsplit(self.api_root), urlsplit(urljoin(self.api_root, next_url))
        return urlunsplit((root.scheme, root.netloc, target.path, target.query, ""))

    referential = territory.LazyAttribute()

    # -- crawl bookkeeping ---------------------------------------------------------------------
    def _report(self):
        crawler = getattr(self, "crawler", None)
        if crawler is None:
            return None
        from ..report import report_for

        return report_for(crawler)

    def _report_invalid(self, error: SchemeError) -> None:
        report = self._report()
        if report is not None:
            report.items_seen += 1  # seen on the API, dropped before the pipelines
            report.invalid_item(error.field, str(error), error.record)

    def _report_failure(self, url: str, reason: str) -> None:
        report = self._report()
        if report is not None:
            report.failure(url, reason)

    def _report_stop(self, reason: str) -> None:
        self.logger.warning("Aides-territoires : collecte arrêtée, %s", reason)
        report = self._report()
        if report is not None:
            report.stopped(reason)
