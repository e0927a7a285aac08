"""FEDER: aid sheets of the regional EU-funds sites (one managing authority per Région).

Templates handled:

- europe.bzh sheets ``/aides/fiches/<slug>``: H1, specific-objective line
  "1.3.1 - Assurer le développement d'un numérique inclusif", chapô, H2 sections
  ("Objectifs", "Bénéficiaires", "Critères d'éligibilité", "Type d'aide", "Montant de l'aide");
- europe-en-alsace.eu measures ``/mesure/<slug>/`` (WordPress article, H2/H3 sections);
- europe-bfc.eu dispositifs ``/dispositif/<slug>/`` (same section layout, no saved page yet);
- europe.maregionsud.fr calls ``/projets/detail/<slug>``: badge "Appel à projets" and
  label/value blocks ("Titre de l'appel", "Thématique", "Objectifs", "Résumé de l'appel").

All templates are reduced to the same shape — a title, a chapô and ``{section: text}`` — so
each field has a single ``_parse_<field>`` method. The site (hence the Région, the programme
and the managing authority) is recognised from the page's canonical address, its own address,
or its ``og:site_name``, so a mirror on another host (``wget --mirror --adjust-extension``
layout served on loopback) gives the same items as the real sites.

The start page is a listing: every link to a sheet of a known site is followed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from aidenum.catalogue import territory
from aidenum.catalogue.normalise import clean_text, find_amounts, find_rates, parse_window, strip_tracking
from aidenum.catalogue.vocabularies import fold

from .base import SchemeSpider, flatten_sections


@dataclass(frozen=True)
class Site:
    host: str
    slug: str             # id prefix: feder-<slug>
    region: str           # resolved through the territory referential
    authority: str        # managing authority (funder and instructor)
    programme: str        # used when the page does not name its programme
    detail: str           # path pattern of a sheet; group 1 is the sheet's slug
    site_names: tuple[str, ...]


SITES = (
    Site("europe.bzh", "bretagne", "Bretagne", "Région Bretagne", "FEDER-FSE+ Bretagne 2021-2027",
         r"/aides/fiches/([^/?#]+?)(?:\.html?)?/?$", ("europe.bzh", "l'europe s'engage en bretagne")),
    Site("europe-en-alsace.eu", "alsace", "Grand Est", "Région Grand Est", "FEDER Alsace",
         r"/mesure/([^/?#]+?)(?:/index\.html?|\.html?)?/?$", ("l'europe s'engage en alsace",)),
    Site("europe-bfc.eu", "bourgogne-franche-comte", "Bourgogne-Franche-Comté",
         "Région Bourgogne-Franche-Comté", "FEDER-FSE+ Bourgogne-Franche-Comté et Massif du Jura 2021-2027",
         r"/dispositif/([^/?#]+?)(?:/index\.html?|\.html?)?/?$", ("europe en bourgogne-franche-comte",)),
    Site("europe.maregionsud.fr", "paca", "Provence-Alpes-Côte d'Azur",
         "Région Provence-Alpes-Côte d'Azur", "FEDER-FSE+ Provence-Alpes-Côte d'Azur 2021-2027",
         r"/projets/detail/([^/?#]+?)(?:/index\.html?|\.html?)?/?$", ("l'europe s'engage en region sud",)),
)

_MAIN = "main, article, #main-content, #content, .main-content"
_LABEL_CLASSES = ("field__label", "field-label", "label-appel", "bloc-label")
_OBJECTIVE_RE = re.compile(r"^\s*(\d\.\d{1,2}(?:\.\d{1,2})?)\s*[-–—:]\s*(.+)$")
_ACTION_RE = re.compile(r"^Action \d+\s*:\s*(.+)$")
_ARCHIVED_RE = re.compile(r"n['’]est plus disponible|n['’]est plus en vigueur|page (?:conservée|archivée)", re.I)
_FUNDS = ("FEDER", "FEADER", "FSE+", "FTJ", "FEAMPA")
# French wording of who may apply -> beneficiary slugs (folded, word-bounded).
_BENEFICIARY_WORDS = (
    (r"collectivites? territoriales?|collectivites? locales?|collectivites", ("commune", "epci", "department", "region")),
    (r"communes?\b", ("commune",)),
    (r"intercommunalites?|epci|groupements? de communes|communautes? de communes|petr\b", ("epci",)),
    (r"departements?\b", ("department",)),
    (r"\bregions?\b", ("region",)),
    (r"associations?", ("association",)),
    (r"etablissements? publics?|universites?|bibliotheques?|musees?|rectorat|services? de l'etat|"
     r"acteurs publics|organismes? publics?", ("public-org",)),
    (r"entreprises? publiques? locales?|\bsem\b|\bspl\b", ("public-cies",)),
    (r"entreprises?|\bpme\b|\btpe\b", ("private-sector",)),
    (r"laboratoires?|organismes? de recherche|recherche publique", ("researcher",)),
)


def site_for(url: str, site_name: str = "") -> Site | None:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    for site in SITES:
        if host == site.host or f"/{site.host}/" in url:
            return site
    name = fold(site_name)
    for site in SITES:
        if name and any(n in name for n in site.site_names):
            return site
    return None


class FederSpider(SchemeSpider):
    name = "feder"
    source = "feder"
    # Four listings, each linking to its région's sheets, and a sheet is never a listing: one
    # link deep (2 leaves room for a listing's own second page). 500 pages allows 125 sheets a
    # site; 30 min is that many pages at 1 page/s with the autothrottle slowing down 3x.
    custom_settings = {"CLOSESPIDER_PAGECOUNT": 500, "CLOSESPIDER_TIMEOUT": 30 * 60, "DEPTH_LIMIT": 2}
    default_start_urls = [
        "https://europe.bzh/aides/",
        "https://europe-en-alsace.eu/mesures/",
        "https://www.europe-bfc.eu/dispositifs/",
        "https://europe.maregionsud.fr/appels-a-projets/",
    ]

    # -- crawling ----------------------------------------------------------------------------
    def parse(self, response):
        """A listing page: follow every link to a sheet of a known site (once each)."""
        seen = set()
        for href in response.css("a::attr(href)").getall():
            url = strip_tracking(response.urljoin(href.strip()))
            site = site_for(url)
            path = urlsplit(url).path
            if site and re.search(site.detail, path) and url not in seen:
                seen.add(url)
                yield response.follow(url, callback=self.parse_sheet)

    def parse_sheet(self, response):
        page = self._read_page(response)
        if page is None:
            self.logger.warning("Page %s : site FEDER non reconnu, ignorée", response.url)
            return
        item = {
            "id": self._parse_id(page),
            "source": self.source,
            "title": self._parse_title(page),
            "url": page["url"],
            "description": self._parse_description(page),
            "eligibility": self._parse_eligibility(page),
            "project_examples": self._parse_project_examples(page),
            "funders": self._parse_funders(page),
            "instructors": self._parse_instructors(page),
            "programmes": self._parse_programmes(page),
            "beneficiaries": self._parse_beneficiaries(page),
            "aid_types": self._parse_aid_types(page),
            "themes": self._parse_themes(page),
            "keywords": self._parse_keywords(page),
            "perimeter": self._parse_perimeter(page),
            "perimeter_label": page["site"].region,
            "is_call_for_project": self._parse_is_call_for_project(page),
            "archived": self._parse_archived(page),
            "rate_max": self._parse_rate_max(page),
            "amount_min": self._parse_amount_min(page),
            "amount_max": self._parse_amount_max(page),
            "rate_comment": self._parse_rate_comment(page),
        }
        item["start_date"], item["deadline"] = self._parse_window(page)
        item["raw"] = {
            "url": page["url"],
            "fetched_url": response.url,
            "site": page["site"].host,
            "template": page["template"],
            "specific_objective": page["objective"],
            "chapo": page["chapo"],
            "sections": page["sections"],
        }
        yield item

    # -- page reading ------------------------------------------------------------------------
    def _read_page(self, response) -> dict | None:
        canonical = response.css('link[rel="canonical"]::attr(href)').get()
        url = strip_tracking(response.urljoin(canonical) if canonical else response.url)
        site = site_for(url, response.css('meta[property="og:site_name"]::attr(content)').get(""))
        if site is None:
            site = site_for(response.url)
        if site is None:
            return None
        main = response.css(_MAIN)
        root = main[0].root if main else response.css("body")[0].root
        h1 = clean_text(" ".join(main.css("h1 ::text").getall()[:1] or response.css("h1 ::text").getall()[:1]))
        chapo, sections = flatten_sections(root, heading_classes=_LABEL_CLASSES)
        objective = None
        lines = chapo.split("\n")
        for index, line in enumerate(lines):
            match = _OBJECTIVE_RE.match(line)
            if match:
                objective = {"code": match.group(1), "label": match.group(2).strip()}
                del lines[index]
                break
        badges = [clean_text(b) for b in response.css(".badge ::text, .tag ::text, .type-appel ::text").getall()]
        chapo = "\n".join(line for line in lines if line != h1 and line not in badges)
        banner = " ".join(response.css(".alert ::text, .notice ::text, .banner ::text, [role=alert] ::text").getall())
        template = ("call" if "titre de l'appel" in (fold(k) for k in sections) else
                    "sheet" if objective else "measure")
        return {"url": url, "site": site, "h1": h1, "chapo": chapo, "sections": sections,
                "objective": objective, "badges": [b for b in badges if b], "banner": clean_text(banner),
                "template": template, "text": chapo + "\n" + "\n".join(sections.values())}

    def _section(self, page, *names: str) -> str:
        """Text of the first section whose heading starts with one of ``names`` (folded)."""
        for name in names:
            for heading, text in page["sections"].items():
                if fold(heading).startswith(fold(name)):
                    return text
        return ""

    # -- fields ------------------------------------------------------------------------------
    def _parse_id(self, page) -> str:
        match = re.search(page["site"].detail, urlsplit(page["url"]).path)
        slug = match.group(1) if match else urlsplit(page["url"]).path.strip("/").split("/")[-1]
        return f"feder-{page['site'].slug}:{slug}"

    def _parse_title(self, page) -> str:
        return self._section(page, "Titre de l'appel") or page["h1"]

    def _parse_description(self, page) -> str:
        parts = [page["chapo"], self._section(page, "Objectif"), self._section(page, "Résumé de l'appel")]
        return "\n".join(p for p in parts if p)

    def _parse_eligibility(self, page) -> str:
        parts = []
        for name in ("Bénéficiaires", "Critères d'éligibilité", "Conditions d'éligibilité", "Dépenses éligibles"):
            text = self._section(page, name)
            if text:
                parts.append(f"{name} : {text}")
        return "\n".join(parts)

    def _parse_project_examples(self, page) -> str:
        parts = [self._section(page, "Actions", "Types d'actions", "Exemples de projets", "Projets éligibles")]
        parts += [f"{heading}\n{text}" for heading, text in page["sections"].items() if _ACTION_RE.match(heading)]
        return "\n".join(p for p in parts if p)

    def _fund(self, page) -> str:
        """The EU fund named on the page (a regional site also carries FEADER calls)."""
        text = " ".join([page["h1"], *page["badges"], self._section(page, "Thématique", "Fonds"), page["text"]])
        for fund in _FUNDS:
            if re.search(rf"\b{re.escape(fund)}(?![\w+])", text):
                return fund
        return "FEDER"

    def _parse_funders(self, page) -> list[str]:
        return [f"Union européenne ({self._fund(page)})", page["site"].authority]

    def _parse_instructors(self, page) -> list[str]:
        return [page["site"].authority]

    def _parse_programmes(self, page) -> list[str]:
        match = re.search(r"[Pp]rogramme (?:opérationnel |régional )?((?:FEDER|FEADER)[\w+ -]*?\d{4}\s*[-–]\s*\d{4})",
                          page["text"])
        if match:
            return [re.sub(r"\s*[-–]\s*(?=\d{4}$)", "-", match.group(1))]
        if self._fund(page) != "FEDER":
            return []
        return [page["site"].programme]

    def _parse_beneficiaries(self, page) -> list[str]:
        text = fold(self._section(page, "Bénéficiaires", "Qui peut", "Porteurs", "Public"))
        found: list[str] = []
        for pattern, slugs in _BENEFICIARY_WORDS:
            if re.search(pattern, text):
                found.extend(s for s in slugs if s not in found)
        return found

    def _parse_aid_types(self, page) -> list[str]:
        text = fold(self._section(page, "Type d'aide", "Nature de l'aide", "Forme de l'aide"))
        types = []
        if "subvention" in text:
            types.append("grant")
        if re.search(r"\bpret\b|avance remboursable", text):
            types.append("loan" if "pret" in text else "recoverable-advance")
        return types

    def _parse_themes(self, page) -> list[str]:
        """Priority themes: a "Thématique" value, or the list after "thématiques prioritaires sont :"."""
        value = self._section(page, "Thématique")
        if value:
            return [line for line in value.split("\n") if line]
        actions = [m.group(1) for m in map(_ACTION_RE.match, page["sections"]) if m]
        if actions:
            return actions
        match = re.search(r"thématiques prioritaires sont\s*:\s*(.+?)(?:\.\s|\.$|\n)", page["chapo"], re.S)
        if not match:
            return []
        themes = []
        for part in re.split(r"\s*;\s*|\s+et\s+(?=d['’e])", match.group(1)):
            part = re.sub(r"^(?:d['’]|de |et )", "", part.strip()).strip()
            if part:
                themes.append(part[0].upper() + part[1:])
        return themes

    def _parse_keywords(self, page) -> list[str]:
        objective = page["objective"]
        if not objective:
            return []
        return [f"OS {objective['code']}", objective["label"]]

    def _parse_perimeter(self, page) -> str:
        return territory.load().resolve(page["site"].region, scale="REG")

    def _parse_is_call_for_project(self, page) -> bool:
        text = fold(" ".join(page["badges"]) + " " + page["chapo"])
        return bool(re.search(r"appels? a (?:projets?|candidatures?|manifestation)", text))

    def _parse_archived(self, page) -> bool:
        return bool(_ARCHIVED_RE.search(page["banner"]))

    def _amount_text(self, page) -> str:
        return self._section(page, "Montant de l'aide", "Montant", "Taux", "Modalités de financement")

    def _parse_rate_max(self, page) -> float | None:
        match = re.search(r"taux (?:d['’]\w+ )?(?:maximum|maximal|plafond)[^%]{0,80}?(\d{1,3}(?:[,.]\d+)?\s*%)",
                          self._amount_text(page), re.I)
        rates = find_rates(match.group(1)) if match else []
        return rates[0] if rates else None

    def _parse_amount_min(self, page) -> float | None:
        match = re.search(r"plancher[^€\n]{0,80}?(?:€|euros?\b)|minimum[^€\n%]{0,60}?(?:€|euros?\b)", self._amount_text(page), re.I)
        amounts = find_amounts(match.group(0)) if match else []
        return amounts[-1] if amounts else None

    def _parse_amount_max(self, page) -> float | None:
        match = re.search(r"plafond(?:née?)?[^€\n%]{0,80}?(?:€|euros?\b)", self._amount_text(page), re.I)
        amounts = find_amounts(match.group(0)) if match else []
        return amounts[-1] if amounts else None

    def _parse_rate_comment(self, page) -> str:
        return self._amount_text(page)

    def _parse_window(self, page):
        text = self._section(page, "Date limite", "Calendrier", "Date de clôture", "Dates", "Période de dépôt")
        return parse_window(text) if text else (None, None)
