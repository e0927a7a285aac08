"""Downloader middleware recording every page the crawl finally failed to read.

It sits below RetryMiddleware and RedirectMiddleware, so it only sees final outcomes: a 500
retried into a 200 is not a failure, a 500 after every retry is. A status the spider asked to handle itself
(``handle_httpstatus_list``, e.g. a 401 that triggers a new token) is the spider's business.
The store uses these failures
to decide whether the run is complete and which schemes must be kept rather than closed.
"""
from __future__ import annotations

from scrapy.exceptions import (CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
                               DownloadTimeoutError, IgnoreRequest, ResponseDataLossError)

from .report import report_for


def describe_exception(exception: BaseException) -> str | None:
    """French reason for a download failure; None when it is not a failure (offsite, filtered)."""
    from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError

    if isinstance(exception, IgnoreRequest):
        return "interdite par robots.txt" if "robots.txt" in str(exception) else None
    if isinstance(exception, DownloadCancelledError):
        return "page trop volumineuse (refusée au-delà de DOWNLOAD_MAXSIZE)"
    if isinstance(exception, (DownloadTimeoutError, TimeoutError, TCPTimedOutError)):
        return "délai de réponse dépassé"
    if isinstance(exception, (CannotResolveHostError, DNSLookupError)):
        return "nom de domaine introuvable"
    if isinstance(exception, (DownloadConnectionRefusedError, ConnectionRefusedError)):
        return "connexion refusée"
    if isinstance(exception, ResponseDataLossError):
        return "page tronquée (connexion coupée)"
    return f"erreur réseau ({type(exception).__name__})"


class FailureRecorderMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        handled_by_spider = (request.meta.get("handle_httpstatus_all")
                             or response.status in request.meta.get("handle_httpstatus_list", ()))
        if response.status >= 400 and not handled_by_spider and not request.url.endswith("/robots.txt"):
            report_for(self.crawler).failure(request.url, f"HTTP {response.status}")
        return response

    def process_exception(self, request, exception):
        if request.url.endswith("/robots.txt"):
            return None
        reason = describe_exception(exception)
        if reason:
            report_for(self.crawler).failure(request.url, reason)
        return None
