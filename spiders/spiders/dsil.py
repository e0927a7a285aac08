"""DSIL / DETR: préfecture pages and the national Démarches simplifiées form page.

Templates handled (recognised from the page, not from its host, so a mirror works):

- old ``<dept>.gouv.fr`` pages: title repeated, intertitles, facts in prose
  ("avant le 30 avril", "enveloppe … 5 355 989 €");
- new ``<dept>.gouv.fr`` pages: "I. Collectivités et groupement éligibles",
  "II. Nature des projets éligibles" → "1. Les grandes priorités thématiques" (bullets);
- préfecture de région pages (``prefectures-regions.gouv.fr/<region>/…/DSIL/…``):
  "Mise à jour : 29 février 2024", numbered FAQ "1-Qu'est-ce que la DSIL ?";
- the national form ``demarches-simplifiees.fr/commencer/dotations-etat-investissement-local``;
- campaign news of a département (DETR and DSIL together): one item per dotation.

Envelopes ("5 355 989 €", "375,51 M€", "1,63 milliards d'euros") are what the State spreads
over a whole territory, not a ceiling per project: they go to ``raw`` and ``rate_comment``,
never to ``amount_max``.

The start page is either a scheme page (parsed) or a listing (links about DSIL/DETR followed).
"""
from __future__ import annotations

import re
from urllib.parse import urldefrag, urlsplit

from aidenum.catalogue import territory
from aidenum.catalogue.normalise import clean_text, find_amounts, parse_french_date, parse_window, strip_tracking
from aidenum.catalogue.territory import TerritoryError
from aidenum.catalogue.vocabularies import fold

from .base import SchemeSpider, flatten_sections

DOTATIONS = {
    "dsil": ("DSIL", "Dotation de soutien à l'investissement local"),
    "detr": ("DETR", "Dotation d'équipement des territoires ruraux"),
}
# The six themes of CGCT L2334-42 as printed on the pages; key = folded words that identify one.
LEGAL_THEMES = (
    ("renovation thermique", "Rénovation thermique, transition énergétique, développement des énergies renouvelables"),
    ("mise aux normes", "Mise aux normes et sécurisation des équipements publics"),
    ("mobilite ou de la construction de logements",
     "Développement d'infrastructures en faveur de la mobilité ou de la construction de logements"),
    ("numerique et de la telephonie mobile", "Développement du numérique et de la téléphonie mobile"),
    ("batiments scolaires", "Création, transformation et rénovation des bâtiments scolaires"),
    ("accroissement du nombre d'habitants",
     "Réalisation d'hébergements et d'équipements publics rendus nécessaires par l'accroissement "
     "du nombre d'habitants"),
)
_SCHEME_TITLE_RE = re.compile(r"\bdsil\b|\bdetr\b|dotations? de soutien|dotations? d'equipement|"
                              r"dotations? de l'etat|investissement local", re.I)
_LINK_RE = re.compile(r"dsil|detr|dotation|investissement[- ]local", re.I)
_WINDOW_CUE_RE = re.compile(r"avant le|jusqu['’]au|au plus tard|date limite|\bdu \d{1,2}(?:er)? \w+.{0,12}? au \d", re.I)
_ENVELOPE_CUE_RE = re.compile(r"enveloppe|subventions?|dotation|travaux|crédits|M€|milliards?|millions?", re.I)
_UPDATED_RE = re.compile(r"Mis(?:e)? à jour\s*(?:le|:)?\s*([^\n]{6,30})")
_ARCHIVED_RE = re.compile(r"n['’]est plus disponible|n['’]est plus en vigueur|page (?:conservée|archivée)", re.I)
_ELIGIBLE_HEADING_RE = re.compile(r"eligibles?\b|beneficiaires?|qui peut|beneficier|percevoir", re.I)
_PROJECTS_HEADING_RE = re.compile(r"projets|operations|nature|priorites", re.I)
# Every run of capitalised words, overlapping ("Maires de la Marne", then "Marne").
_PLACE_RE = re.compile(r"(?<![\w'’-])(?=([A-ZÉÈ][\w'’-]+(?:[ -](?:et|de|du|la|sur|[A-ZÉÈ][\w'’-]+))*))")


