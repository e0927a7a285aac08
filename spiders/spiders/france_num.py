"""France Num (DGE): the "aides financières" fiches for businesses.

A listing of DSFR cards links to fiches ``/aides-financieres/<slug>``: H1, a meta line
"Fiche pratique | Publié le 24 mars 2021 | Mis à jour le 21 décembre 2022", then question-style
H2 sections ("Qu'est-ce que… ?", "Qui peut en bénéficier ?", "Comment en bénéficier ?").
France Num funds businesses only, so every item's beneficiaries are ``private-sector``.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urldefrag, urlsplit

import scrapy

from aidenum.catalogue.normalise import clean_text, find_amounts, find_dates, strip_tracking
from aidenum.catalogue.vocabularies import fold

from ..limits import NEXT_PAGE
from .base import SchemeSpider

_FICHE_PATH = re.compile(r"/aides-financieres/[^/?#]+/?$")
_CLOSED_RE = re.compile(r"n'est plus disponible|n'est plus ouvert|dispositif (est )?(clos|ferme|termine)|"
                        r"teleservice (est )?ferme|a pris fin")
_DEADLINE_CUES = re.compile(r"jusqu'au|avant le|au plus tard le|date limite|clotur")
_RANGE_RE = re.compile(r"\b(?:de|entre)\s+([\d\u00a0\u202f .]+?)\s*(?:€|euros?)?\s+(?:a|et)\s+"
                       r"([\d\u00a0\u202f .]+?\s*(?:€|euros?))")
_AMOUNT_CUES = re.compile(r"montant|jusqu'a|plafon|cheque|forfaitaire|d'une valeur|aide de|subvention de|prise en charge")


class FranceNumSpider(SchemeSpider):
    name = "francenum"
    source = "francenum"
    default_start_urls = ["https://www.francenum.gouv.fr/aides-financieres"]
    allowed_domains = ["francenum.gouv.fr"]
    # The « aides financières » listing shows 20 cards a page (saved copy, tests/files/france_num)
    # over 2 to 3 pages: about 60 fiches, 65 pages for a whole crawl. Bounds at about 5x that.
    custom_settings = {"CLOSESPIDER_PAGECOUNT": 300, "CLOSESPIDER_TIMEOUT": 20 * 60, "DEPTH_LIMIT": 20}

    def __init__(self, start_url: str | None = None, *args, **kwargs):
        super().__init__(start_url, *args, **kwargs)
        if start_url:  # a mirror or a loopback copy
            self.allowed_domains = []

    # -- listing -------------------------------------------------------------------------------
    def parse(self, response):
        links = [href for href in response.css("main a::attr(href), .fr-card a::attr(href)").getall()
                 if _FICHE_PATH.search(urlsplit(href.strip()).path)]
        if not links:
            self.logger.error("France Num : aucune fiche « /aides-financieres/… » sur %s "
                              "(la mise en page a peut-être changé)", response.url)
            self._stat_inc("aidenum/layout_errors")
        for href in dict.fromkeys(links):
            url = urldefrag(strip_tracking(response.urljoin(href.strip()))).url
            yield scrapy.Request(url, callback=self.parse_fiche)
        next_page = response.css("a.fr-pagination__link--next::attr(href), a[rel=next]::attr(href)").get()
        if next_page:
            yield response.follow(strip_tracking(next_page.strip()), callback=self.parse, meta={NEXT_PAGE: True})

    # -- one fiche -----------------------------------------------------------------------------
    def parse_fiche(self, response):
        sections = self._sections(response)
        title = self._parse_title(response)
        if not title or not sections:
            self.logger.error("France Num : fiche illisible sur %s (titre ou sections H2 absents)", response.url)
            self._stat_inc("aidenum/layout_errors")
            return
        url = urldefrag(strip_tracking(response.url)).url
        text = "\n".join(sections.values())
        meta = self._meta_line(response)
        amount_min, amount_max = self._parse_amounts(text)
        yield {
            "id": self._parse_id(url),
            "source": self.source,
            "url": url,
            "application_url": self._parse_application_url(response),
            "title": title,
            "description": self._parse_description(response, sections),
            "eligibility": self._parse_eligibility(sections),
            "funders": self._parse_funders(text),
            "instructors": self._parse_instructors(text),
            "beneficiaries": ["private-sector"],
            "aid_types": self._parse_aid_types(title + "\n" + text),
            **self._parse_perimeter(),
            "deadline": self._parse_deadline(text),
            "is_call_for_project": self._parse_is_call(title + "\n" + text),
            "archived": self._parse_archived(response),
            "amount_min": amount_min,
            "amount_max": amount_max,
            "raw": {"page_url": response.url, "meta": meta, "sections": sections,
                    **self._parse_meta_dates(meta)},
        }

    def _sections(self, response) -> dict[str, str]:
        """H2 heading -> text up to the next H2, inside the fiche content only."""
        content = response.css("main article, main .fr-content, main") or response
        result = {}
        for h2 in content[0].css("h2"):
            heading = " ".join(clean_text(h2.get()).split())
            n = len(h2.xpath("preceding-sibling::h2")) + 1
            parts = h2.xpath("./following-sibling::*[not(self::h2)][count(preceding-sibling::h2)=$n]", n=n)
            body = _text("".join(p.get() for p in parts))
            if heading and body and not fold(heading).startswith(("sur le meme sujet", "partager", "a lire aussi")):
                result[heading] = body
        return result

    def _meta_line(self, response) -> str:
        for line in response.css("main p, main div.fr-text--sm, main span").getall():
            text = " ".join(clean_text(line).split())
            if "publié le" in text.lower() and len(text) < 200:
                return text
        return ""

    def _parse_meta_dates(self, meta: str) -> dict:
        dates = {"kind": "", "published": None, "updated": None}
        for part in (p.strip() for p in meta.split("|")):
            folded = fold(part)
            found = find_dates(part)
            if folded.startswith("publie") and found:
                dates["published"] = found[0].isoformat()
            elif folded.startswith("mis a jour") and found:
                dates["updated"] = found[0].isoformat()
            elif part and not found:
                dates["kind"] = part
        return dates

    def _parse_perimeter(self) -> dict:
        return {"perimeter": "FR", "perimeter_label": "France"}  # France Num aids are national

    def _parse_id(self, url: str) -> str:
        return "francenum:" + urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].lower()

    def _parse_title(self, response) -> str:
        return " ".join(clean_text(response.css("h1").get()).split())

    def _parse_description(self, response, sections: dict[str, str]) -> str:
        chapo = " ".join(clean_text(response.css("main .fr-text--lead, main .chapo").get()).split())
        body = "\n".join(f"{heading}\n{text}" for heading, text in sections.items())
        return f"{chapo}\n{body}" if chapo else body

    def _parse_eligibility(self, sections: dict[str, str]) -> str:
        return "\n".join(text for heading, text in sections.items()
                         if re.search(r"qui peut|beneficiaires|pour qui|eligib", fold(heading)))

    def _parse_application_url(self, response) -> str:
        for h2 in response.css("h2"):
            if not re.search(r"comment (en )?beneficier|comment faire|demarche", fold(clean_text(h2.get()))):
                continue
            n = len(h2.xpath("preceding-sibling::h2")) + 1
            for href in h2.xpath("./following-sibling::*[count(preceding-sibling::h2)=$n]//a/@href", n=n).getall():
                url = response.urljoin(href.strip())
                # the application happens elsewhere (bank, Bpifrance, a téléservice), not on the fiche's site
                if url.startswith("http") and urlsplit(url).netloc != urlsplit(response.url).netloc:
                    return strip_tracking(url)
        return ""

    def _parse_funders(self, text: str) -> list[str]:
        return ["Bpifrance"] if re.search(r"\bbpifrance\b", fold(text)) else []

    def _parse_instructors(self, text: str) -> list[str]:
        if re.search(r"agence de services et de paiement|\basp\b", fold(text)):
            return ["Agence de services et de paiement (ASP)"]
        return []

    def _parse_aid_types(self, text: str) -> list[str]:
        folded = fold(text)
        types = []
        if re.search(r"\b(prets?|credits? bancaires?)\b", folded):
            types.append("loan")
        if re.search(r"\b(subventions?|cheques?)\b", folded):
            types.append("grant")
        if re.search(r"\bgarantie?s?\b", folded):
            types.append("other")  # a guarantee on the bank loan is the public aid itself
        return types

    def _parse_amounts(self, text: str) -> tuple[float | None, float | None]:
        for sentence in _sentences(text):
            folded = fold(sentence)
            match = _RANGE_RE.search(folded)
            if match:
                low, high = find_amounts(match.group(1) + " €"), find_amounts(match.group(2))
                if low and high:
                    return low[0], high[0]
        for sentence in _sentences(text):
            if _AMOUNT_CUES.search(fold(sentence)):
                amounts = find_amounts(sentence)
                if amounts:
                    return None, max(amounts)
        return None, None

    def _parse_deadline(self, text: str) -> dt.date | None:
        deadlines = [d for s in _sentences(text) if _DEADLINE_CUES.search(fold(s)) for d in find_dates(s)]
        return max(deadlines) if deadlines else None

    def _parse_is_call(self, text: str) -> bool:
        return bool(re.search(r"appels? a (projets|manifestation d'interet|candidatures)", fold(text)))

    def _parse_archived(self, response) -> bool:
        banners = " ".join(clean_text(b) for b in response.css(
            ".fr-alert, .fr-notice, .alert, [role=alert], .fr-badge, .fr-tag--closed").getall())
        return bool(_CLOSED_RE.search(fold(banners)))


def _text(html: str) -> str:
    html = re.sub(r"<(script|style|noscript)\b.*?</\1>", " ", html, flags=re.IGNORECASE | re.DOTALL)
    return clean_text(html)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;!?])\s+|\n", text) if s.strip()]
