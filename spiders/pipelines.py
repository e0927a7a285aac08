"""Item pipelines: normalise -> validate -> deduplicate -> store (one catalogue run per spider).

Spiders yield plain dicts (see ``spiders/spiders/base.py``). Every drop names its field in the
crawl report. Nothing touches the catalogue before the spider closes: the whole crawl of a
source is then written in ONE ``Catalogue.run`` transaction, marked complete (schemes not seen
are closed) only when the crawl is known to be whole.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import DropItem

from aidenum.catalogue import territory
from aidenum.catalogue.model import LIST_FIELDS, NUMBER_FIELDS, TEXT_FIELDS, Scheme, SchemeError
from aidenum.catalogue.normalise import clean_text, find_rates, parse_amount, parse_french_date, strip_tracking
from aidenum.catalogue.vocabularies import VOCABULARIES, fold, label_to_slug

from .report import FILL_FIELDS, CrawlReport, report_for, write_status

logger = logging.getLogger(__name__)

# A "complete" run that would close more than half of a source's open schemes is downgraded to
# partial: the guard (``store.mass_closure``) is shared with ``catalogue import --complete``.
AT_SOURCE = "at"
_CODE_RE = re.compile(r"^(FR|EU|OM|METRO|(REG|DEP|EPCI|COM):[0-9AB]+)$")


def _home(crawler) -> Path:
    from aidenum.catalogue import store

    return Path(crawler.settings.get("AIDENUM_HOME") or store.home())


def _drop(report: CrawlReport, error: SchemeError) -> DropItem:
    report.invalid_item(error.field, str(error), error.record)
    return DropItem(str(error))


# -- normalise -------------------------------------------------------------------------------------
class NormalisePipeline:
    """French prose and labels -> model values: dates, amounts, rates, vocabularies, territory codes."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.report = report_for(crawler)
        self._referential = None
        self._resolved: dict[str, str | Exception] = {}  # a listing repeats the same few territories

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        spider = self.crawler.spider
        self.report.spider = spider.name
        self.report.source = getattr(spider, "source", "") or spider.name
        self.report.started_at = dt.datetime.now().replace(microsecond=0).isoformat()

    def process_item(self, item):
        self.report.items_seen += 1
        data = dict(item)
        data.setdefault("source", self.report.source)
        try:
            return self.normalise(data)
        except SchemeError as error:
            raise _drop(self.report, error) from None

    referential = territory.LazyAttribute()

    def normalise(self, data: dict) -> dict:
        rid = str(data.get("id") or "?")
        for name in TEXT_FIELDS + ("rate_comment", "perimeter_label"):
            if isinstance(data.get(name), str):
                data[name] = clean_text(data[name])
        for name in ("url", "application_url"):
            if isinstance(data.get(name), str):
                data[name] = strip_tracking(data[name].strip())
        for name in LIST_FIELDS:
            if isinstance(data.get(name), str):
                data[name] = [data[name]]
            if isinstance(data.get(name), list):
                values = [clean_text(v) if isinstance(v, str) else v for v in data[name]]
                data[name] = list(dict.fromkeys(v for v in values if v != ""))
        for name in VOCABULARIES:
            if name in data:
                data[name] = self._slugs(rid, name, data[name])
        for name in ("start_date", "deadline"):
            data[name] = self._date(rid, name, data.get(name))
        for name in NUMBER_FIELDS:
            data[name] = self._number(rid, name, data.get(name))
        if data.get("perimeter") not in (None, ""):
            data["perimeter"] = self._perimeter(rid, data)
        return data

    def _slugs(self, rid: str, name: str, value):
        if name == "recurrence":
            if isinstance(value, str) and value:
                slug = label_to_slug(name, value)
                if slug is None:
                    raise SchemeError(rid, name, f"valeur inconnue « {value} »")
                return slug
            return value
        if not isinstance(value, list):
            return value
        slugs = []
        for label in value:
            slug = label_to_slug(name, label) if isinstance(label, str) else None
            if slug is None:
                self.report.warn(name, f"{rid} : valeur « {label} » ignorée dans « {name} »")
            else:
                slugs.append(slug)
        if value and not slugs:
            raise SchemeError(rid, name, f"aucune valeur reconnue parmi {value!r}")
        return list(dict.fromkeys(slugs))

    @staticmethod
    def _date(rid: str, name: str, value):
        if value in (None, "") or isinstance(value, dt.date):
            return value or None
        if isinstance(value, str):
            if re.match(r"^\d{4}-\d{2}-\d{2}", value.strip()):
                return value.strip()[:10]
            parsed = parse_french_date(value)
            if parsed is None:
                raise SchemeError(rid, name, f"date illisible « {value[:60]} »")
            return parsed
        return value

    @staticmethod
    def _number(rid: str, name: str, value):
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        if name.startswith("rate"):
            rates = find_rates(value) or find_rates(value + " %")
            if not rates:
                raise SchemeError(rid, name, f"taux illisible « {value[:60]} »")
            return rates[0]
        amount = parse_amount(value)
        if amount is None:
            raise SchemeError(rid, name, f"montant illisible « {value[:60]} »")
        return amount

    def _perimeter(self, rid: str, data: dict) -> str:
        from aidenum.catalogue.territory import TerritoryError

        value = str(data["perimeter"]).strip()
        if _CODE_RE.match(value):  # already a code: no need to load the referential
            return value
        if value not in self._resolved:
            try:
                self._resolved[value] = self.referential.resolve(value)
            except TerritoryError as error:
                self._resolved[value] = error
        code = self._resolved[value]
        if isinstance(code, Exception):
            raise SchemeError(rid, "perimeter", str(code))
        if code != value and not data.get("perimeter_label"):
            data["perimeter_label"] = value
        return code


