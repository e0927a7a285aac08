"""The converters of the shipped real feeds give the fields the feeds say, nothing more."""
import datetime as dt
from pathlib import Path

from aidenum.catalogue import feeds
from conftest import ROOT, SHARED_DATA

FEEDS = SHARED_DATA / "aides-territoires" / "feed-samples"


def test_ademe_feed_repairs_urls_and_marks_business_aids():
    schemes = {s.id: s for s in feeds.ademe_agir(FEEDS / "ademe_agir_data.json")}
    assert len(schemes) == 5
    bcib = schemes["ademe:1ec8f1be"]
    assert bcib.title == "Biomasse Chaleur pour l’Industrie du Bois (BCIB)"
    assert bcib.url.startswith("https://agirpourlatransition.ademe.fr/entreprises/")
    assert bcib.beneficiaries == ["private-sector"] and bcib.is_call_for_project
    assert bcib.deadline == dt.date(2023, 2, 27)
    # "https: //" noise in the feed is repaired
    assert schemes["ademe:1ed7d411"].url.startswith("https://agirpourlatransition")


def test_culture_feed_resolves_regions_and_keeps_amount_text(referential):
    schemes = {s.id: s for s in feeds.culture(FEEDS / "ministere_de_la_culture_data.json", referential)}
    mayotte = schemes["culture:315795"]
    assert mayotte.perimeter == "REG:06"
    assert mayotte.deadline == dt.date(2022, 8, 15)
    assert mayotte.amount_min == 3000
    assert set(mayotte.beneficiaries) == {"association", "private-sector", "private-person"}
    assert schemes["culture:303980"].perimeter == "FR"


def test_facts_follow_the_curation_and_skip_non_schemes():
    schemes, skipped = feeds.scheme_facts(SHARED_DATA / "scheme-facts.json",
                                          ROOT / "data" / "sources" / "scheme-facts-curation.yaml")
    by_id = {s.id: s for s in schemes}
    marne = by_id["dsil:detr-dsil-51-2025"]
    assert (marne.start_date, marne.deadline) == (dt.date(2024, 11, 20), dt.date(2025, 1, 31))
    assert marne.perimeter == "DEP:51" and marne.beneficiaries == ["commune", "epci"]
    assert by_id["bdt:bdt-hubs-inclusion"].amount_max == 250000
    assert by_id["francenum:francenum-garantie-pret"].amount_min == 5000
    assert by_id["dsil:dsil-at-0c7d"].status(dt.date(2026, 11, 22)) == "closed"
    assert "Développement du numérique et de la téléphonie mobile" in by_id["dsil:dsil-at-1182"].themes
    assert "detr-dsil-instruction-2023" in skipped
    assert all(s.licence.startswith("Faits relevés sur http") for s in schemes)
