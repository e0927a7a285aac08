"""Issue 12, « Done when »: in each of the 18 régions a commune, an EPCI and a département see, through
the matcher's filters, their DETR / DSIL (or DSID), their région's FEDER programme and the national
schemes, and the coverage states what is missing. Also `catalogue couverture` and the block above
`match`."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from aidenum.catalogue import core_schemes, coverage, store
from aidenum.catalogue.freshness import STALE_AFTER_DAYS, freshness_lines, source_dates
from aidenum.catalogue.model import Scheme
from aidenum.cli import cli
from aidenum.matcher import filters

TODAY = dt.date(2026, 12, 2)
REGIONS = ["01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]
NATIONAL_FOR_ALL = ("fipd:national", "fnadt:national")


@pytest.fixture(scope="module")
def core(referential) -> list[Scheme]:
    return core_schemes.build(referential)


def places_of(region: str, referential) -> dict[str, str]:
    """A département of the région (the first one the national DETR form lists), one of its communes
    that belongs to an EPCI, and that EPCI: picked from the referential, not by hand."""
    form = set(core_schemes.read_detr_categories())
    departments = sorted(c for c in referential.territories if c.startswith("DEP:")
                         and referential.parents[c] == (f"REG:{region}",))
    department = next(d for d in departments if d.split(":")[1] in form)
    commune = next(c for c in referential.territories if c.startswith("COM:")
                   and referential.parents[c][-1] == department and referential.parents[c][0].startswith("EPCI:"))
    return {"department": department, "commune": commune, "epci": referential.parents[commune][0]}


def visible(schemes, applicant, referential) -> set[str]:
    return {s.id for s in schemes if filters.check(s, applicant, referential, TODAY).ok}


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("kind", ["commune", "epci", "department"])
def test_every_region_sees_its_core_schemes(core, referential, region, kind):
    place = places_of(region, referential)[kind]
    applicant = filters.Applicant(kind, place)
    seen = visible(core, applicant, referential)
    department = referential.department_of(place).split(":")[1]
    assert f"feder:{region}" in seen
    assert set(NATIONAL_FOR_ALL) <= seen and "france-services:national" in seen
    if kind == "department":
        assert f"dsid:{region}" in seen and not any(s.startswith(("detr:", "dsil:")) for s in seen)
    else:
        assert {f"detr:{department}", f"dsil:{region}", "dpv:national"} <= seen
        assert not any(s.startswith("dsid:") for s in seen)
    # only its own territory's records
    assert {s for s in seen if s.startswith("feder:")} == {f"feder:{region}"}
    assert "cnfs:national" not in seen  # closed since May 2025
    result = coverage.of_applicant(core, applicant, referential, TODAY)
    assert result.missing == []
    assert {f.family for f in result.of("present")} >= {"FEDER", "FIPD", "FNADT"}


def test_coverage_states_the_gaps(core, referential):
    paris = coverage.of_applicant(core, filters.Applicant("commune", "COM:75056", "Paris"), referential, TODAY)
    assert paris.missing == ["DETR"]  # the national form lists no DETR categories for Paris
    lines = "\n".join(paris.lines())
    assert "absents du catalogue pour ce territoire : DETR" in lines
    assert "DSIL Île-de-France" in lines and "FEDER Île-de-France" in lines
    assert "Conseiller numérique (clôturé le 14/05/2025)" in lines
    assert "France Num (réservé aux entreprises)" in lines
    assert "DSID (réservé aux départements)" in lines
    saint_martin = coverage.of_applicant(core, filters.Applicant("region", "REG:978", "Saint-Martin"),
                                         referential, TODAY)
    assert "FEDER" in saint_martin.missing and "DSID Saint-Martin" in saint_martin.of("present")[0].labels


def test_a_family_never_open_to_this_type_is_not_called_missing(core, referential):
    ain = coverage.of_applicant(core, filters.Applicant("department", "DEP:01", "Ain"), referential, TODAY)
    assert ain.missing == []
    assert {f.family for f in ain.of("not-for-type")} == {"DETR", "DSIL", "DPV"}


def test_applicant_for_territory(referential):
    assert coverage.applicant_for_territory("Mende", referential).type == "commune"
    assert coverage.applicant_for_territory("200069193", referential).territory == "EPCI:200069193"
    with pytest.raises(coverage.CoverageError, match="indiquez une commune"):
        coverage.applicant_for_territory("France", referential)
    with pytest.raises(coverage.CoverageError, match="territoire inconnu"):
        coverage.applicant_for_territory("Atlantide", referential)


# -- source dates ----------------------------------------------------------------------------------
def test_every_source_says_the_date_of_its_data():
    at = Scheme(id="at:1", source="at", title="x", data_date="2022-11")
    detr = Scheme(id="detr:01", source="detr", title="x", data_date="2026-12-02")
    crawled = Scheme(id="idf:1", source="idf", title="x", last_seen="2026-11-30T08:00:00")
    lines = freshness_lines([detr, at, crawled], TODAY)
    assert lines[0].startswith("Données Aides-territoires de novembre 2022 — plus de six mois")
    assert "Données DETR (préfectures de département) du 02/12/2026." in lines
    assert any("idf : date non indiquée par la source (dernière collecte ou import le 30/11/2026)" in line
               for line in lines)
    fresh = source_dates([detr])[0]
    assert not fresh.is_stale(TODAY + dt.timedelta(days=STALE_AFTER_DAYS))
    assert fresh.is_stale(TODAY + dt.timedelta(days=STALE_AFTER_DAYS + 1))


def test_the_snapshot_knows_the_date_of_its_aides_territoires_data():
    import json
    from aidenum.catalogue.paths import shipped
    dates = {}
    for line in shipped("data", "catalogue.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        dates.setdefault(record["source"], set()).add(record["data_date"])
    assert "2022-11" in dates["at"] and dates["detr"] == {"2026-12-02"}
    assert dates["ademe"] == {"2023-01-09"}


# -- command line ------------------------------------------------------------------------------------
@pytest.fixture
def filled(aidenum_home, core):
    with store.Catalogue(aidenum_home / store.DB_NAME) as cat:
        store.upsert_all(cat, "core", core)
    return aidenum_home


def test_couverture_command(filled):
    result = CliRunner().invoke(cli, ["catalogue", "couverture", "--territoire", "Mende", "--date", "2026-12-02"])
    assert result.exit_code == 0, result.output
    assert "Couverture des grands dispositifs pour Mende [commune, Lozère]" in result.output
    assert "DETR Lozère ; DSIL Occitanie" in result.output and "FEDER Occitanie" in result.output
    as_json = CliRunner().invoke(cli, ["catalogue", "couverture", "--territoire", "75056", "--format", "json"])
    assert as_json.exit_code == 0
    import json
    families = {f["famille"]: f["statut"] for f in json.loads(as_json.output)["familles"]}
    assert families["DETR"] == "missing" and families["DSIL"] == "present"


def test_couverture_refuses_what_is_not_a_collectivite(filled):
    result = CliRunner().invoke(cli, ["catalogue", "couverture", "--territoire", "Europe"])
    assert result.exit_code == 1 and "indiquez une commune" in result.output
    assert "Traceback" not in result.output


def test_couverture_of_an_empty_catalogue_says_so(aidenum_home):
    result = CliRunner().invoke(cli, ["catalogue", "couverture", "--territoire", "Mende"])
    assert result.exit_code == 1 and "catalogue" in result.output and "vide" in result.output


def test_match_prints_the_coverage_block_and_the_data_dates(filled, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "collectivite: {nom: Commune de Mende, type: commune, code: '48095'}\n"
        "actions:\n  - id: A1\n    titre: Installer la vidéoprotection des bâtiments communaux\n",
        encoding="utf-8")
    result = CliRunner().invoke(cli, ["match", str(plan), "--date", "2026-12-02"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("Couverture des grands dispositifs pour Commune de Mende [commune, Lozère]") \
        < out.index("Action A1")
    assert "DETR Lozère" in out and "FIPD" in out
    assert "du 02/12/2026." in out  # the date the facts of the shown core schemes were read


def test_the_html_report_carries_the_coverage_and_the_data_dates(filled, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("collectivite: {nom: Paris, type: commune, code: '75056'}\n"
                    "actions:\n  - id: A1\n    titre: Vidéoprotection des écoles\n", encoding="utf-8")
    page = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["match", str(plan), "--format", "html", "-o", str(page), "--date", "2026-12-02"])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "Couverture des grands dispositifs pour Paris" in html
    assert "absents du catalogue pour ce territoire : DETR" in html
    assert "du 02/12/2026." in html