class DsilSpider(SchemeSpider):
    name = "dsil"
    source = "dsil"
    # Three start pages; a préfecture listing links to a few DSIL/DETR pages, which may list
    # the year's campaign pages: 2 links deep at most. 101 départements' pages would be about
    # 300 pages, the page bound; at the polite 1 page/s that is 5 min, the time bound 4x that.
    custom_settings = {"CLOSESPIDER_PAGECOUNT": 300, "CLOSESPIDER_TIMEOUT": 20 * 60, "DEPTH_LIMIT": 3}
    default_start_urls = [
        "https://www.demarches-simplifiees.fr/commencer/dotations-etat-investissement-local",
        "https://www.lot.gouv.fr/dotation-de-soutien-a-l-investissement-local-dsil-r4442.html",
        "https://www.prefectures-regions.gouv.fr/normandie/Grands-dossiers/Investissements-publics/DSIL/"
        "La-dotation-de-soutien-a-l-investissement-local/La-DSIL-classique/",
    ]

    # -- crawling ----------------------------------------------------------------------------
    def parse(self, response):
        """A scheme page gives its items; any other page is a listing whose DSIL/DETR links are followed."""
        h1 = clean_text(" ".join(response.css("h1 ::text").getall()[:1]))
        if _SCHEME_TITLE_RE.search(fold(h1)):
            yield from self.parse_page(response)
            return
        seen = set()
        # Only the part below the listing's folder counts: a mirror may sit under /dsil/.
        folder = urlsplit(response.url).path.rsplit("/", 1)[0] + "/"
        for link in response.css("a[href]"):
            href = link.attrib["href"].strip()
            if href.startswith(("mailto:", "tel:", "#", "javascript:")):
                continue
            url = strip_tracking(urldefrag(response.urljoin(href)).url)
            text = " ".join(link.css("::text").getall())
            path = urlsplit(url).path.removeprefix(folder)
            if url not in seen and (_LINK_RE.search(fold(text)) or _LINK_RE.search(path)):
                seen.add(url)
                yield response.follow(url, callback=self.parse_page)

    def parse_page(self, response):
        page = self._read_page(response)
        if page["perimeter"] is None:
            self.logger.warning("Page %s : territoire introuvable, ignorée", response.url)
            return
        for dotation in self._parse_dotations(page):
            item = {
                "id": self._parse_id(page, dotation),
                "source": self.source,
                "title": self._parse_title(page, dotation),
                "name_initial": self._parse_name_initial(page, dotation),
                "url": page["url"],
                "application_url": self._parse_application_url(page),
                "description": self._parse_description(page),
                "eligibility": self._parse_eligibility(page),
                "project_examples": self._parse_project_examples(page),
                "funders": self._parse_funders(page),
                "instructors": self._parse_instructors(page),
                "programmes": self._parse_programmes(page, dotation),
                "beneficiaries": self._parse_beneficiaries(page),
                # Both dotations are, by law, yearly investment grants: constants, not page facts.
                "aid_types": ["grant"],
                "destinations": ["investment"],
                "recurrence": "recurring",
                "themes": self._parse_themes(page),
                "perimeter": page["perimeter"],
                "perimeter_label": page["perimeter_label"],
                "is_call_for_project": self._parse_is_call_for_project(page),
                "archived": self._parse_archived(page),
                "rate_comment": self._parse_rate_comment(page),
            }
            item["start_date"], item["deadline"] = self._parse_window(page)
            item["raw"] = {
                "url": page["url"],
                "fetched_url": response.url,
                "template": page["template"],
                "year": page["year"],
                "updated": self._parse_updated(page),
                "envelopes": self._parse_envelopes(page),
                "window_text": self._window_sentence(page),
                "sections": page["sections"],
            }
            yield item

    # -- page reading ------------------------------------------------------------------------
    def _read_page(self, response) -> dict:
        canonical = response.css('link[rel="canonical"]::attr(href)').get()
        url = strip_tracking(response.urljoin(canonical) if canonical else response.url)
        main = response.css("main, #contenu, .contenu, article, #main")
        root = main[0].root if main else response.css("body")[0].root
        h1 = clean_text(" ".join(response.css("h1 ::text").getall()[:1]))
        intro, sections = flatten_sections(root, heading_classes=("intertitre",))
        updated_text = intro
        intro = "\n".join(line for line in intro.split("\n") if line != h1 and not _UPDATED_RE.match(line))
        site_name = clean_text(" ".join(
            response.css('meta[property="og:site_name"]::attr(content), .site-title ::text, '
                         '.fr-header__service-title ::text, #titre_site ::text').getall()))
        chrome = clean_text(" ".join(response.css("header ::text, footer ::text, #header ::text, #footer ::text").getall()))
        banner = clean_text(" ".join(response.css(".alert ::text, .alerte ::text, .fr-alert ::text, "
                                                  "[role=alert] ::text, .notice ::text").getall()))
        text = "\n".join([intro, *(f"{h}\n{t}" for h, t in sections.items())])
        page = {"url": url, "h1": h1, "updated_text": updated_text, "intro": intro, "sections": sections, "text": text,
                "site_name": site_name, "chrome": chrome, "banner": banner,
                "links": " ".join(response.urljoin(h) for h in response.css("a::attr(href)").getall())}
        page["template"] = self._template(page)
        page["year"] = self._parse_year(page)
        page["perimeter"] = self._parse_perimeter(page)
        page["perimeter_label"] = territory.load().get(page["perimeter"]).name if page["perimeter"] else ""
        return page

    def _template(self, page) -> str:
        headings = list(page["sections"])
        if urlsplit(page["url"]).hostname and "demarches-simplifiees.fr" in urlsplit(page["url"]).hostname:
            return "ds-form"
        if any(re.match(r"^\d+\s*-\s*\S", h) for h in headings) and _UPDATED_RE.search(page["updated_text"]):
            return "prefecture-region"
        if any(re.match(r"^[IVX]+\.\s", h) for h in headings):
            return "prefecture-new"
        if "prefectures-regions.gouv.fr" in page["url"] or re.search(r"\.gouv\.fr$", urlsplit(page["url"]).hostname or ""):
            return "prefecture-old"
        return "news"

    def _sections_matching(self, page, pattern: re.Pattern) -> list[tuple[str, str]]:
        return [(h, t) for h, t in page["sections"].items() if pattern.search(fold(h))]

    def _sentences(self, text: str) -> list[str]:
        return [s.strip() for s in re.split(r"(?<=[.;!?])\s+|\n", text) if s.strip()]

    # -- fields ------------------------------------------------------------------------------
    def _parse_dotations(self, page) -> list[str]:
        """DSIL, DETR or both, from the title (a national form or a DSIL page names one)."""
        title = fold(page["h1"])
        found = [key for key in ("detr", "dsil") if re.search(rf"\b{key}\b", title)]
        if page["template"] == "ds-form" or not found:
            return ["dsil"]
        return found

    def _parse_programmes(self, page, dotation: str) -> list[str]:
        if page["template"] == "ds-form":  # the single national form serves both dotations
            return [DOTATIONS[key][0] for key in ("detr", "dsil") if re.search(rf"\b{key}\b", fold(page["text"]))]
        return [DOTATIONS[dotation][0]]

    def _parse_name_initial(self, page, dotation: str) -> str:
        return "" if len(self._parse_programmes(page, dotation)) > 1 else DOTATIONS[dotation][1]

    def _parse_year(self, page) -> int | None:
        """Campaign year: the first year in the title or an intertitle (a FAQ page has none)."""
        for text in (page["h1"], *page["sections"]):
            match = re.search(r"\b(20\d{2})\b", text)
            if match:
                return int(match.group(1))
        return None

    def _parse_perimeter(self, page) -> str | None:
        ref = territory.load()
        parts = urlsplit(page["url"])
        host = (parts.hostname or "").removeprefix("www.")
        try:
            if host == "demarches-simplifiees.fr":
                return "FR"
            if host == "prefectures-regions.gouv.fr":
                return ref.resolve(parts.path.strip("/").split("/")[0], scale="REG")
            if host.endswith(".gouv.fr"):
                return ref.resolve(host.removesuffix(".gouv.fr"), scale="DEP")
        except TerritoryError:
            pass
        # A mirror, or a site that is not the préfecture's: the site's own name says where
        # ("Les services de l'État dans le Lot", "Association des Maires de la Marne").
        for text in (page["site_name"], page["chrome"]):
            for match in _PLACE_RE.finditer(text):
                for scale in ("DEP", "REG"):
                    try:
                        code = ref.resolve(match.group(1), scale=scale)
                    except TerritoryError:
                        continue
                    if code.startswith(("DEP:", "REG:")):
                        return code
        return None

    def _parse_id(self, page, dotation: str) -> str:
        code = page["perimeter"]
        if code == "FR":
            place = "fr"
        elif code.startswith("DEP:"):
            place = code.split(":")[1].lower()
        else:
            place = re.sub(r"[^a-z0-9]+", "-", fold(page["perimeter_label"])).strip("-")
        if page["year"]:
            return f"{dotation}:{place}-{page['year']}"
        slug = [p for p in urlsplit(page["url"]).path.split("/") if p][-1]
        slug = re.sub(r"\.html?$", "", slug).lower()
        return f"{dotation}:{place}-{slug}"

    def _parse_title(self, page, dotation: str) -> str:
        if len(self._parse_dotations(page)) > 1:
            return f"{page['h1']} ({DOTATIONS[dotation][0]})"
        return page["h1"]

    def _parse_application_url(self, page) -> str:
        if page["template"] == "ds-form":
            return page["url"]
        match = re.search(r"https?://(?:www\.)?demarches-simplifiees\.fr/[^\s\"'<>]+", page["links"])
        return strip_tracking(match.group(0)) if match else ""

    def _parse_description(self, page) -> str:
        parts = [page["intro"]]
        parts += [t for h, t in page["sections"].items()
                  if re.search(r"qu['’]est-ce|presentation|objet|contexte|bilan", fold(h))]
        return "\n".join(p for p in parts if p)

    def _parse_eligibility(self, page) -> str:
        """Eligibility sections and rules; without them, the sentences that say who is eligible."""
        parts = [f"{h} : {t}" for h, t in self._sections_matching(page, _ELIGIBLE_HEADING_RE)
                 if not _PROJECTS_HEADING_RE.search(fold(h))]
        parts += [f"{h} : {t}" for h, t in page["sections"].items()
                  if re.search(r"regles|conditions|a savoir|attention", fold(h))]
        if not self._sections_matching(page, _ELIGIBLE_HEADING_RE):
            parts.insert(0, " ".join(s for s in self._sentences(page["intro"]) if re.search(r"éligibles?", s)))
        return "\n".join(p for p in parts if p)

    def _parse_project_examples(self, page) -> str:
        return "\n".join(f"{h} : {t}" if t else h for h, t in self._sections_matching(page, _PROJECTS_HEADING_RE)
                         if not re.search(r"qui peut|beneficiaires", fold(h)))

    def _prefecture(self, page) -> str | None:
        """"préfecture de Meurthe-et-Moselle", as the page itself writes it."""
        if page["perimeter"] in (None, "FR"):
            return None
        name = re.escape(page["perimeter_label"])
        haystack = page["chrome"] + "\n" + page["text"] + "\n" + page["site_name"]
        match = re.search(rf"[Pp]r[ée]f(?:ecture|et)\s+(de la région|de région|de la|du|de l['’]|des|de|en)\s*{name}\b",
                          haystack)
        if match:
            return f"préfecture {match.group(1)} {page['perimeter_label']}".replace("l' ", "l'").replace("l’ ", "l’")
        return None

    def _parse_funders(self, page) -> list[str]:
        prefecture = self._prefecture(page)
        if prefecture:
            return [f"État ({prefecture})"]
        if page["perimeter"] == "FR":
            return ["État"]
        return [f"État (préfecture : {page['perimeter_label']})"]

    def _parse_instructors(self, page) -> list[str]:
        instructors = []
        prefecture = self._prefecture(page)
        if prefecture:
            instructors.append(prefecture[0].upper() + prefecture[1:])
        if re.search(r"sous-préfecture de (?:l['’])?arrondissement", page["text"], re.I):
            instructors.append("Sous-préfecture de l'arrondissement")
        if page["template"] == "ds-form":
            instructors += [m.group(0)[0].upper() + m.group(0)[1:] for m in
                            re.finditer(r"préf(?:et|ecture) de (?:département|région)", page["text"], re.I)]
            instructors = list(dict.fromkeys(instructors))
        return instructors

    def _parse_beneficiaries(self, page) -> list[str]:
        sections = [t for h, t in self._sections_matching(page, _ELIGIBLE_HEADING_RE)
                    if not _PROJECTS_HEADING_RE.search(fold(h)) or re.search(r"collectivites|qui peut", fold(h))]
        text = fold("\n".join(sections)) if sections else fold(page["text"])
        found = []
        if re.search(r"\bcommunes?\b", text):
            found.append("commune")
        if re.search(r"\bepci\b|intercommunal|groupements? de communes|\bpetr\b|poles? d'equilibre", text):
            found.append("epci")
        return found

    def _parse_themes(self, page) -> list[str]:
        text = fold(page["text"])
        return [label for key, label in LEGAL_THEMES if key in text]

    def _parse_is_call_for_project(self, page) -> bool:
        return bool(re.search(r"appels? à projets?", page["text"], re.I))

    def _parse_archived(self, page) -> bool:
        return bool(_ARCHIVED_RE.search(page["banner"]))

    def _window_sentence(self, page) -> str:
        for sentence in self._sentences(page["h1"] + "\n" + page["text"]):
            if _WINDOW_CUE_RE.search(sentence) and parse_window(sentence, page["year"]) != (None, None):
                return sentence
        return ""

    def _parse_window(self, page):
        sentence = self._window_sentence(page)
        return parse_window(sentence, page["year"]) if sentence else (None, None)

    def _parse_envelopes(self, page) -> list[dict]:
        envelopes = []
        for sentence in self._sentences(page["text"]):
            amounts = find_amounts(sentence)
            if amounts and _ENVELOPE_CUE_RE.search(sentence):
                envelopes.append({"text": sentence, "amounts": amounts})
        return envelopes

    def _parse_rate_comment(self, page) -> str:
        return " ".join(e["text"] for e in self._parse_envelopes(page))

    def _parse_updated(self, page) -> str | None:
        match = _UPDATED_RE.search(page["updated_text"])
        date = parse_french_date(match.group(1)) if match else None
        return date.isoformat() if date else None
