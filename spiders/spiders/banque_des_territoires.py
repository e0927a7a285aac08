"""Banque des Territoires: the ``/dispositifs-nationaux`` card listing and the pages it links to.

Three page kinds are read with the same item parser: scheme detail pages (Drupal body
``.field--name-body``), offer pages (sections under H2 "Vos enjeux…" / "Notre offre…") and
Localtis news announcing calls for interest (body ``.field--name-body`` too). Most facts are
only in prose, so aid types, amounts, beneficiaries and dates are recognised from the text of
the main content only (the site menu lists "Prêts", "Subventions"… on every page).
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urldefrag, urlsplit

import scrapy

from aidenum.catalogue.normalise import clean_text, find_amounts, find_dates, strip_tracking
from aidenum.catalogue.formatting import MONTHS, MONTHS_FR, fold

from ..limits import NEXT_PAGE
from .base import SchemeSpider

COLLECTIVITES = ["commune", "epci", "department", "region"]

# folded text pattern -> beneficiary slugs (checked in sentences that say who may apply)
_BENEFICIARY_PATTERNS = [
    (r"\bcollectivites\b", COLLECTIVITES),
    (r"\bcommunes?\b", ["commune"]),
    (r"\b(intercommunalites?|epci|groupements? de communes|syndicats? (mixtes?|intercommunaux))\b", ["epci"]),
    (r"\bdepartements\b", ["department"]),
    (r"\bregions\b", ["region"]),
    (r"\bassociations?\b", ["association"]),
    (r"\b(entreprises privees|acteurs prives|operateurs prives|entreprises)\b", ["private-sector"]),
    (r"\b(entreprises publiques locales|sem|spl|societes d'economie mixte)\b", ["public-cies"]),
    (r"\b(operateurs publics|etablissements publics)\b", ["public-org"]),
]
_WHO_CUES = re.compile(r"\b(pour qui|beneficiaires?|destine(e)?s? aux|s'adresse(nt)? aux|ouvert(e)?s? aux|"
                       r"peuvent (candidater|beneficier|repondre|deposer)|prioritaires?|eligibles?)\b")
_DEADLINE_CUES = re.compile(r"(avant le|jusqu'au|au plus tard le|date limite|cloture|releves?|"
                            r"candidatures?[^.]{0,40}\bau\b)")
_START_CUES = re.compile(r"\b(lance(e)?|ouvert(e)?|ouverture|a partir du|des le|depuis le)\b")
_MONTH_YEAR_RE = re.compile(rf"\ben ({'|'.join(fold(m) for m in MONTHS_FR)}) (\d{{4}})\b")
# an amount "per beneficiary" is what an applicant can get; anything else is an envelope
_PER_UNIT_RE = re.compile(r"^\s*(par|pour chaque|maximum par)\s+(?!an\b|annee\b|mois\b)\w+")
_CEILING_RE = re.compile(r"(jusqu'a|plafonnee?s? a|dans la limite de|au maximum|maximum de|"
                         r"d'un montant de)\s*$")


class BanqueDesTerritoiresSpider(SchemeSpider):
    name = "bdt"
    source = "bdt"
    default_start_urls = ["https://www.banquedesterritoires.fr/dispositifs-nationaux"]
    allowed_domains = ["banquedesterritoires.fr", "caissedesdepots.fr"]
    # The /dispositifs-nationaux listing has 2 pages of cards (7 cards in the saved 2024 copy,
    # tests/files/banque_des_territoires) and each card one page: a whole crawl reads about 10
    # pages. Bounds at 30x that; each listing page is one link deeper than the previous one.
    custom_settings = {"CLOSESPIDER_PAGECOUNT": 300, "CLOSESPIDER_TIMEOUT": 20 * 60, "DEPTH_LIMIT": 20}

    def __init__(self, start_url: str | None = None, *args, **kwargs):
        super().__init__(start_url, *args, **kwargs)
        if start_url:  # a mirror or a loopback copy: follow its links whatever its host
            self.allowed_domains = []

    # -- listing -------------------------------------------------------------------------------
    def parse(self, response):
        """The card listing: one request per card, then the next listing page."""
        cards = response.css("article.card-o")
        if not cards:
            self.logger.error("Banque des Territoires : aucune carte « article.card-o » sur %s "
                              "(la mise en page a peut-être changé)", response.url)
            self._stat_inc("aidenum/layout_errors")
        for card in cards:
            href = card.css("a.card-o__trigger::attr(href)").get()
            title = clean_text(card.css(".card-o__title").get())
            if not href:
                self.logger.info("Carte sans lien ignorée : %s", title or "(sans titre)")
                continue
            url = urldefrag(strip_tracking(response.urljoin(href.strip()))).url
            yield scrapy.Request(url, callback=self.parse_scheme, cb_kwargs={
                "card": {"title": title, "description": clean_text(card.css(".card-o__desc").get()),
                         "listing_url": response.url}})
        next_page = response.css(".pager__item--next a::attr(href), a[rel=next]::attr(href)").get()
        if next_page:
            yield response.follow(strip_tracking(next_page.strip()), callback=self.parse, meta={NEXT_PAGE: True})

    # -- one scheme page -----------------------------------------------------------------------
    def parse_scheme(self, response, card: dict | None = None):
        card = card or {}
        kind, main = self._main_content(response)
        if main is None:
            self.logger.error("Banque des Territoires : contenu introuvable sur %s (ni "
                              "« .field--name-body » ni sections « Vos enjeux / Notre offre »)", response.url)
            self._stat_inc("aidenum/layout_errors")
            return
        text = "\n".join(s for s in _sentences(main) if not _CONTEXT_RE.match(fold(s)))
        url = strip_tracking(response.url)
        amount_min, amount_max, envelope = self._parse_amounts(text)
        start_date, deadline = self._parse_dates(text)
        yield {
            "id": self._parse_id(url),
            "source": self.source,
            "url": url,
            "title": self._parse_title(response, card),
            "description": self._parse_description(main, card),
            "eligibility": self._parse_eligibility(text),
            "funders": ["Banque des Territoires"],
            "beneficiaries": self._parse_beneficiaries(text),
            "aid_types": self._parse_aid_types(text),
            **self._parse_perimeter(),
            "start_date": start_date,
            "deadline": deadline,
            "recurrence": self._parse_recurrence(text),
            "is_call_for_project": self._parse_is_call(response, text),
            "amount_min": amount_min,
            "amount_max": amount_max,
            "raw": {"page_url": response.url, "page_kind": kind, "card": card,
                    "published": self._parse_published(response), "envelope_eur": envelope},
        }

    def _main_content(self, response) -> tuple[str, str | None]:
        """(page kind, main text): offer sections, else the Drupal body."""
        sections = []
        for h2 in response.css("h2"):
            heading = fold(clean_text(h2.get()))
            if heading.startswith(("vos enjeux", "notre offre")):
                parts = h2.xpath("./following-sibling::*[not(self::h2)]"
                                 "[count(preceding-sibling::h2)=$n]", n=len(h2.xpath("preceding-sibling::h2")) + 1)
                sections.append(clean_text(h2.get()) + "\n" + _text("".join(p.get() for p in parts)))
        if sections:
            return "offer", "\n".join(dict.fromkeys(sections))
        body = response.css(".field--name-body")
        if body:
            return ("news" if "/localtis" in response.url or response.css(".localtis, .article-localtis")
                    else "detail"), _text("\n".join(b.get() for b in body))
        return "unknown", None

    def _parse_perimeter(self) -> dict:
        return {"perimeter": "FR", "perimeter_label": "France"}  # national schemes: the whole country, outre-mer included

    def _parse_id(self, url: str) -> str:
        slug = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "accueil"
        return f"bdt:{slug.lower()}"

    def _parse_title(self, response, card: dict) -> str:
        return clean_text(response.css("h1").get()) or card.get("title", "")

    def _parse_description(self, text: str, card: dict) -> str:
        desc = card.get("description", "")
        return f"{desc}\n{text}" if desc and desc not in text else text

    def _parse_eligibility(self, text: str) -> str:
        return "\n".join(_who_sentences(text))

    def _parse_beneficiaries(self, text: str) -> list[str]:
        found: list[str] = []
        for sentence in _who_sentences(text):
            folded = fold(sentence)
            for pattern, slugs in _BENEFICIARY_PATTERNS:
                if re.search(pattern, folded):
                    found += [s for s in slugs if s not in found]
        return found or list(COLLECTIVITES)

    def _parse_aid_types(self, text: str) -> list[str]:
        folded = fold(text)
        types = []
        if re.search(r"\bprets?\b|livret a\b", folded):
            types.append("loan")
        grants = [m for m in re.finditer(r"\bsubventions?\b", folded)
                  if not re.search(r"complement\w*\s+(avec|des|aux|de)\s+(les\s+)?$", folded[max(0, m.start() - 40):m.start()])]
        if grants:
            types.append("grant")
        if re.search(r"fonds propres|prises? de participation", folded):
            types.append("other")
        if re.search(r"credits? d'ingenierie|ingenierie financiere|cofinanc\w+ (des|de) postes?", folded):
            types.append("financial-engineering")
        if re.search(r"ingenierie technique|expertises? techniques?|assistances? techniques?|"
                     r"(missions?|appui) d'ingenierie|et d'ingenierie", folded):
            types.append("technical-engineering")
        return types

    def _parse_amounts(self, text: str) -> tuple[float | None, float | None, float | None]:
        """(amount_min, amount_max, envelope): per-applicant amounts vs the total envelope."""
        per_applicant, envelopes = [], []
        for sentence in _sentences(text):
            for match in _AMOUNT_SPAN_RE.finditer(sentence):
                value = find_amounts(match.group(0))
                if not value:
                    continue
                before = fold(sentence[:match.start()])[-40:]
                after = fold(sentence[match.end():])[:30]
                if _PER_UNIT_RE.search(after) or _CEILING_RE.search(before):
                    per_applicant.append(value[0])
                elif not re.search(r"(majore|bonifi|bonus)\w*\s+de\s*$", before):
                    envelopes.append(value[0])
        amount_max = max(per_applicant) if per_applicant else None
        return None, amount_max, max(envelopes) if envelopes else None

    def _parse_dates(self, text: str) -> tuple[dt.date | None, dt.date | None]:
        """(start_date, deadline) from the sentences that announce them."""
        start, deadlines = None, []
        for sentence in _sentences(text):
            folded = fold(sentence)
            window = re.search(r"\bdu (1er|\d{1,2}) \w+ (\d{4} )?au (1er|\d{1,2}) \w+ \d{4}", folded)
            dates = find_dates(sentence)
            if window and len(dates) >= 2:
                start = start or dates[0]
                deadlines.append(dates[-1])
            elif _DEADLINE_CUES.search(folded):
                deadlines += dates + [_month_end(int(y), MONTHS[m])
                                      for m, y in _MONTH_YEAR_RE.findall(folded)]
            elif dates and _START_CUES.search(folded) and start is None:
                start = dates[0]
        return start, (max(deadlines) if deadlines else None)

    def _parse_recurrence(self, text: str) -> str:
        folded = fold(text)
        if re.search(r"\b(releves|vagues|sessions de selection)\b", folded):
            return "recurring"
        return ""

    def _parse_is_call(self, response, text: str) -> bool:
        folded = fold(clean_text(response.css("h1").get()) + "\n" + text)
        return bool(re.search(r"appels? a (projets|manifestation d'interet|candidatures)|\bami\b|\baap\b", folded))

    def _parse_published(self, response) -> str | None:
        stamp = response.css("time::attr(datetime)").get()
        if stamp:
            return stamp[:10]
        dates = find_dates(clean_text(response.css(".date, .article-date, .field--name-created").get()))
        return dates[0].isoformat() if dates else None


_AMOUNT_SPAN_RE = re.compile(
    r"\d{1,3}(?:[\u00a0\u202f\u2009 .]\d{3})*(?:,\d+)?\s*"
    r"(?:(?:milliards?|millions?)?\s*(?:d['’]\s*)?(?:€|euros?\b)|M€|Md€|k€)", re.IGNORECASE)
# background sentences of news items ("Pour rappel, la subvention par France services…")
_CONTEXT_RE = re.compile(r"^(pour memoire|pour rappel|rappelons)\b")


def _text(html: str) -> str:
    html = re.sub(r"<(script|style|noscript)\b.*?</\1>", " ", html, flags=re.IGNORECASE | re.DOTALL)
    return clean_text(html)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;:!?])\s+|\n", text) if s.strip()]


def _who_sentences(text: str) -> list[str]:
    """Sentences saying who may apply; a short heading such as "Pour qui ?" brings the next one."""
    chosen, heading = [], False
    for sentence in _sentences(text):
        cue = bool(_WHO_CUES.search(fold(sentence)))
        if heading or (cue and len(sentence) >= 40):
            chosen.append(sentence)
        heading = cue and len(sentence) < 40
    return chosen


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return following - dt.timedelta(days=1)
