"""The core schemes of every territory, expanded from data/sources/core-schemes.yaml (issue 12)."""
import csv
import re

import pytest

from aidenum.catalogue import core_schemes
from aidenum.catalogue.model import Scheme

EIGHTEEN_REGIONS = {"01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76",
                    "84", "93", "94"}


@pytest.fixture(scope="module")
def core(referential) -> dict[str, Scheme]:
    return {scheme.id: scheme for scheme in core_schemes.build(referential)}


def form_departments() -> set[str]:
    with open(core_schemes.DETR_CATEGORIES_PATH, encoding="utf-8", newline="") as handle:
        return {row["departement"] for row in csv.DictReader(handle, delimiter=";")}


def test_one_detr_record_per_departement_of_the_national_form(core):
    departments = form_departments()
    assert len(departments) == 100  # 96 - 4 (Paris and its inner ring are not in the form) + 5 DROM + 3 COM
    detr = {sid: s for sid, s in core.items() if sid.startswith("detr:")}
    assert set(detr) == {f"detr:{code}" for code in departments}
    for code in ("01", "2A", "2B", "971", "976", "988"):
        scheme = detr[f"detr:{code}"]
        assert scheme.perimeter == f"DEP:{code}"
        assert scheme.programmes == ["DETR"] and scheme.source == "detr"
        assert scheme.beneficiaries == ["commune", "epci"]
        assert "à vérifier" in scheme.eligibility
        assert scheme.data_date == "2026-12-02" and scheme.url.startswith("https://")


def test_detr_carries_its_departement_categories_with_the_form_caveat(core):
    lozere = core["detr:48"]
    assert lozere.title.startswith("DETR Lozère")
    assert core_schemes.FORM_CAVEAT in lozere.description
    assert "Dispositifs de vidéo protection" in lozere.description
    assert "7- Sécurité des personnes : Tous équipements et travaux de nature à améliorer la sécurité des " \
        "personnes" in lozere.themes
    ain = core["detr:01"]
    assert "Équipement des bâtiments intercommunaux et communaux en réseau numérique interconnecté." \
        in ain.description
    assert "Lozère" not in ain.description


def test_detr_of_a_departement_without_published_categories_says_so(core):
    drome = core["detr:26"]
    assert "pas encore publiées dans le formulaire national" in drome.description
    assert "17 octobre" in drome.description and drome.themes == []


def test_no_test_marker_of_the_form_copy_reaches_a_record(core):
    for scheme in core.values():
        for text in (scheme.title, scheme.description, *scheme.themes):
            assert not re.search(r"\bTEST\b|!!|\s\?$", text), scheme.id


def test_drop_test_markers():
    assert core_schemes.drop_test_markers("5° Création … des bâtiments scolaires TEST !! ;") == \
        "5° Création … des bâtiments scolaires ;"
    assert core_schemes.drop_test_markers("Catégories prioritaires (02 - Aisne) ?") == \
        "Catégories prioritaires (02 - Aisne)"
    assert core_schemes.drop_test_markers("Que financer ? Des écoles") == "Que financer ? Des écoles"


def test_every_region_has_its_dsil_with_the_seven_priorities(core):
    dsil = {sid.split(":")[1]: s for sid, s in core.items() if sid.startswith("dsil:")}
    assert set(dsil) == EIGHTEEN_REGIONS
    normandie = dsil["28"]
    assert normandie.perimeter == "REG:28" and normandie.programmes == ["DSIL"]
    assert normandie.title.startswith("DSIL Normandie")
    assert normandie.beneficiaries == ["commune", "epci"]
    assert "PETR" in normandie.eligibility
    assert len(normandie.themes) == 7 and "Développement du numérique et de la téléphonie mobile" in normandie.themes
    assert "7° Opérations visant au développement des territoires ruraux" in normandie.description


def test_a_malformed_facts_file_is_a_french_error(tmp_path):
    bad = tmp_path / "core.yaml"
    bad.write_text("detr: [oups", encoding="utf-8")
    with pytest.raises(core_schemes.CoreSchemesError, match="YAML illisible"):
        core_schemes.load_facts(bad)


def test_every_region_has_its_feder_programme_with_its_managing_authority(core):
    feder = {sid.split(":")[1]: s for sid, s in core.items() if sid.startswith("feder:")}
    assert set(feder) == EIGHTEEN_REGIONS
    for code, scheme in feder.items():
        assert scheme.perimeter == f"REG:{code}" and scheme.programmes[0] == "FEDER"
        assert "2021-2027" in scheme.programmes[1] and scheme.url.startswith("http")
        assert "Autorité de gestion : " in scheme.description
    assert "Région Normandie" in feder["28"].funders
    assert "1.3.1 Assurer le développement d'un numérique inclusif" in feder["53"].description
    # a value the pages did not give is said to be missing, never made up
    assert "Objectifs numériques : à compléter" in feder["44"].description
    assert "à vérifier" in feder["06"].description and feder["06"].funders == ["Union européenne (FEDER)"]


def test_dsid_is_for_departements_and_the_single_collectivities(core):
    assert {sid for sid in core if sid.startswith("dsid:")} == \
        {f"dsid:{code}" for code in EIGHTEEN_REGIONS} | {"dsid:975", "dsid:977", "dsid:978"}
    assert core["dsid:84"].beneficiaries == ["department"] and core["dsid:84"].perimeter == "REG:84"
    assert core["dsid:94"].beneficiaries == ["department", "region"]  # Collectivité de Corse
    assert core["dsid:978"].perimeter == "DEP:978"


@pytest.mark.parametrize("scheme_id, programme, beneficiary", [
    ("dpv:national", "DPV", "commune"), ("fipd:national", "FIPD", "commune"),
    ("fnadt:national", "FNADT", "association"), ("france-services:national", "France services", "epci"),
    ("cnfs:national", "Conseiller numérique", "commune"),
    ("bdt:prets-secteur-public-local", "Banque des Territoires", "department"),
    ("francenum:initiative-france-num", "France Num", "private-sector"),
])
def test_national_families_carry_their_label_and_true_beneficiaries(core, scheme_id, programme, beneficiary):
    scheme = core[scheme_id]
    assert scheme.perimeter == "FR" and programme in scheme.programmes
    assert beneficiary in scheme.beneficiaries
    assert scheme.licence.startswith("Faits relevés le 02/12/2026 sur http")


def test_facts_that_say_a_scheme_ended_close_it(core):
    import datetime as dt
    assert core["cnfs:national"].status(dt.date(2026, 12, 2)) == "closed"
    assert core["fipd:national"].status(dt.date(2026, 12, 2)) == "open"
    assert core["francenum:initiative-france-num"].beneficiaries == ["private-sector"]  # business-only
