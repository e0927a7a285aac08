"""Banque des Territoires spider on saved pages: listing cards, detail, offer and Localtis pages."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from conftest import FILES
from scrapy.utils.test import get_crawler
from spider_helpers import file_response

from aidenum.catalogue.model import Scheme
from aidenum.spiders.spiders.banque_des_territoires import BanqueDesTerritoiresSpider

PAGES = FILES / "banque_des_territoires"
SITE = "https://www.banquedesterritoires.fr"
LISTING = f"{SITE}/dispositifs-nationaux"
COLLECTIVITES = ["commune", "epci", "department", "region"]
FROZEN = dt.datetime(2025, 3, 3, 9, 0)


def _listing_requests(spider, name="dispositifs-nationaux.html", url=LISTING):
    return list(spider.parse(file_response(PAGES / name, url)))


def _items_from(spider, requests):
    items = []
    for request in requests:
        if request.callback != spider.parse_scheme:
            continue
        name = request.url.rsplit("/", 1)[-1] + ".html"
        items += list(spider.parse_scheme(file_response(PAGES / name, request.url), **request.cb_kwargs))
    return items


@pytest.fixture(scope="module")
def items():
    spider = BanqueDesTerritoiresSpider()
    requests = _listing_requests(spider)
    requests += _listing_requests(spider, "dispositifs-nationaux-page-2.html", f"{LISTING}?page=1")
    with time_machine.travel(FROZEN, tick=False):
        return {item["id"]: item for item in _items_from(spider, requests)}


def test_listing_follows_cards_without_tracking_and_the_next_page():
    spider = BanqueDesTerritoiresSpider()
    requests = _listing_requests(spider)
    assert [r.url for r in requests] == [
        f"{SITE}/petites-villes-de-demain",                       # ?xtor=…&utm_source=… dropped
        f"{SITE}/conseiller-numerique-france-services",
        f"{SITE}/ami-hubs-pour-un-numerique-inclusif",            # utm_* and #fragment dropped
        f"{LISTING}?page=1",                                      # pager, xtor dropped
    ]  # the card without a link ("Bientôt disponible") is skipped
    assert requests[-1].callback == spider.parse
    assert requests[0].cb_kwargs["card"] == {
        "title": "Petites villes de demain",
        "description": "Un programme pour donner aux élus des villes de moins de 20 000 habitants "
                       "les moyens de concrétiser leurs projets de territoire.",
        "listing_url": LISTING}
    page2 = _listing_requests(spider, "dispositifs-nationaux-page-2.html", f"{LISTING}?page=1")
    assert [r.url.rsplit("/", 1)[-1] for r in page2] == [
        "nos-dispositifs-de-relance-pour-le-tres-haut-debit-dans-les-territoires",
        "la-banque-des-territoires-mobilise-270-meu-supplementaires-pour-parfaire-la-couverture-tres-haut",
        "france-services-la-banque-des-territoires-lance-un-ami-lieux-innovants-lieux-accueillants"]


def test_start_url_argument_replaces_the_default():
    assert BanqueDesTerritoiresSpider().start_urls == [LISTING]
    mirror = BanqueDesTerritoiresSpider(start_url="http://127.0.0.1:8765/dispositifs-nationaux")
    assert mirror.start_urls == ["http://127.0.0.1:8765/dispositifs-nationaux"]
    assert mirror.allowed_domains == []


def test_changed_listing_layout_yields_nothing_and_is_counted(caplog):
    crawler = get_crawler(BanqueDesTerritoiresSpider)
    spider = BanqueDesTerritoiresSpider.from_crawler(crawler)
    requests = _listing_requests(spider, "dispositifs-nationaux-layout-change.html")
    assert requests == []
    assert "aucune carte" in caplog.text
    assert crawler.stats.get_value("aidenum/layout_errors") == 1


def test_page_without_known_content_yields_nothing(caplog):
    spider = BanqueDesTerritoiresSpider()
    listing = file_response(PAGES / "dispositifs-nationaux.html", f"{SITE}/petites-villes-de-demain")
    assert list(spider.parse_scheme(listing)) == []
    assert "contenu introuvable" in caplog.text


# every field of every item: description is checked by what it must and must not contain
EXPECTED = {
    "bdt:petites-villes-de-demain": dict(
        title="Petites villes de demain",
        eligibility="Les communes lauréates et leur intercommunalité, signataires d'une convention d'adhésion.",
        beneficiaries=["commune", "epci"],            # "Pour qui ?" heading glued to its answer
        aid_types=["financial-engineering", "technical-engineering"],
        start_date=dt.date(2020, 10, 1), deadline=None, recurrence="", is_call_for_project=False,
        amount_max=None,                               # missing amount: only envelopes on the page
        envelope=300e6, kind="detail", published=None, status="open",
        says=["lancé le 1er octobre 2020 pour 6 ans", "200 millions d'euros de crédits d'ingénierie",
              "45 M€ pour le cofinancement", "85 M€", "70 M€", "100 millions d'euros d'investissement",
              "Un programme pour donner aux élus"]),
    "bdt:conseiller-numerique-france-services": dict(
        title="Conseiller numérique France Services",
        eligibility="Peuvent candidater les structures publiques (collectivités territoriales et leurs "
                    "groupements) et les structures privées (associations).",
        beneficiaries=COLLECTIVITES + ["association"],
        aid_types=["grant"], start_date=None, deadline=None, recurrence="", is_call_for_project=False,
        amount_max=50000.0,                            # "50 000 € par poste" (thin and no-break spaces)
        envelope=None, kind="detail", published=None, status="open",
        says=["4.000 conseillers numériques", "Une subvention de 50 000 € par poste, versée sur deux ans",
              "18 mois", "24 mois", "36 mois"]),
    "bdt:ami-hubs-pour-un-numerique-inclusif": dict(
        title="AMI Hubs pour un numérique inclusif",
        eligibility="L'AMI est ouvert aux associations, collectivités territoriales, entreprises privées et "
                    "opérateurs publics qui structurent la médiation numérique.",
        beneficiaries=COLLECTIVITES + ["association", "private-sector", "public-org"],
        aid_types=["grant"], start_date=dt.date(2020, 11, 17), deadline=dt.date(2021, 6, 30),
        recurrence="", is_call_for_project=True,
        amount_max=250000.0,                           # not the 50 000 € bonus, not the 2,3 M€ envelope
        envelope=2.3e6, kind="detail", published=None, status="closed",
        says=["du 17 novembre 2020 au 30 juin 2021", "majorée de 50 000 €", "QPV"]),
    "bdt:nos-dispositifs-de-relance-pour-le-tres-haut-debit-dans-les-territoires": dict(
        title="Nos dispositifs de relance pour le très haut débit dans les territoires",
        eligibility="Ces dispositifs s'adressent aux collectivités, en métropole et en outre-mer, et aux "
                    "acteurs privés du déploiement de la fibre.",
        beneficiaries=COLLECTIVITES + ["private-sector"],
        aid_types=["loan", "other"],                   # "en complémentarité avec les subventions" is no grant
        start_date=None, deadline=None, recurrence="", is_call_for_project=True,
        amount_max=None, envelope=100e6, kind="offer", published=None, status="open",
        says=["Vos enjeux", "Notre offre", "prêts PSPL à moyen et long terme, jusqu'à 40 ans",
              "au moins 100 M€", "appels à projets en 2021"]),
    "bdt:la-banque-des-territoires-mobilise-270-meu-supplementaires-pour-parfaire-la-couverture-tres-haut": dict(
        title="La Banque des Territoires mobilise 270 M€ supplémentaires pour parfaire la couverture "
              "très haut débit",
        eligibility="", beneficiaries=COLLECTIVITES,    # the page says nothing: collectivités
        aid_types=["loan", "other"], start_date=None, deadline=None, recurrence="",
        is_call_for_project=True, amount_max=None, envelope=270e6, kind="news",
        published="2021-02-23", status="open",
        says=["270 millions d'euros supplémentaires", "120 millions d'euros d'investissement en fonds propres",
              "150 millions d'euros de prêts", "jusqu'à 40 ans", "Trois appels à projets"]),
    "bdt:france-services-la-banque-des-territoires-lance-un-ami-lieux-innovants-lieux-accueillants": dict(
        title="France services : la Banque des Territoires lance un AMI « Lieux innovants, Lieux accueillants »",
        eligibility="Sont prioritaires les structures fixes et mobiles portées par des collectivités "
                    "territoriales, ainsi que par des associations.",
        beneficiaries=COLLECTIVITES + ["association"],
        aid_types=[],                                  # the grant "par France services" is background
        start_date=dt.date(2023, 7, 3),
        deadline=dt.date(2024, 10, 31),                # last relève "en octobre 2024": end of that month
        recurrence="recurring", is_call_for_project=True,
        amount_max=None, envelope=10e6, kind="news", published="2023-07-04", status="closed",
        says=["le 29 septembre 2023, le 24 février 2024, en juin 2024 et en octobre 2024",
              "200 seront sélectionnées en 4 relèves de 50", "de 35 000 € à 50 000 € en 2026"]),
}


def test_every_page_gives_one_item(items):
    assert sorted(items) == sorted(EXPECTED)


@pytest.mark.parametrize("scheme_id", sorted(EXPECTED))
def test_every_field(items, scheme_id):
    item, want = items[scheme_id], EXPECTED[scheme_id]
    url = f"{SITE}/{scheme_id.split(':', 1)[1]}"
    assert set(item) == {"id", "source", "url", "title", "description", "eligibility", "funders",
                         "beneficiaries", "aid_types", "perimeter", "perimeter_label", "start_date",
                         "deadline", "recurrence", "is_call_for_project", "amount_min", "amount_max", "raw"}
    assert item["source"] == "bdt"
    assert item["url"] == url
    assert item["funders"] == ["Banque des Territoires"]
    assert (item["perimeter"], item["perimeter_label"]) == ("FR", "France")
    assert item["amount_min"] is None
    for key in ("title", "eligibility", "beneficiaries", "aid_types", "start_date", "deadline",
                "recurrence", "is_call_for_project", "amount_max"):
        assert item[key] == want[key], key
    for words in want["says"]:
        assert words in item["description"], words
    for noise in ("cookies", "Mon espace client", "Rechercher", "dataLayer", "tarteaucitron", "string(6)",
                  "188005", "Mentions légales", "\u00a0", "\u202f", "<"):
        assert noise not in item["description"], noise
    raw = item["raw"]
    assert raw["page_url"] == url and raw["page_kind"] == want["kind"]
    assert raw["envelope_eur"] == want["envelope"] and raw["published"] == want["published"]
    assert raw["card"]["listing_url"].startswith(LISTING) and raw["card"]["title"]
    scheme = Scheme.from_dict(item)                    # the item honours the model contract
    assert scheme.status(FROZEN.date()) == want["status"]


def test_offer_page_reads_only_its_enjeux_and_offre_sections(items):
    offer = items["bdt:nos-dispositifs-de-relance-pour-le-tres-haut-debit-dans-les-territoires"]
    assert "Nos autres offres" not in offer["description"]
    assert "subventions pour l'ingénierie" not in offer["description"]


def test_news_without_listing_card_still_parses():
    spider = BanqueDesTerritoiresSpider()
    url = f"{SITE}/la-banque-des-territoires-mobilise-270-meu-supplementaires-pour-parfaire-la-couverture-tres-haut"
    [item] = spider.parse_scheme(file_response(PAGES / (url.rsplit("/", 1)[-1] + ".html"), url + "?xtor=RSS-7"))
    assert item["url"] == url and item["raw"]["card"] == {}
    assert item["title"].startswith("La Banque des Territoires mobilise 270 M€")


def test_crawl_end_to_end_on_a_loopback_mirror(aidenum_home):
    """`aidenum crawl banque_des_territoires --start-url …` in a subprocess: every saved page lands."""
    from crawl_helpers import bdt_mirror, catalogue_rows, crawl

    with bdt_mirror() as mirror:
        result = crawl(aidenum_home, "banque_des_territoires", mirror.url("/dispositifs-nationaux"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 fiches valides" in result.stdout
    rows = catalogue_rows(aidenum_home)
    assert sorted(rows) == sorted(EXPECTED)
    hubs = rows["bdt:ami-hubs-pour-un-numerique-inclusif"]
    assert (hubs["amount_max"], hubs["deadline"], hubs["aid_types"]) == (250000.0, "2021-06-30", ["grant"])
