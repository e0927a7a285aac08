"""Import of funded projects (catalogue/laureates.py) from small real excerpts of each published
shape (tests/files/shared/laureates/, tests/files/shared/funded-projects/)."""
from __future__ import annotations

import csv
import shutil
import sqlite3

import pytest

from aidenum.catalogue import laureates
from aidenum.catalogue.laureates import LaureateError, LaureateStore, Resolver, departement_code
from tests.conftest import SHARED_DATA

LAUREATES = SHARED_DATA / "laureates"
DGCL_2018 = LAUREATES / "dgcl-liste-projets-dotations-investissement-local-2018.csv"
DGCL_2019 = LAUREATES / "dgcl-liste-projets-dotations-investissement-local-2019.csv"
DGCL_2023 = LAUREATES / "dgcl-liste-projets-dotations-investissement-local-2023.csv"
ANCT_ODS = LAUREATES / "anct_Projets_DI_2018.ods"
ANCT_XLSX = LAUREATES / "anct_projets_dotations_investissement_2019.xlsx"
CNFS = LAUREATES / "anct_cnfs_structures_2021.json"
KOHESIO = SHARED_DATA / "funded-projects" / "feder_fse_2021_2027_operations_sample.csv"


@pytest.fixture(scope="module")
def resolver():
    return Resolver()


@pytest.fixture
def store(aidenum_home):
    with LaureateStore() as opened:
        yield opened


def _records(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    return rows[1:]


def _by_title(store: LaureateStore, fragment: str) -> list[laureates.Laureate]:
    return list(store.rows("WHERE title LIKE ?", (f"%{fragment}%",)))


# -- DGCL CSV as published ---------------------------------------------------------------------

def test_dgcl_csv_as_published_bom_semicolon_decimal_comma(store, resolver):
    raw = DGCL_2023.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]  # the excerpt is as published
    result = store.import_file(DGCL_2023, resolver=resolver)
    assert result.written and result.imported + len(result.errors) == len(_records(DGCL_2023))
    [row] = _by_title(store, "Gestion des eaux pluviales rue Beauregard")
    # 2023;DETR;119;commune;210800041;008;Alincourt;08005;…;19111,0;5733,0;0,2999843022343153
    assert (row.year, row.dispositif, row.source) == (2023, "DETR", "dgcl")
    assert (row.cost, row.grant) == (19111.0, 5733.0)
    assert row.rate == pytest.approx(29.9984, abs=1e-3)
    assert (row.departement, row.insee, row.region) == ("08", "08005", "44")
    assert row.place == "Alincourt (08)" and row.territory == "COM:08005"


def test_quoted_newlines_keep_the_title_whole_and_the_line_numbers_true(store, resolver):
    result = store.import_file(DGCL_2023, resolver=resolver)
    [row] = _by_title(store, "Remplacement des portes de la salle des fêtes et une porte")
    assert "\n" not in row.title and row.title.startswith("Remplacement")
    text = DGCL_2023.read_text(encoding="utf-8-sig")
    lines = text.split("\n")
    # the record starts on its line of the file and spans three physical lines
    assert lines[row.line - 1].startswith("2023;DETR;119;commune;210801023;008;Chaumont-porcien")
    for stored in store.rows():  # each row's line is where its record starts in the file
        assert lines[stored.line - 1].startswith(f"2023;{stored.dispositif};")
        assert stored.beneficiary.lower() in lines[stored.line - 1].lower()
    # every refused line points at a line that is really the record
    for error in result.errors:
        assert lines[error.line - 1].startswith("2023;")


@pytest.mark.parametrize("raw, code", [("001", "01"), ("008", "08"), ("974", "974"), ("20A", "2A"),
                                       ("02B", "2B"), ("691", "69"), ("67A", "67"), ("1", "01")])
def test_three_character_departement_codes(raw, code):
    assert departement_code(raw) == code


def test_the_commune_decides_the_departement_of_an_envelope_code(store, resolver):
    """DGCL files Corsica under « 20A » and Alsace under « 67A » whatever the département."""
    store.import_file(DGCL_2023, resolver=resolver)
    aleria = _by_title(store, "cour de l’école maternelle")  # Aleria, INSEE 2B009, filed under 20A
    assert [(r.insee, r.departement, r.region) for r in aleria] == [("2B009", "2B", "94")]
    illfurth = _by_title(store, "ex Communauté de communes d’Illfurth")  # INSEE 68152, filed under 67A
    assert [(r.insee, r.departement) for r in illfurth] == [("68152", "68")]
    [lyon] = _by_title(store, "collège Maryse Bastié")  # DSID of the Métropole de Lyon, « 691 »
    assert (lyon.departement, lyon.territory, lyon.region) == ("69", "DEP:69", "84")


def test_rate_inf_when_the_cost_is_zero_is_kept_without_rate(store, resolver):
    store.import_file(DGCL_2023, resolver=resolver)
    [row] = _by_title(store, "Fonctionnement MFS Bellevigne")
    assert (row.cost, row.grant, row.rate) == (0.0, 15000.0, None)


