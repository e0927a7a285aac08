"""France Num spider on saved pages: the aides-financières listing and three fiches."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from conftest import FILES
from scrapy.utils.test import get_crawler
from spider_helpers import file_response

from aidenum.catalogue.model import Scheme
from aidenum.spiders.spiders.france_num import FranceNumSpider

PAGES = FILES / "france_num"
SITE = "https://www.francenum.gouv.fr"
LISTING = f"{SITE}/aides-financieres"
FROZEN = dt.datetime(2025, 3, 3, 9, 0)
GARANTIE = "obtenir-un-credit-bancaire-pour-financer-la-transformation-numerique-de-sa-tpe"
CHEQUE = "cheque-france-num"
AAP = "appel-a-projets-ii-accompagnements-des-tpe-pme-a-la-transformation-numerique"


def _crawl_saved_site(spider):
    """Follow the requests of the two listing pages into the saved fiches."""
    pending = [file_response(PAGES / "aides-financieres.html", LISTING)]
    items, seen = [], []
    while pending:
        response = pending.pop(0)
        for result in spider.parse(response) if "/aides-financieres/" not in response.url \
                else spider.parse_fiche(response):
            if isinstance(result, dict):
                items.append(result)
                continue
            seen.append(result.url)
            if result.url == f"{LISTING}?page=1":
                pending.append(file_response(PAGES / "aides-financieres-page-2.html", result.url))
            else:
                pending.append(file_response(PAGES / (result.url.rsplit("/", 1)[-1] + ".html"), result.url))
    return items, seen


@pytest.fixture(scope="module")
def crawl():
    with time_machine.travel(FROZEN, tick=False):
        items, seen = _crawl_saved_site(FranceNumSpider())
    return {item["id"]: item for item in items}, seen


def test_listing_follows_fiches_only_without_tracking(crawl):
    _, seen = crawl
    assert seen == [
        f"{LISTING}/{GARANTIE}",        # ?xtor=…&utm_medium=… dropped
        f"{LISTING}/{CHEQUE}",          # #eligibilite dropped
        f"{LISTING}?page=1",            # pager, utm_source dropped
        f"{LISTING}/{AAP}",             # the guide card on page 2 is not a fiche
    ]


def test_start_url_argument_replaces_the_default():
    assert FranceNumSpider().start_urls == [LISTING]
    mirror = FranceNumSpider(start_url="http://127.0.0.1:8765/aides-financieres")
    assert mirror.start_urls == ["http://127.0.0.1:8765/aides-financieres"] and mirror.allowed_domains == []


def test_changed_listing_layout_yields_nothing_and_is_counted(caplog):
    crawler = get_crawler(FranceNumSpider)
    spider = FranceNumSpider.from_crawler(crawler)
    assert list(spider.parse(file_response(PAGES / "aides-financieres-layout-change.html", LISTING))) == []
    assert "aucune fiche" in caplog.text
    assert crawler.stats.get_value("aidenum/layout_errors") == 1


def test_a_listing_is_not_a_fiche(caplog):
    spider = FranceNumSpider()
    assert list(spider.parse_fiche(file_response(PAGES / "aides-financieres-layout-change.html", LISTING))) == []
    assert "fiche illisible" in caplog.text


EXPECTED = {
    f"francenum:{GARANTIE}": dict(
        application_url="https://www.bpifrance.fr/catalogue-offres/transformation-numerique",  # utm_* dropped
        title="Obtenir un crédit bancaire pour financer la transformation numérique de sa TPE",  # <br> in H1
        eligibility="Les TPE et PME de moins de 50 salariés, actives depuis au moins 3 ans.",
        funders=["Bpifrance"], instructors=[], aid_types=["loan", "other"],
        deadline=None, is_call_for_project=False, archived=False,
        amount_min=5000.0, amount_max=50000.0,          # "de 5 000 à 50 000 €" with narrow no-break spaces
        meta="Fiche pratique | Publié le 24 mars 2021 | Mis à jour le 21 décembre 2022",
        published="2021-03-24", updated="2022-12-21", status="open",
        sections=["Qu'est-ce que le prêt France Num ?", "Qui peut en bénéficier ?", "Comment en bénéficier ?"],
        says=["d'une durée de 3 à 5 ans", "différé de remboursement de 6 à 12 mois", "garanti à 80 % par Bpifrance",
              "sans garantie ni sûretés réelles"]),
    f"francenum:{CHEQUE}": dict(
        application_url="https://cheque.francenum.gouv.fr/ecom/",                  # xtor dropped
        title="Chèque France Num : une aide de 500 €",
        eligibility="Les entreprises de moins de 11 salariés, dont le chiffre d'affaires annuel est inférieur "
                    "à 2 M€ HT. Les entreprises ultra-marines sont éligibles, sauf en Nouvelle-Calédonie, en "
                    "Polynésie française et à Wallis-et-Futuna.",
        funders=[], instructors=["Agence de services et de paiement (ASP)"], aid_types=["grant"],
        deadline=dt.date(2021, 7, 31), is_call_for_project=False,
        archived=True,                                   # "Ce dispositif n’est plus disponible" banner
        amount_min=None, amount_max=500.0,               # not the 2 M€ turnover ceiling
        meta="Fiche pratique | Publié le 1er février 2021 | Mis à jour le 2 août 2021",
        published="2021-02-01", updated="2021-08-02", status="closed",
        sections=["Qu'est-ce que le chèque France Num ?", "Qui peut en bénéficier ?", "Comment en bénéficier ?"],
        says=["décret n°2021-69 du 27 janvier 2021", "ouvert jusqu'au 31 juillet 2021"]),
    f"francenum:{AAP}": dict(
        application_url="https://www.bpifrance.fr/nos-appels-a-projets-concours/"
                        "appel-a-projets-ii-accompagnements-des-tpe-pme#candidater",
        title="Appel à projets II « Accompagnements des TPE/PME à la transformation numérique »",
        eligibility="Des groupements d'opérateurs avec un chef de file, personne morale de droit privé "
                    "immatriculée depuis plus de 3 ans.",
        funders=["Bpifrance"], instructors=[], aid_types=[],
        deadline=dt.date(2021, 4, 30),                   # "avant le 30 avril 2021 à 12h00", not the 30 May selection
        is_call_for_project=True, archived=False,
        amount_min=None, amount_max=None,                # missing amount ("80 000 entreprises" is no amount)
        meta="Fiche pratique | Publié le 9 mars 2021", published="2021-03-09", updated=None, status="closed",
        sections=["Qu'est-ce que cet appel à projets ?", "Qui peut candidater ?", "Quel calendrier ?",
                  "Comment en bénéficier ?"],
        says=["80 000 entreprises en 2021", "La sélection des lauréats était prévue le 30 mai 2021"]),
}


def test_every_fiche_gives_one_item(crawl):
    items, _ = crawl
    assert sorted(items) == sorted(EXPECTED)


@pytest.mark.parametrize("scheme_id", sorted(EXPECTED))
def test_every_field(crawl, scheme_id):
    item, want = crawl[0][scheme_id], EXPECTED[scheme_id]
    url = f"{LISTING}/{scheme_id.split(':', 1)[1]}"
    assert set(item) == {"id", "source", "url", "application_url", "title", "description", "eligibility",
                         "funders", "instructors", "beneficiaries", "aid_types", "perimeter", "perimeter_label",
                         "deadline", "is_call_for_project", "archived", "amount_min", "amount_max", "raw"}
    assert (item["source"], item["url"]) == ("francenum", url)
    assert item["beneficiaries"] == ["private-sector"]          # France Num funds businesses only
    assert (item["perimeter"], item["perimeter_label"]) == ("FR", "France")
    for key in ("application_url", "title", "eligibility", "funders", "instructors", "aid_types", "deadline",
                "is_call_for_project", "archived", "amount_min", "amount_max"):
        assert item[key] == want[key], key
    for words in want["says"] + want["sections"]:
        assert words in item["description"], words
    for noise in ("cookies", "Guides et fiches pratiques", "_paq", "Sur le même sujet", "Partager la page",
                  "Facebook", "Mentions légales", "string(6)", "188005", "Publié le", "\u00a0", "\u202f", "<"):
        assert noise not in item["description"], noise
    raw = item["raw"]
    assert raw["page_url"] == url and raw["meta"] == want["meta"] and raw["kind"] == "Fiche pratique"
    assert (raw["published"], raw["updated"]) == (want["published"], want["updated"])
    assert list(raw["sections"]) == want["sections"]
    scheme = Scheme.from_dict(item)
    assert scheme.status(FROZEN.date()) == want["status"]


def test_crawl_end_to_end_on_a_loopback_mirror(aidenum_home):
    """`aidenum crawl france_num --start-url …` in a subprocess: the three fiches land."""
    from crawl_helpers import Mirror, catalogue_rows, crawl

    pages = {"/aides-financieres": (PAGES / "aides-financieres.html").read_bytes(),
             "/aides-financieres?page=1": (PAGES / "aides-financieres-page-2.html").read_bytes()}
    for slug in (GARANTIE, CHEQUE, AAP):
        pages[f"/aides-financieres/{slug}"] = (PAGES / f"{slug}.html").read_bytes()
    with Mirror(pages, rewrite=(SITE,)) as mirror:
        result = crawl(aidenum_home, "france_num", mirror.url("/aides-financieres"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 fiches valides" in result.stdout
    rows = catalogue_rows(aidenum_home)
    assert sorted(rows) == sorted(EXPECTED)
    assert rows[f"francenum:{CHEQUE}"]["archived"] is True
    assert rows[f"francenum:{GARANTIE}"]["amount_min"] == 5000.0
