"""Helpers for spider tests: turn a saved page into the Scrapy response a spider would get.

Usage::

    from spider_helpers import file_response   # tests/ is on sys.path under pytest
    response = file_response(FILES / "france_num" / "listing.html",
                             "https://www.francenum.gouv.fr/aides-financieres")
    items = list(spider.parse(response))

The response type follows the file: ``.json``/``.txt`` -> ``TextResponse``, ``.xml`` ->
``XmlResponse``, anything else -> ``HtmlResponse``. The body is passed as bytes, so the
encoding is detected the way Scrapy does it on the wire (``<meta charset>``, BOM, or the
``encoding`` argument / a ``Content-Type`` header when given).
"""
from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

_TYPES = {
    ".json": (TextResponse, "application/json"),
    ".txt": (TextResponse, "text/plain"),
    ".xml": (XmlResponse, "application/xml"),
}


def file_response(path, url: str, *, status: int = 200, encoding: str | None = None,
                  request: Request | None = None, meta: dict | None = None,
                  headers: dict | None = None):
    """A Scrapy response for the saved file ``path`` as if downloaded from ``url``.

    ``meta`` is attached to the (possibly given) request so ``response.meta`` works,
    ``headers`` are extra response headers (a ``Content-Type`` overrides the default one).
    """
    path = Path(path)
    body = path.read_bytes()
    cls, content_type = _TYPES.get(path.suffix.lower(), (HtmlResponse, "text/html"))
    all_headers = {"Content-Type": content_type + (f"; charset={encoding}" if encoding else "")}
    all_headers.update(headers or {})
    if request is None:
        request = Request(url, meta=dict(meta or {}))
    elif meta:
        request.meta.update(meta)
    kwargs = {"encoding": encoding} if encoding else {}
    return cls(url=url, status=status, body=body, headers=all_headers, request=request, **kwargs)