def test_bad_rows_are_reported_with_file_line_and_field_and_skipped(store, resolver):
    result = store.import_file(DGCL_2023, resolver=resolver)
    found = {(e.file, e.line, e.field) for e in result.errors}
    assert found == {(DGCL_2023.name, 97, "beneficiaire_dep"), (DGCL_2023.name, 98, "taux")}
    messages = [str(e) for e in result.errors]
    assert f"{DGCL_2023.name}, ligne 97, champ « beneficiaire_dep » : département inconnu « nan »" in messages
    assert any("ligne 98" in m and "800 %" in m for m in messages)
    assert store.count() == result.imported  # skipped, the others written
    assert not _by_title(store, "Travaux de restauration clocher église")  # the « nan » row


def test_empty_title_is_refused_on_its_field(store, resolver):
    result = store.import_file(DGCL_2019, resolver=resolver)
    assert ("intitule", "intitulé vide") in {(e.field, e.message) for e in result.errors}


def test_reimport_is_idempotent(store, resolver):
    first = store.import_file(DGCL_2023, resolver=resolver)
    snapshot = sorted(tuple(laureates.values_of(r)) for r in store.rows())
    again = store.import_file(DGCL_2023, resolver=resolver)
    assert (again.imported, again.replaced) == (first.imported, first.imported)
    assert sorted(tuple(laureates.values_of(r)) for r in store.rows()) == snapshot
    assert [f["rows"] for f in store.files()] == [first.imported]


def test_reimport_of_one_file_leaves_the_other_files(store, resolver):
    store.import_file(DGCL_2018, resolver=resolver)
    count_2018 = store.count()
    store.import_file(DGCL_2023, resolver=resolver)
    store.import_file(DGCL_2023, resolver=resolver)
    assert store.db.execute("SELECT count(*) FROM laureates WHERE year = 2018").fetchone()[0] == count_2018


def test_strict_writes_nothing_and_keeps_what_was_there(store, resolver):
    kept = store.import_file(DGCL_2018, resolver=resolver)
    result = store.import_file(DGCL_2023, strict=True, resolver=resolver)
    assert not result.written and result.imported == 0 and len(result.errors) == 2
    assert store.count() == kept.imported
    assert [f["source_file"] for f in store.files()] == [DGCL_2018.name]


def test_one_transaction_per_file_a_failure_midway_changes_nothing(store, resolver, monkeypatch):
    before = store.import_file(DGCL_2023, resolver=resolver)
    generation = store.generation()
    real_reader = laureates.reader_for

    def failing_reader(path, resolver, progress=None):
        def rows():
            for number, row in enumerate(real_reader(path, resolver, progress)):
                if number == 40:
                    raise OSError("disque débranché")
                yield row
        return rows()
    monkeypatch.setattr(laureates, "reader_for", failing_reader)
    monkeypatch.setattr(laureates, "BATCH", 10)  # rows already inserted when the failure comes
    with pytest.raises(OSError):
        store.import_file(DGCL_2023, resolver=resolver)
    assert store.count() == before.imported and store.generation() == generation
    other = sqlite3.connect(store.path)  # what another process sees
    assert other.execute("SELECT count(*) FROM laureates").fetchone()[0] == before.imported
    other.close()


def test_missing_or_unknown_files_are_french_errors(tmp_path, store):
    with pytest.raises(LaureateError, match="fichier introuvable"):
        store.import_file(tmp_path / "absent.csv")
    odd = tmp_path / "liste.csv"
    odd.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(LaureateError, match="CSV non reconnu"):
        store.import_file(odd)
    truncated = tmp_path / "dgcl.csv"
    truncated.write_text("exercice;dispositif;programme\n2023;DETR;119\n", encoding="utf-8")
    with pytest.raises(LaureateError, match="colonnes DGCL manquantes : .*beneficiaire_type"):
        store.import_file(truncated)
    broken = tmp_path / "anct_2018.ods"
    broken.write_bytes(ANCT_ODS.read_bytes()[:2000])
    with pytest.raises(LaureateError, match="fichier ODS illisible"):
        store.import_file(broken)
    assert store.count() == 0


def test_wrong_column_count_is_a_reported_row(tmp_path, store, resolver):
    copy = tmp_path / DGCL_2019.name
    lines = DGCL_2019.read_bytes().split(b"\n")
    lines[3] = lines[3].rsplit(b";", 1)[0]  # a record that lost its last field
    copy.write_bytes(b"\n".join(lines))
    result = store.import_file(copy, resolver=resolver)
    assert any(e.line == 4 and e.field == "ligne" and "11 colonnes au lieu de 12" in e.message
               for e in result.errors)


# -- beneficiary resolution ---------------------------------------------------------------------

