"""A small spider of the crawl tests: a préfecture-like listing of aids and their pages.

It leaves French prose to the pipelines on purpose (amounts, labels, territory names), so the
end-to-end tests exercise the normalisation too. Loaded with ``--set SPIDER_MODULES=…``.
"""
from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from aidenum.catalogue.normalise import clean_text, find_rates, parse_window

from aidenum.spiders.spiders.base import SchemeSpider


class DemoPrefectureSpider(SchemeSpider):
    name = "demo_prefecture"
    source = "demo"
    default_start_urls = ["http://127.0.0.1:9/aides"]
    url_variable = "DEMO_PREFECTURE_URL"  # lets one command crawl several loopback sites

    def __init__(self, start_url=None, *args, **kwargs):
        super().__init__(start_url or os.environ.get(self.url_variable), *args, **kwargs)

    def parse(self, response):
        links = response.css("ul.aides li.aide a::attr(href)").getall()
        if not links:
            self.logger.error("aucune aide sur la page de liste %s", response.url)
            self.crawler.stats.inc_value("aidenum/layout_errors")
        for href in links:
            yield response.follow(href, callback=self.parse_scheme)
        next_page = response.css("a.suivant::attr(href)").get()
        if next_page:
            yield response.follow(next_page, callback=self.parse)

    def parse_scheme(self, response):
        body = " ".join(response.css("div.corps p").getall())
        start, deadline = self._parse_window(body)
        rate_min, rate_max = self._parse_rates(body)
        yield {
            "id": self._parse_id(response),
            "source": self.source,
            "url": response.url,
            "title": clean_text(response.css("h1.titre").get()),
            "description": clean_text(body),
            "beneficiaries": response.css("ul.beneficiaires li::text").getall(),
            "perimeter": self._parse_territory(response),
            "start_date": start,
            "deadline": deadline,
            "amount_max": self._parse_envelope(response),
            "rate_min": rate_min,
            "rate_max": rate_max,
            "funders": ["État"],
            "raw": {"page_url": response.url},
        }

    def _parse_id(self, response) -> str:
        return "demo:" + urlsplit(response.url).path.rstrip("/").rsplit("/", 1)[-1]

    def _parse_window(self, text):
        return parse_window(clean_text(text))

    def _parse_rates(self, text):
        rates = find_rates(clean_text(text))
        return (min(rates), max(rates)) if len(rates) > 1 else (None, rates[0] if rates else None)

    def _parse_envelope(self, response):
        for paragraph in response.css("div.corps p::text").getall():
            if "nveloppe" in paragraph or "rédits" in paragraph:
                return paragraph.split(":")[-1].split("à")[-1]  # prose left for the pipeline
        return None

    def _parse_territory(self, response):
        text = clean_text(response.css("p.territoire").get())
        return text.split(":", 1)[-1].strip() if text else None


class DemoRegionSpider(DemoPrefectureSpider):
    """The same page shapes published by a second source."""
    name = "demo_region"
    source = "demo2"
    url_variable = "DEMO_REGION_URL"

    def _parse_id(self, response) -> str:
        return "demo2:" + urlsplit(response.url).path.rstrip("/").rsplit("/", 1)[-1]


class DemoAggregatorSpider(SchemeSpider):
    """An Aides-territoires-like JSON API: ``{"next", "results": [...]}`` with labels and origin URLs."""
    name = "demo_at"
    source = "at"
    default_start_urls = ["http://127.0.0.1:9/api/aids/"]

    def __init__(self, start_url=None, *args, **kwargs):
        super().__init__(start_url or os.environ.get("DEMO_AT_URL"), *args, **kwargs)

    def parse(self, response):
        page = json.loads(response.text)
        for record in page["results"]:
            yield {
                "id": f"at:{record['id']}",
                "source": self.source,
                "title": record["name"],
                "url": record["origin_url"],
                "funders": record["financers"],
                "beneficiaries": record["targeted_audiences"],
                "perimeter": record["perimeter"],
                "deadline": record.get("submission_deadline"),
                "raw": record,
            }
        if page.get("next"):
            yield response.follow(page["next"], callback=self.parse)