# -- validate --------------------------------------------------------------------------------------
class ValidatePipeline:
    """``Scheme.from_dict``: the item becomes a Scheme or is dropped with its field named."""

    def __init__(self, crawler):
        self.report = report_for(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if isinstance(item, Scheme):
            return item
        try:
            scheme = Scheme.from_dict(item)
        except SchemeError as error:
            raise _drop(self.report, error) from None
        if scheme.source != self.report.source:
            raise _drop(self.report, SchemeError(scheme.id, "source", f"source « {scheme.source} » au lieu "
                                                                      f"de « {self.report.source} »"))
        self.report.items_valid += 1
        for name in FILL_FIELDS:
            value = getattr(scheme, name)
            if value not in (None, "", []) and not (name == "perimeter" and scheme.perimeter_label == ""
                                                     and value == "FR" and "perimeter" not in item):
                self.report.filled[name] += 1
        return scheme


# -- deduplicate -----------------------------------------------------------------------------------
def url_key(url: str) -> str:
    """Same page whatever the scheme, ``www.``, trailing slash, tracking or fragment."""
    if not url:
        return ""
    parts = urlsplit(strip_tracking(url.strip()))
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def title_key(scheme: Scheme) -> str:
    if not scheme.funders:
        return ""
    return f"{fold(scheme.title)}|{fold(scheme.funders[0])}"


def scheme_keys(scheme: Scheme) -> set[str]:
    keys = {"url:" + url_key(scheme.url)} if scheme.url else set()
    raw = scheme.raw if isinstance(scheme.raw, dict) else {}
    if isinstance(raw.get("origin_url"), str) and raw["origin_url"]:
        keys.add("url:" + url_key(raw["origin_url"]))
    if title_key(scheme):
        keys.add("title:" + title_key(scheme))
    return keys


class DeduplicatePipeline:
    """Within a crawl: one item per id. Across sources: an Aides-territoires item describing a
    scheme that its own source already gave us (same origin page, or same title and funder) is
    merged into that record instead of becoming a second scheme."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.report = report_for(crawler)
        self.ids: set[str] = set()
        self.others: dict[str, str] | None = None  # key -> id of a scheme of another source

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _index_other_sources(self) -> dict[str, str]:
        from aidenum.catalogue.store import Catalogue

        index: dict[str, str] = {}
        with Catalogue(_home(self.crawler) / "catalogue.sqlite") as catalogue:
            for scheme in catalogue.all():
                if scheme.source == AT_SOURCE or scheme.closed_at:
                    continue
                for key in scheme_keys(scheme):
                    index.setdefault(key, scheme.id)
        return index

    def process_item(self, scheme: Scheme):
        if scheme.id in self.ids:
            self.report.duplicates += 1
            raise DropItem(f"doublon de {scheme.id} dans la même collecte")
        self.ids.add(scheme.id)
        if scheme.source == AT_SOURCE:
            if self.others is None:
                self.others = self._index_other_sources()
            target = next((self.others[k] for k in sorted(scheme_keys(scheme)) if k in self.others), None)
            if target:
                scheme.raw = {"merged_into": target, "record": scheme.raw}
                store_pipeline(self.crawler).merge(scheme, target)
                raise DropItem(f"{scheme.id} fusionné avec {target}")
        return scheme


# -- store -----------------------------------------------------------------------------------------
_STORES: dict[int, "StorePipeline"] = {}


def store_pipeline(crawler) -> "StorePipeline":
    return _STORES[id(crawler)]


class StorePipeline:
    """Collect the crawl's schemes; at spider close write them in one catalogue run and the status file."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.report = report_for(crawler)
        self.schemes: list[Scheme] = []
        self.merges: dict[str, list[str]] = {}   # target id -> at ids merged into it
        self.started = time.monotonic()
        _STORES[id(crawler)] = self

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.spider_error, signal=signals.spider_error)
        return pipeline

    def open_spider(self):
        self.started = time.monotonic()

    def process_item(self, scheme: Scheme):
        self.schemes.append(scheme)
        return scheme

    def merge(self, scheme: Scheme, target: str) -> None:
        self.merges.setdefault(target, []).append(scheme.id)
        self.report.merged.append(f"{scheme.id} -> {target}")

    def spider_error(self, failure, response, spider):
        self.report.failure(response.url, f"page illisible ({failure.type.__name__})")

    def spider_closed(self, spider, reason):
        report = self.report
        report.finish_reason = reason
        report.finished_at = dt.datetime.now().replace(microsecond=0).isoformat()
        report.log_file = self.crawler.settings.get("LOG_FILE") or ""
        report.retries = self.crawler.stats.get_value("retry/count", 0) if self.crawler.stats else 0
        home = _home(self.crawler)
        try:
            self._store(home, spider, reason)
        except Exception as error:  # the run was rolled back: the catalogue is as before
            logger.exception("Écriture du catalogue impossible")
            report.status, report.complete = "failed", False
            report.counts = {}
            report.message = f"écriture du catalogue impossible ({error}) : rien n'a été modifié"
        finally:
            report.elapsed_seconds = round(time.monotonic() - self.started, 3)
            write_status(home, report)
            _STORES.pop(id(self.crawler), None)

    def _store(self, home: Path, spider, reason: str) -> None:
        from aidenum.catalogue.store import Catalogue

        report = self.report
        skipped = getattr(spider, "skip_reason", "") or ""
        if skipped and not self.schemes:
            report.status, report.skipped = "skipped", skipped
            report.message = "source ignorée"
            return
        stats = self.crawler.stats
        layout_errors = stats.get_value("aidenum/layout_errors", 0) if stats else 0
        auth_error = stats.get_value("aidenum/auth_error") if stats else None
        with Catalogue(home / "catalogue.sqlite") as catalogue:
            known_urls = self._known_urls(catalogue, report.source)
            for failure in report.failures:
                failure.kind = "detail" if url_key(failure.url) in known_urls else "listing"
            listing_failures = [f for f in report.failures if f.kind == "listing"]
            from .limits import LIMIT_REASONS, describe_close_reason

            closed_by = describe_close_reason(reason, self.crawler.settings)
            if reason in LIMIT_REASONS:
                report.stopped(closed_by)
            problems = list(report.limits)
            if closed_by and reason not in LIMIT_REASONS:
                problems.append(closed_by)
            if listing_failures:
                problems.append(f"{len(listing_failures)} page(s) de liste ou fiche(s) nouvelle(s) illisible(s)")
            if auth_error:
                problems.append(f"authentification refusée ({auth_error})")
            if layout_errors:
                problems.append(f"{layout_errors} page(s) dont la mise en page a changé")
            if not self.schemes and not self.merges:
                problems.append("aucune fiche valide trouvée (mise en page changée ou site indisponible ?)")
            complete = not problems
            kept = {known_urls[url_key(f.url)] for f in report.failures if f.kind == "detail"}
            # a record rejected this time (a NaN rate, a bad date) is not a scheme gone from the source
            kept |= set(report.rejected_ids) & {s.id for s in catalogue.all(source=report.source)}
            if complete:
                too_many = self._too_many_closures(catalogue, report.source, kept)
                if too_many:
                    problems.append(too_many)
                    complete = False
            with catalogue.run(report.source, kind="crawl", label=spider.name, complete=complete) as run:
                for scheme in self.schemes:
                    self._upsert(catalogue, run, scheme)
                own_counts = Counter(run.counts)
                for target, at_ids in self.merges.items():  # another source's record gains links only
                    existing = catalogue.get(target)
                    if existing is not None:
                        existing.sources = sorted(set(existing.sources) | set(at_ids))
                        self._upsert(catalogue, run, existing, keep_state=True)
                if complete:
                    run.seen |= kept  # their page failed this time: keep them as they are
            report.kept_unseen = sorted(kept) if complete else []
            report.counts = dict(own_counts, closed=run.counts["closed"])
            report.complete = complete
        if complete:
            report.status, report.message = "ok", ""
        elif self.schemes:
            report.status = "partial"
            report.message = ("collecte partielle : " + " ; ".join(problems)
                              + ". Les fiches lues sont enregistrées, aucune fiche n'a été clôturée.")
        else:
            report.status = "failed"
            report.message = "échec : " + " ; ".join(problems) + ". Le catalogue de cette source est inchangé."

    def _upsert(self, catalogue, run, scheme: Scheme, keep_state: bool = False) -> None:
        previous = catalogue.get(scheme.id)
        if previous is not None and previous.sources:  # keep the links made by earlier merges
            scheme.sources = sorted(set(scheme.sources) | set(previous.sources))
        scheme.sources = sorted(set(scheme.sources) | set(self.merges.get(scheme.id, [])))
        if keep_state and previous is not None and previous.closed_at:
            return
        run.upsert(scheme)

    @staticmethod
    def _known_urls(catalogue, source: str) -> dict[str, str]:
        """url key -> id of the schemes of ``source`` already in the catalogue."""
        known = {}
        for scheme in catalogue.all(source=source):
            if scheme.url:
                known[url_key(scheme.url)] = scheme.id
            raw = scheme.raw if isinstance(scheme.raw, dict) else {}
            if isinstance(raw.get("page_url"), str):
                known.setdefault(url_key(raw["page_url"]), scheme.id)
        return known

    def _too_many_closures(self, catalogue, source: str, kept: set[str]) -> str:
        seen = {s.id for s in self.schemes} | kept
        merged_away = {at_id for ids in self.merges.values() for at_id in ids}
        open_ids = {s.id for s in catalogue.all(source=source) if not s.closed_at}
        missing = open_ids - seen - merged_away
        from aidenum.catalogue.store import mass_closure

        return mass_closure(len(missing), len(open_ids))
