"""Crawl report: what one spider run did, kept per crawler, written as a status file and told in French.

The middleware, the pipelines and the store all write into the ``CrawlReport`` of their crawler;
the store turns it into ``$AIDENUM_HOME/status/<spider>.json`` at spider close; ``aidenum crawl``
reads those files back and prints them with ``render_fr`` (so a Scrapyd job leaves the same
trace as a command-line crawl).
"""
from __future__ import annotations

import json
import sys
import time
import weakref
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aidenum.catalogue.files import atomic_write

# Fields whose fill rate is worth telling: the ones the matcher and the drafts rely on.
FILL_FIELDS = ("description", "url", "funders", "beneficiaries", "aid_types", "themes", "perimeter",
               "deadline", "amount_max", "rate_max")
FIELD_LABELS_FR = {
    "id": "identifiant", "source": "source", "title": "titre", "url": "adresse", "description": "description",
    "application_url": "adresse de dépôt", "eligibility": "éligibilité", "funders": "financeurs",
    "beneficiaries": "bénéficiaires", "aid_types": "types d'aide", "destinations": "dépenses",
    "steps": "étapes", "themes": "thèmes", "perimeter": "territoire", "start_date": "date d'ouverture",
    "deadline": "date limite", "recurrence": "récurrence", "amount_min": "montant minimum",
    "amount_max": "montant maximum", "rate_min": "taux minimum", "rate_max": "taux maximum", "*": "fiche",
}
MAX_EXAMPLES = 20


@dataclass
class Failure:
    """A page that could not be read (after retries and redirects)."""
    url: str
    reason: str            # "HTTP 404", "délai dépassé", "page trop volumineuse", "robots.txt", …
    kind: str = "unknown"  # "listing" | "detail" | "unknown" (decided by the store)


@dataclass
class CrawlReport:
    spider: str = ""
    source: str = ""
    started_at: str = ""
    finished_at: str = ""
    finish_reason: str = ""
    items_seen: int = 0
    items_valid: int = 0
    pages: int = 0
    invalid: Counter = field(default_factory=Counter)            # field -> dropped items
    invalid_examples: list[str] = field(default_factory=list)
    warnings: Counter = field(default_factory=Counter)           # field -> ignored values
    warning_examples: list[str] = field(default_factory=list)
    filled: Counter = field(default_factory=Counter)             # field -> valid items having it
    failures: list[Failure] = field(default_factory=list)
    duplicates: int = 0
    retries: int = 0                                             # requests retried (500/503, timeouts…)
    merged: list[str] = field(default_factory=list)              # "at:12 -> dsil:x"
    kept_unseen: list[str] = field(default_factory=list)         # schemes kept although their page failed
    rejected_ids: list[str] = field(default_factory=list)        # ids of the records dropped as invalid
    limits: list[str] = field(default_factory=list)              # French: the bounds that stopped the crawl
    counts: dict = field(default_factory=dict)                   # new/changed/unchanged/closed/reopened
    complete: bool = False
    status: str = ""        # "ok" | "partial" | "failed" | "skipped"
    message: str = ""       # French explanation of the status
    skipped: str = ""       # French reason when the spider chose not to run
    log_file: str = ""
    elapsed_seconds: float = 0.0   # from spider open to the end of the catalogue write

    def invalid_item(self, field_name: str, message: str, record: str = "") -> None:
        """A record dropped by validation; ``record`` (its id, when it has one) lets the store keep
        the version already in the catalogue instead of closing it as unseen."""
        self.invalid[field_name] += 1
        if record and record != "?":
            self.rejected_ids.append(record)
        if len(self.invalid_examples) < MAX_EXAMPLES:
            self.invalid_examples.append(message)

    def warn(self, field_name: str, message: str) -> None:
        self.warnings[field_name] += 1
        if len(self.warning_examples) < MAX_EXAMPLES:
            self.warning_examples.append(message)

    def failure(self, url: str, reason: str) -> None:
        self.failures.append(Failure(url, reason))

    def stopped(self, reason: str) -> None:
        """A bound (page cap, loop, depth, duration) cut the crawl short: the run is partial."""
        if reason not in self.limits:
            self.limits.append(reason)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["invalid"], data["warnings"], data["filled"] = dict(self.invalid), dict(self.warnings), dict(self.filled)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "CrawlReport":
        data = dict(data)
        data["failures"] = [Failure(**f) for f in data.get("failures", [])]
        for name in ("invalid", "warnings", "filled"):
            data[name] = Counter(data.get(name, {}))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


_REPORTS: "weakref.WeakKeyDictionary[object, CrawlReport]" = weakref.WeakKeyDictionary()


def report_for(crawler) -> CrawlReport:
    """The report of ``crawler``, created on first use (shared by middleware and pipelines)."""
    report = _REPORTS.get(crawler)
    if report is None:
        report = _REPORTS[crawler] = CrawlReport()
    return report


