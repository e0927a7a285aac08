"""Crawl bounds: what stops a crawl that would otherwise run forever, and how the report says so.

Each spider declares its page, time and depth limits in ``custom_settings`` (Scrapy's
``CLOSESPIDER_PAGECOUNT``, ``CLOSESPIDER_TIMEOUT`` and ``DEPTH_LIMIT``), sized to its real source
with the reason next to the figure. A crawl stopped by a limit is *partial*: the pages read are
kept, no unseen scheme is closed, and the report names the limit (``CrawlReport.limits``).

Scrapy drops some pages without telling the spider: a response refused by the decompression
guard (a gzip bomb), a redirect chain past ``REDIRECT_MAX_TIMES``, a request the duplicate filter
drops because it was already read (a redirect loop A → B → A, a « page suivante » pointing back).
The pieces here turn each into a named failure or limit:

- ``ErrbackMiddleware`` (spider middleware) gives every request an errback that records
  ``IgnoreRequest`` failures raised while the response was processed;
- ``LimitsExtension`` listens to ``request_dropped`` (redirect and pagination loops);
- ``ReportedDepthMiddleware`` replaces Scrapy's depth middleware and says when it drops a link;
- ``DelayMiddleware`` (downloader middleware) waits ``meta["aidenum_delay"]`` seconds before
  sending a request: the Aides-territoires spider's backoff.
"""
from __future__ import annotations

import asyncio
import re

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.spidermiddlewares.depth import DepthMiddleware

from .report import report_for

# meta key set by a spider on the request of a « page suivante » (a listing's next page)
NEXT_PAGE = "aidenum_next"
DELAY = "aidenum_delay"

_MIB = 1024 * 1024
# Scrapy's close reasons that are one of our bounds (CloseSpider extension)
LIMIT_REASONS = {"closespider_pagecount", "closespider_timeout", "closespider_itemcount", "closespider_errorcount"}


def _size(n: int) -> str:
    return f"{n / _MIB:.0f} Mio" if n >= _MIB else f"{n // 1024} kio"


def describe_close_reason(reason: str, settings) -> str:
    """French sentence for why Scrapy closed a spider; "" when it simply finished."""
    if reason == "finished":
        return ""
    if reason == "closespider_pagecount":
        return (f"limite de {settings.getint('CLOSESPIDER_PAGECOUNT')} pages atteinte "
                "(CLOSESPIDER_PAGECOUNT)")
    if reason == "closespider_timeout":
        seconds = settings.getfloat("CLOSESPIDER_TIMEOUT")
        duration = f"{seconds:g} s" if seconds < 60 else f"{seconds / 60:g} min"
        return f"durée maximale de {duration} atteinte (CLOSESPIDER_TIMEOUT)"
    if reason == "closespider_itemcount":
        return f"limite de {settings.getint('CLOSESPIDER_ITEMCOUNT')} fiches atteinte (CLOSESPIDER_ITEMCOUNT)"
    if reason == "closespider_errorcount":
        return f"trop d'erreurs ({settings.getint('CLOSESPIDER_ERRORCOUNT')}, CLOSESPIDER_ERRORCOUNT)"
    if reason == "shutdown":
        return "collecte interrompue par l'utilisateur (Ctrl-C) ou par un arrêt du système"
    return f"collecte interrompue ({reason})"


_DECOMPRESSED = re.compile(r"\((\d+) B compressed, (\d+) B decompressed")


def describe_ignored(exception: IgnoreRequest, settings) -> str | None:
    """French reason for a page Scrapy ignored while processing its response; None when the
    drop is not a failure of the crawl (offsite, robots.txt: told elsewhere)."""
    text = str(exception)
    if "max redirections" in text:
        return (f"boucle de redirections (plus de {settings.getint('REDIRECT_MAX_TIMES')} redirections, "
                "REDIRECT_MAX_TIMES)")
    if "DOWNLOAD_MAXSIZE" in text or "decompress" in text:
        found = _DECOMPRESSED.search(text)
        compressed = f"{_size(int(found.group(1)))} compressés, " if found else ""
        return (f"bombe de décompression : page compressée ({compressed}plus de "
                f"{_size(settings.getint('DOWNLOAD_MAXSIZE'))} une fois décompressée, DOWNLOAD_MAXSIZE) ; "
                "page refusée")
    return None


def requested_url(request) -> str:
    """The address the spider asked for, before any redirect: the store matches a failure to a
    known scheme by it (a failure at the end of a redirect chain would look like a new page)."""
    chain = request.meta.get("redirect_urls")
    return chain[0] if chain else request.url


class ErrbackMiddleware(BaseSpiderMiddleware):
    """Every request without an errback gets ``record_ignored``: Scrapy calls only the errback
    when a downloader middleware refuses a response (decompression guard, redirect limit)."""

    def get_processed_request(self, request, response):
        if request.errback is None:
            return request.replace(errback=self._errback)
        return request

    def _errback(self, failure):
        if failure.check(IgnoreRequest) and not failure.request.meta.get("aidenum_recorded"):
            reason = describe_ignored(failure.value, self.crawler.settings)
            if reason:
                report_for(self.crawler).failure(requested_url(failure.request), reason)
        return None


class LimitsExtension:
    """Names in the report the requests the duplicate filter drops: redirect and pagination loops."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.request_dropped, signal=signals.request_dropped)
        return extension

    def request_dropped(self, request, spider):
        report = report_for(self.crawler)
        chain = request.meta.get("redirect_urls")
        if chain:
            report.failure(requested_url(request), "boucle de redirections : " + " → ".join([*chain, request.url]))
        elif request.meta.get(NEXT_PAGE):
            report.stopped(f"boucle de pagination : la page suivante renvoie vers une page déjà lue ({request.url})")


class ReportedDepthMiddleware(DepthMiddleware):
    """Scrapy's DEPTH_LIMIT, and the report says once that links were left unread because of it."""

    def get_processed_request(self, request, response):
        processed = super().get_processed_request(request, response)
        if processed is None and response is not None and self.maxdepth:
            report = report_for(self.crawler)
            sentence = f"profondeur maximale de {self.maxdepth} liens atteinte (DEPTH_LIMIT)"
            if sentence not in report.limits:
                report.stopped(sentence)
        return processed


class DelayMiddleware:
    """Waits ``request.meta["aidenum_delay"]`` seconds before the request leaves (backoff).

    A crawl being stopped (Ctrl-C, SIGTERM) drops the waiting request instead of waiting the
    backoff out: the graceful stop waits for requests in progress, and a backoff lasts up to 20 s.
    """

    # how often a waiting request looks whether the crawl is being stopped
    POLL_SECONDS = 0.2

    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _stopping(self) -> bool:
        return self.crawler is not None and not self.crawler.crawling

    async def process_request(self, request):
        delay = float(request.meta.get(DELAY) or 0)
        if delay <= 0:
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        while (left := deadline - loop.time()) > 0:
            if self._stopping():
                raise IgnoreRequest(f"collecte arrêtée pendant l'attente avant {request.url}")
            await asyncio.sleep(min(left, self.POLL_SECONDS))
        return None
