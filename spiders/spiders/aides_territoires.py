"""Aides-territoires: the state catalogue's API, read page by page.

The API key (env ``AIDES_TERRITOIRES_API_KEY`` or ``-a api_key=…``) is exchanged for a 24 h
bearer token (``POST /api/connexion/`` with header ``X-AUTH-TOKEN``), then ``/api/aids/`` is
read in pages of 100 following ``next``. Records carry French labels and a perimeter *name*;
``catalogue.aides_territoires.scheme_from_api`` maps them (the same mapping as
``aidenum catalogue import``), so each item is ``scheme.to_dict()``.

Without a key the spider yields nothing and says why (``skip_reason``, stat ``aidenum/skipped``):
the crawl report then shows the source as skipped, not failed, and no scheme is closed.
"""
from __future__ import annotations

import json
import os
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy

from aidenum.catalogue.model import SchemeError

from .base import SchemeSpider

API_ROOT = "https://aides-territoires.beta.gouv.fr/api/"
PAGE_SIZE = 100
ENV_KEY = "AIDES_TERRITOIRES_API_KEY"
NO_KEY = f"clé API absente (définir la variable d'environnement {ENV_KEY})"
_STORE_FIELDS = ("first_seen", "last_seen", "last_changed", "closed_at", "content_hash")


class AidesTerritoiresSpider(SchemeSpider):
    name = "at"
    source = "at"
    default_start_urls = [API_ROOT]

    def __init__(self, start_url: str | None = None, api_key: str | None = None, *args, **kwargs):
        super().__init__(start_url, *args, **kwargs)
        root = self.start_urls[0]
        self.api_root = root if root.endswith("/") else root + "/"
        self.api_key = (api_key or os.environ.get(ENV_KEY) or "").strip()
        self.skip_reason = ""
        self.token = ""
        self._referential = None
        self._reauthenticated = False

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
            yield self._page_request(urljoin(self.api_root, f"aids/?itemsPerPage={PAGE_SIZE}"))

    def _auth_headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def _page_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, headers=self._auth_headers(), callback=self.parse_page,
                              meta={"handle_httpstatus_list": [401]})

    # -- pages of aids -------------------------------------------------------------------------
    def parse_page(self, response):
        if response.status == 401:  # the 24 h token expired during a long crawl: once, get a new one
            if self._reauthenticated:
                self.logger.error("Aides-territoires : jeton refusé après renouvellement (%s)", response.url)
                self._stat_set("aidenum/auth_error", "jeton refusé")
                return
            self._reauthenticated = True
            yield self._token_request(retry=response.request)
            return
        try:
            page = json.loads(response.text)
            results = page["results"]
        except (ValueError, KeyError, TypeError):
            self.logger.error("Aides-territoires : page illisible (JSON sans « results ») : %s", response.url)
            self._stat_inc("aidenum/layout_errors")
            return
        for record in results:
            item = self._parse_record(record, response.url)
            if item is not None:
                yield item
        if page.get("next"):
            yield self._page_request(self._parse_next(page["next"]))

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
        """``next`` on the API root we were given (a mirror keeps the API's path and query)."""
        root, target = urlsplit(self.api_root), urlsplit(urljoin(self.api_root, next_url))
        return urlunsplit((root.scheme, root.netloc, target.path, target.query, ""))

    @property
    def referential(self):
        if self._referential is None:
            from aidenum.catalogue import territory

            self._referential = territory.load()
        return self._referential

    # -- crawl bookkeeping ---------------------------------------------------------------------
    def _report_invalid(self, error: SchemeError) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is None:
            return
        from ..report import report_for

        report = report_for(crawler)
        report.items_seen += 1  # seen on the API, dropped before the pipelines
        report.invalid_item(error.field, str(error))
