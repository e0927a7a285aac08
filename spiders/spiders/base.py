"""What every aidenum spider shares: the ``start_url`` argument and the item contract.

Item contract: a spider yields plain dicts whose keys are ``catalogue.model.Scheme`` fields
(``id`` source-prefixed, ``source`` = the spider's ``source``, dates as ``datetime.date`` or
ISO strings, ``raw`` = what was read on the page). The pipelines validate, normalise,
deduplicate and store them; spiders never touch the catalogue.
"""
from __future__ import annotations

import scrapy


class SchemeSpider(scrapy.Spider):
    source: str = ""            # Scheme.source of every item, e.g. "feder"
    default_start_urls: list[str] = []

    def __init__(self, start_url: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [start_url] if start_url else list(self.default_start_urls)