# -- status files ----------------------------------------------------------------------------------
def status_dir(home: Path) -> Path:
    return Path(home) / "status"


def write_status(home: Path, report: CrawlReport) -> Path:
    folder = status_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.spider}.json"
    return atomic_write(path, json.dumps(report.to_dict(), ensure_ascii=False, indent=2))  # never half a file


def read_status(home: Path, spider: str) -> CrawlReport | None:
    path = status_dir(home) / f"{spider}.json"
    if not path.exists():
        return None
    return CrawlReport.from_dict(json.loads(path.read_text(encoding="utf-8")))


# -- French rendering ------------------------------------------------------------------------------
STATUS_FR = {"ok": "réussie", "partial": "partielle", "failed": "en échec", "skipped": "ignorée"}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n <= 1 else (plural or word + 's')}"


def render_fr(report: CrawlReport) -> str:
    from aidenum.catalogue.model import SOURCES

    named = f" ({SOURCES[report.spider]})" if report.spider in SOURCES else ""
    lines = [f"Source « {report.spider} »{named} : collecte {STATUS_FR.get(report.status, report.status)}"]
    if report.status == "skipped":
        lines.append(f"  {report.skipped or report.message}")
        return "\n".join(lines)
    c = Counter(report.counts)
    lines.append(f"  {_plural(report.pages, 'page lue', 'pages lues')}, "
                 f"{_plural(report.items_seen, 'fiche trouvée', 'fiches trouvées')}, "
                 f"{_plural(report.items_valid, 'fiche valide', 'fiches valides')}")
    lines.append(f"  catalogue : {c['new']} nouveau(x), {c['changed']} modifié(s), {c['unchanged']} inchangé(s), "
                 f"{c['closed']} clôturé(s), {c['reopened']} rouvert(s)")
    if report.invalid:
        detail = ", ".join(f"{FIELD_LABELS_FR.get(f, f)} : {n}" for f, n in Counter(report.invalid).most_common())
        lines.append(f"  fiches rejetées par champ : {detail}")
        for example in report.invalid_examples[:3]:
            lines.append(f"    - {example}")
    if report.warnings:
        detail = ", ".join(f"{FIELD_LABELS_FR.get(f, f)} : {n}" for f, n in Counter(report.warnings).most_common())
        lines.append(f"  valeurs ignorées par champ : {detail}")
    if report.items_valid:
        fill = ", ".join(f"{FIELD_LABELS_FR.get(f, f)} {round(100 * report.filled[f] / report.items_valid)} %"
                         for f in FILL_FIELDS)
        lines.append(f"  champs renseignés : {fill}")
    if report.duplicates:
        lines.append(f"  {_plural(report.duplicates, 'doublon ignoré', 'doublons ignorés')}")
    if report.merged:
        lines.append(f"  {_plural(len(report.merged), 'fiche fusionnée', 'fiches fusionnées')} avec la fiche "
                     f"de sa source d'origine")
    if report.retries:
        lines.append(f"  {_plural(report.retries, 'nouvelle tentative', 'nouvelles tentatives')} "
                     f"après une erreur serveur ou un délai dépassé")
    if report.failures:
        lines.append(f"  erreurs HTTP / pages illisibles : {len(report.failures)}")
        for failure in report.failures[:8]:
            lines.append(f"    - {failure.reason} : {failure.url}")
        if len(report.failures) > 8:
            lines.append(f"    … et {len(report.failures) - 8} autre(s)")
    for limit in report.limits:
        lines.append(f"  arrêtée par une limite : {limit}")
    if report.kept_unseen:
        lines.append(f"  {_plural(len(report.kept_unseen), 'fiche conservée', 'fiches conservées')} telle(s) "
                     f"quelle(s) faute d'avoir pu relire sa page ou parce que sa nouvelle version a été rejetée")
    if report.message:
        lines.append(f"  {report.message}")
    return "\n".join(lines)


class ProgressExtension:
    """On a terminal, one line every few seconds: pages read and schemes found. Silent otherwise."""

    INTERVAL = 2.0

    def __init__(self, crawler):
        self.crawler = crawler
        self.last = 0.0
        self.enabled = sys.stderr.isatty()

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        extension = cls(crawler)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def response_received(self, response, request, spider):
        if not request.url.endswith("/robots.txt"):
            report_for(self.crawler).pages += 1
        self._tick()

    def item_scraped(self, item, response, spider):
        self._tick()

    def _tick(self) -> None:
        if not self.enabled or time.monotonic() - self.last < self.INTERVAL:
            return
        self.last = time.monotonic()
        report = report_for(self.crawler)
        sys.stderr.write(f"  {report.spider or self.crawler.spider.name} : {report.pages} pages, "
                         f"{report.items_valid} fiches…\n")
        sys.stderr.flush()
