"""Pipelines in process (no reactor): normalisation of French prose, validation per field,
deduplication within a crawl and across sources, and the store's decisions at spider close."""
from __future__ import annotations

import datetime as dt

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from aidenum.catalogue.model import Scheme
from aidenum.catalogue.store import Catalogue
from aidenum.spiders.pipelines import (DeduplicatePipeline, NormalisePipeline, StorePipeline, ValidatePipeline, url_key)
from aidenum.spiders.report import read_status, render_fr, report_for
from aidenum.spiders.spiders.base import SchemeSpider


class PrefectureSpider(SchemeSpider):
    name = "prefecture_test"
    source = "dsil"


class AggregatorSpider(SchemeSpider):
    name = "aggregator_test"
    source = "at"


class Chain:
    """The four pipelines of one crawler, driven by hand."""

    def __init__(self, spider_cls, home):
        self.crawler = get_crawler(spider_cls, {"AIDENUM_HOME": str(home)})
        self.crawler.spider = self.crawler._create_spider()
        self.steps = [cls.from_crawler(self.crawler) for cls in
                      (NormalisePipeline, ValidatePipeline, DeduplicatePipeline, StorePipeline)]
        for step in self.steps:
            if hasattr(step, "open_spider"):
                step.open_spider()
        self.report = report_for(self.crawler)

    def feed(self, item: dict):
        try:
            for step in self.steps:
                item = step.process_item(item)
            return item
        except DropItem as drop:
            return drop

    def close(self, reason: str = "finished"):
        self.steps[3].spider_closed(self.crawler.spider, reason)
        return self.report


def dsil_item(**fields) -> dict:
    item = {"id": "dsil:35-2025", "source": "dsil", "title": "DSIL 2025 en Ille-et-Vilaine",
            "url": "https://www.ille-et-vilaine.gouv.fr/dsil-2025?xtor=RSS-1", "funders": ["État"],
            "beneficiaries": ["Communes", "EPCI à fiscalité propre"], "perimeter": "Ille-et-Vilaine",
            "deadline": "avant le 30 avril 2025", "amount_max": "375,51 M€", "rate_max": "jusqu'à 80 %",
            "description": "<p>Dotation&nbsp;de soutien</p>string(6) \"188005\" NULL"}
    item.update(fields)
    return item


def test_normalise_reads_french_prose_labels_and_territory_names(aidenum_home):
    scheme = Chain(PrefectureSpider, aidenum_home).feed(dsil_item())
    assert isinstance(scheme, Scheme)
    assert scheme.url == "https://www.ille-et-vilaine.gouv.fr/dsil-2025"
    assert scheme.beneficiaries == ["commune", "epci"]
    assert scheme.perimeter == "DEP:35" and scheme.perimeter_label == "Ille-et-Vilaine"
    assert scheme.deadline == dt.date(2025, 4, 30)
    assert scheme.amount_max == 375_510_000 and scheme.rate_max == 80
    assert scheme.description == "Dotation de soutien"


def test_invalid_items_are_dropped_with_their_field_counted(aidenum_home):
    chain = Chain(PrefectureSpider, aidenum_home)
    assert isinstance(chain.feed(dsil_item(id="dsil:a", perimeter="Atlantide")), DropItem)
    assert isinstance(chain.feed(dsil_item(id="dsil:b", deadline="bientôt")), DropItem)
    assert isinstance(chain.feed(dsil_item(id="dsil:c", title="  ")), DropItem)
    assert isinstance(chain.feed(dsil_item(id="dsil:d", rate_max="120 %")), DropItem)
    assert isinstance(chain.feed(dsil_item(id="dsil:e", beneficiaries=["Communes", "Martiens"])), Scheme)
    assert chain.report.invalid == {"perimeter": 1, "deadline": 1, "title": 1, "rate_max": 1}
    assert chain.report.warnings == {"beneficiaries": 1}
    assert any("Atlantide" in example for example in chain.report.invalid_examples)
    assert chain.report.items_seen == 5 and chain.report.items_valid == 1


def test_duplicate_ids_within_a_crawl_are_dropped(aidenum_home):
    chain = Chain(PrefectureSpider, aidenum_home)
    assert isinstance(chain.feed(dsil_item()), Scheme)
    assert isinstance(chain.feed(dsil_item(title="Autre titre")), DropItem)
    report = chain.close()
    assert report.duplicates == 1 and report.counts["new"] == 1