def test_beneficiaries_resolved_to_commune_epci_and_departement(store, resolver):
    store.import_file(DGCL_2023, resolver=resolver)
    [commune] = _by_title(store, "Extension de la vidéoprotection sur la commune")  # Beligneux, 01032
    assert (commune.insee, commune.epci, commune.territory) == ("01032", "240100610", "COM:01032")
    assert (commune.departement, commune.region, commune.place) == ("01", "84", "Béligneux (01)")
    [epci] = _by_title(store, "crèche Farandole")  # CA du Pays de Gex, beneficiary SIREN only
    assert (epci.insee, epci.epci, epci.siren, epci.territory) == (None, "240100750", "240100750", "EPCI:240100750")
    departements = [r for r in store.rows("WHERE beneficiary_type = 'departement'")]
    assert departements and all(r.territory == f"DEP:{r.departement}" and r.insee is None for r in departements)


def test_2018_rows_without_type_nor_code_are_resolved_by_commune_name(store, resolver):
    store.import_file(DGCL_2018, resolver=resolver)
    [row] = _by_title(store, "Construction d'un commerce multiservices")  # « Echallon », dep 001, no code
    assert (row.beneficiary, row.insee, row.departement) == ("Echallon", "01152", "01")
    assert row.territory == "COM:01152"


# -- the other shapes ---------------------------------------------------------------------------

def test_anct_ods_streamed_with_categories(store, resolver):
    result = store.import_file(ANCT_ODS, resolver=resolver)
    assert result.written and result.imported >= 30 and not result.errors
    rows = list(store.rows())
    assert {r.year for r in rows} == {2018} and {r.source for r in rows} == {"anct"}
    assert {r.dispositif for r in rows} <= {"DETR", "DSIL"}
    assert all(r.category for r in rows)
    assert all(r.departement and r.region for r in rows)
    assert any(r.rate is not None for r in rows)


def test_anct_xlsx_with_categories_and_echelons(store, resolver):
    result = store.import_file(ANCT_XLSX, resolver=resolver)
    assert result.written and result.imported >= 30 and not result.errors
    [cuivrerie] = _by_title(store, "cuivrerie de cerdon")
    # di19_dep000001;01;01;Ain;…;DSID;conseil_departemental;2 - Economie et emploi;…;4000000;1000000;0.25
    assert (cuivrerie.dispositif, cuivrerie.beneficiary_type, cuivrerie.territory) == ("DSID", "departement", "DEP:01")
    assert (cuivrerie.cost, cuivrerie.grant, cuivrerie.rate) == (4000000.0, 1000000.0, 25.0)
    assert cuivrerie.category == "2 - Economie et emploi" and cuivrerie.year == 2019


def test_cnfs_json_structures(store, resolver):
    result = store.import_file(CNFS, resolver=resolver)
    assert result.imported + len(result.errors) == 16
    [bugey] = [r for r in store.rows() if r.beneficiary == "HAUT - BUGEY AGGLOMERATION"]
    assert bugey.dispositif == laureates.CNFS and bugey.year == 2021
    assert bugey.title == "Conseiller numérique France Services : 5 postes" and bugey.grant == 274025.0
    assert (bugey.insee, bugey.departement) == ("01283", "01")


def test_kohesio_operations_csv(store, resolver):
    result = store.import_file(KOHESIO, resolver=resolver)
    rows = list(store.rows())
    assert result.imported + len(result.errors) == len(KOHESIO.read_text(encoding="utf-8").splitlines()) - 1
    assert {r.source for r in rows} == {"kohesio"} and rows[0].dispositif == "FEDER"
    first = next(r for r in rows if r.title.startswith("Réseau européen d'excellence vert"))
    # …,FEDER,2325276,2906595,80,2024-01-01,…
    assert (first.grant, first.cost, first.rate, first.year) == (2325276.0, 2906595.0, 80.0, 2024)
    assert first.insee == "01031" and first.departement == "01"


def test_a_compact_file_round_trip_keeps_the_original_file_names(tmp_path, store, resolver):
    source = [r for r in laureates.reader_for(DGCL_2019, resolver) if isinstance(r, laureates.Laureate)]
    compact = tmp_path / "laureates.jsonl.gz"
    assert laureates.write_compact(iter(source), compact, {"licence": "Licence Ouverte, DGCL"}) == len(source)
    result = store.import_file(compact, resolver=resolver)
    assert result.imported == len(source) and not result.errors
    assert [f["source_file"] for f in store.files()] == [DGCL_2019.name]
    # importing the original file later replaces exactly the shipped rows
    again = store.import_file(DGCL_2019, resolver=resolver)
    assert again.replaced == len(source) and store.count() == len(source)


def test_progress_reaches_the_end_of_the_file(store, resolver):
    seen = []
    store.import_file(DGCL_2023, resolver=resolver, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] == DGCL_2023.stat().st_size


def test_a_file_read_only_on_disk_is_still_imported(tmp_path, store, resolver):
    copy = tmp_path / DGCL_2018.name
    shutil.copy(DGCL_2018, copy)
    copy.chmod(0o444)
    assert store.import_file(copy, resolver=resolver).imported > 0
