"""What every aidenum spider shares: the ``start_url`` argument and the item contract.

Item contract: a spider yields plain dicts whose keys are ``catalogue.model.Scheme`` fields
(``id`` source-prefixed, ``source`` = the spider's ``source``, dates as ``datetime.date`` or
ISO strings, ``raw`` = what was read on the page). The pipelines validate, normalise,
deduplicate and store them; spiders never touch the catalogue.
"""
from __future__ import annotations

import copy

import lxml.html
import scrapy

from aidenum.catalogue.normalise import clean_text

_HEADING_TAGS = {"h2", "h3", "h4", "dt"}
_SECTION_MARK = "\u00a7\u00a7"  # marks a section heading in the flattened text
# scripts, menus, breadcrumbs, share buttons and lone-link paragraphs ("Retour à la liste",
# "Commencer la démarche") are page chrome, not content
_NOISE_XPATH = (".//script | .//style | .//nav | .//form | .//*[contains(@class, 'share')]"
                " | .//*[contains(@class, 'breadcrumb') or contains(@class, 'ariane') or contains(@class, 'entry-meta')]"
                " | .//p[a and not(normalize-space(text()))]")


def flatten_sections(root, heading_classes: tuple[str, ...] = ()) -> tuple[str, dict[str, str]]:
    """(intro, {heading: text}) of a content element. Headings are h2-h4, dt and elements with
    one of ``heading_classes``; a heading with no text keeps an empty body, the first of two
    equal headings wins."""
    root = copy.deepcopy(root)
    for noise in root.xpath(_NOISE_XPATH):
        noise.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        classes = element.get("class", "").split()
        if element.tag in _HEADING_TAGS or any(c in classes for c in heading_classes):
            element.text = f"\n{_SECTION_MARK}" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    text = clean_text(lxml.html.tostring(root, encoding="unicode"))
    intro, *blocks = text.split(_SECTION_MARK)
    sections: dict[str, str] = {}
    for block in blocks:
        heading, _, body = block.partition("\n")
        heading = heading.strip().rstrip(" :")
        if heading and heading not in sections:
            sections[heading] = body.strip()
    return intro.strip(), sections


class SchemeSpider(scrapy.Spider):
    source: str = ""            # Scheme.source of every item, e.g. "feder"
    default_start_urls: list[str] = []

    def __init__(self, start_url: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [start_url] if start_url else list(self.default_start_urls)

    # -- crawl bookkeeping read by the crawl report (aidenum/layout_errors, aidenum/skipped, …) --
    def _stats(self):
        crawler = getattr(self, "crawler", None)
        return crawler.stats if crawler is not None else None

    def _stat_set(self, key: str, value) -> None:
        if self._stats() is not None:
            self._stats().set_value(key, value)

    def _stat_inc(self, key: str) -> None:
        if self._stats() is not None:
            self._stats().inc_value(key)