def test_aides_territoires_copy_of_a_source_scheme_is_merged_into_it(aidenum_home):
    source = Chain(PrefectureSpider, aidenum_home)
    source.feed(dsil_item())
    assert source.close().status == "ok"

    aggregator = Chain(AggregatorSpider, aidenum_home)
    by_url = aggregator.feed({"id": "at:1182", "source": "at", "title": "Dotation de soutien à l'investissement local",
                              "url": "http://ille-et-vilaine.gouv.fr/dsil-2025/?utm_source=at", "perimeter": "DEP:35"})
    by_title = aggregator.feed({"id": "at:77", "source": "at", "title": "DSIL 2025 en ILLE-ET-VILAINE",
                                "funders": ["Etat"], "perimeter": "DEP:35"})
    other = aggregator.feed({"id": "at:9", "source": "at", "title": "Fonds vert", "funders": ["État"],
                             "perimeter": "FR"})
    assert isinstance(by_url, DropItem) and isinstance(by_title, DropItem) and isinstance(other, Scheme)
    report = aggregator.close()
    assert report.status == "ok" and report.merged == ["at:1182 -> dsil:35-2025", "at:77 -> dsil:35-2025"]
    assert report.counts == {"new": 1, "closed": 0}  # the source's record is linked, not counted as ours
    with Catalogue() as catalogue:
        assert catalogue.get("dsil:35-2025").sources == ["at:1182", "at:77"]
        assert catalogue.get("at:1182") is None and catalogue.get("at:9") is not None

    again = Chain(PrefectureSpider, aidenum_home)  # the source's next crawl keeps the links
    again.feed(dsil_item())
    again.close()
    with Catalogue() as catalogue:
        assert catalogue.get("dsil:35-2025").sources == ["at:1182", "at:77"]


def test_url_key_ignores_scheme_www_slash_and_tracking():
    assert url_key("https://www.a.gouv.fr/x/?utm_source=n&xtor=1") == url_key("http://a.gouv.fr/x")
    assert url_key("https://a.gouv.fr/x?id=2") != url_key("https://a.gouv.fr/x?id=3")


def test_interrupted_crawl_is_partial_and_closes_nothing(aidenum_home):
    first = Chain(PrefectureSpider, aidenum_home)
    for n in range(3):
        first.feed(dsil_item(id=f"dsil:{n}", url=f"https://p.gouv.fr/{n}"))
    first.close()
    second = Chain(PrefectureSpider, aidenum_home)
    second.feed(dsil_item(id="dsil:0", url="https://p.gouv.fr/0"))
    report = second.close(reason="shutdown")
    assert report.status == "partial" and not report.complete
    assert "interrompue" in report.message
    with Catalogue() as catalogue:
        assert all(s.closed_at is None for s in catalogue.all())


def test_mass_disappearance_is_suspended_not_applied(aidenum_home):
    first = Chain(PrefectureSpider, aidenum_home)
    for n in range(10):
        first.feed(dsil_item(id=f"dsil:{n}", url=f"https://p.gouv.fr/{n}"))
    first.close()
    second = Chain(PrefectureSpider, aidenum_home)
    for n in range(3):
        second.feed(dsil_item(id=f"dsil:{n}", url=f"https://p.gouv.fr/{n}"))
    report = second.close()
    assert report.status == "partial" and "7 fiches sur 10" in report.message
    with Catalogue() as catalogue:
        assert sum(1 for s in catalogue.all() if s.closed_at) == 0


def test_skipping_spider_is_reported_as_skipped(aidenum_home):
    chain = Chain(AggregatorSpider, aidenum_home)
    chain.crawler.spider.skip_reason = "pas de clé AIDES_TERRITOIRES_API_KEY : source ignorée"
    report = chain.close()
    assert report.status == "skipped" and report.ok
    saved = read_status(aidenum_home, "aggregator_test")
    assert saved.status == "skipped"
    assert "AIDES_TERRITOIRES_API_KEY" in render_fr(saved)
    with Catalogue() as catalogue:
        assert catalogue.runs() == []


def test_catalogue_write_failure_is_reported_and_rolled_back(aidenum_home, monkeypatch):
    chain = Chain(PrefectureSpider, aidenum_home)
    chain.feed(dsil_item())
    chain.feed(dsil_item(id="dsil:2", url="https://p.gouv.fr/2"))

    calls = []

    def broken_upsert(self, scheme):
        calls.append(scheme.id)
        if len(calls) == 2:
            raise OSError("disque plein")
        return original(self, scheme)

    from aidenum.catalogue import store
    original = store.Run.upsert
    monkeypatch.setattr(store.Run, "upsert", broken_upsert)
    report = chain.close()
    assert report.status == "failed" and "disque plein" in report.message
    with Catalogue() as catalogue:
        assert catalogue.count() == 0  # the first upsert was rolled back with the run
    assert read_status(aidenum_home, "prefecture_test").status == "failed"


@pytest.mark.parametrize("status, expected", [("ok", "réussie"), ("partial", "partielle"), ("failed", "en échec")])
def test_french_report_names_the_status(status, expected):
    from aidenum.spiders.report import CrawlReport
    text = render_fr(CrawlReport(spider="dsil", status=status, items_seen=2, items_valid=1,
                                 counts={"new": 1}, invalid={"deadline": 1}))
    assert f"collecte {expected}" in text and "date limite : 1" in text and "1 nouveau(x)" in text


def test_spider_error_on_a_page_makes_the_run_partial(aidenum_home):
    from scrapy.http import HtmlResponse
    from twisted.python.failure import Failure

    chain = Chain(PrefectureSpider, aidenum_home)
    chain.feed(dsil_item())
    response = HtmlResponse("https://p.gouv.fr/liste?page=2", body=b"<html></html>")
    try:
        raise ValueError("callback crashed")
    except ValueError:
        failure = Failure()
    chain.steps[3].spider_error(failure, response, chain.crawler.spider)
    report = chain.close()
    assert report.status == "partial"
    assert report.failures[0].reason == "page illisible (ValueError)" and report.failures[0].kind == "listing"
