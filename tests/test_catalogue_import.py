"""catalogue.importers: formats, encodings, bad input, idempotence, transactions, streaming."""
from __future__ import annotations

import io
import json
import shutil
import tracemalloc

import pytest

from aidenum.catalogue.importers import Filters, JsonStream, export_jsonl, import_file, select
from aidenum.catalogue.store import Catalogue
from tests.conftest import FILES, SHARED_DATA

AT = SHARED_DATA / "aides-territoires"
REAL_CSV = AT / "aides-territoires_periurbain.csv"
DROME = AT / "feed-samples" / "departement_drome_data.json"
CP1252_CSV = FILES / "catalogue" / "aides-territoires_cp1252.csv"
MORBIHAN = "at:e342-copie-14h23-favoriser-laccessibilite-des-bati"


@pytest.fixture
def store(tmp_path):
    with Catalogue(tmp_path / "catalogue.sqlite") as catalogue:
        yield catalogue


@pytest.fixture
def loaded(store):
    """A catalogue holding the real CSV and the Drôme API sample."""
    assert import_file(REAL_CSV, store).ok
    assert import_file(DROME, store).ok
    return store


def drome_data():
    return json.loads(DROME.read_text(encoding="utf-8"))


def snapshot(store):
    return {s.id: s.content_hash for s in store.all()}, len(store.runs())


# -- the real files ----------------------------------------------------------------------------

def test_real_csv_import(store):
    report = import_file(REAL_CSV, store)
    assert report.ok and report.format == "at-csv" and report.encoding == "utf-8-sig"
    assert report.read == 274 and report.counts["new"] == 274
    scheme = store.get(MORBIHAN)
    assert scheme.perimeter == "DEP:56" and scheme.beneficiaries == ["commune", "epci"]
    assert scheme.aid_types == ["grant", "financial-engineering"] and scheme.recurrence == "ongoing"
    assert store.count() == 274


def test_real_api_import(store):
    report = import_file(DROME, store)
    assert report.ok and report.format == "at-api" and report.counts["new"] == 3
    scheme = store.get("at:338")
    assert scheme.title == "L'alimentation dans la restauration collective publique"
    assert scheme.perimeter == "DEP:26" and scheme.perimeter_label == "Drôme"
    assert scheme.beneficiaries == ["commune", "epci", "public-org"] and scheme.aid_types == ["technical-engineering"]


def test_same_file_twice_changes_nothing_and_says_so(loaded):
    before = snapshot(loaded)[0]
    for path, total in ((REAL_CSV, 274), (DROME, 3)):
        report = import_file(path, loaded)
        assert (report.counts["new"], report.counts["changed"], report.counts["unchanged"]) == (0, 0, total)
        assert report.unchanged_only and "rien n'a changé" in report.summary_fr()
    assert snapshot(loaded)[0] == before
    assert all(len(loaded.versions(sid)) == 1 for sid in before)


def test_changed_record_gets_a_new_version(loaded, tmp_path):
    data = drome_data()
    data["results"][0]["submission_deadline"] = "2031-03-31"
    changed = tmp_path / "drome.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = import_file(changed, loaded)
    assert (report.counts["changed"], report.counts["unchanged"]) == (1, 2)
    assert [v["data"]["deadline"] for v in loaded.versions("at:162")] == [None, "2031-03-31"]


# -- encodings ---------------------------------------------------------------------------------

def test_cp1252_csv_gives_the_same_schemes_as_utf8(store, tmp_path):
    report = import_file(CP1252_CSV, store)
    assert report.ok and report.encoding == "cp1252" and report.counts["new"] == 12
    with Catalogue(tmp_path / "utf8.sqlite") as reference:
        import_file(REAL_CSV, reference)
        for scheme in store.all():
            assert scheme.content_hash == reference.get(scheme.id).content_hash, scheme.id
    assert "départemental du Morbihan" in store.get(MORBIHAN).funders[0]


def test_utf8_bom_csv(store, tmp_path):
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes(b"\xef\xbb\xbf" + REAL_CSV.read_bytes())
    report = import_file(with_bom, store)
    assert report.ok and report.counts["new"] == 274 and store.get(MORBIHAN).title.startswith("Accompagner")


def test_bytes_in_no_known_encoding(store, tmp_path):
    bad = tmp_path / "binaire.csv"
    bad.write_bytes(REAL_CSV.read_bytes()[:500] + b"\x81\x8d\x90" + b"\n")
    report = import_file(bad, store)
    assert "ni UTF-8 ni Windows-1252" in report.error and store.count() == 0


# -- bad files: refused whole, nothing lost ---------------------------------------------------

@pytest.mark.parametrize("content, message", [
    (b"", "fichier vide"),
    (b"  \n\n\t ", "fichier vide"),
    (b"bonjour\n", "format non reconnu"),
    (b'{"count": 3, "results": [{"id": 1, "name": "x"}', "JSON tronqué"),
    (b'{"count": 1, "aides": []}', "clé « results » absente"),
    (b"Titre,Adresse\nA,B\n", "colonnes obligatoires"),
])
def test_bad_files_are_refused_and_lose_nothing(loaded, tmp_path, content, message):
    before = snapshot(loaded)
    bad = tmp_path / "mauvais.dat"
    bad.write_bytes(content)
    report = import_file(bad, loaded)
    assert report.error and message in report.error, report.error
    assert "REFUSÉ" in report.summary_fr() and not report.ok
    assert snapshot(loaded) == before


def test_malformed_json_in_the_middle_rolls_back_the_good_records_before_it(loaded, tmp_path):
    text = DROME.read_text(encoding="utf-8")
    cut = text.index('"id": 650')
    broken = tmp_path / "drome-casse.json"
    broken.write_text(text[:cut] + '"id": 650,, ' + text[cut + len('"id": 650,'):], encoding="utf-8")
    before = snapshot(loaded)
    report = import_file(broken, loaded)
    line = text[:cut].count("\n") + 1
    assert report.error.startswith(f"JSON mal formé ligne {line} :"), report.error
    assert "nom de clé entre guillemets attendu" in report.error
    assert snapshot(loaded) == before


# -- bad records: reported, the others imported ----------------------------------------------

def test_unknown_label_and_territory_are_rejected_with_record_and_field(store, tmp_path):
    data = drome_data()
    data["results"][0]["aid_types"] = ["Subvention magique"]
    data["results"][2]["perimeter"] = "Atlantide"
    path = tmp_path / "drome.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    report = import_file(path, store)
    assert report.counts["new"] == 1 and not report.ok and len(report.rejected) == 2
    first, second = report.rejected
    record_line = path.read_text(encoding="utf-8").splitlines().index("  {") + 1
    assert first.where == f"enregistrement n° 1 (ligne {record_line})" and first.record == "at:162"
    assert first.field == "aid_types" and "Subvention magique" in first.message
    assert second.record == "at:650" and second.field == "perimeter" and "Atlantide" in second.message
    assert [s.id for s in store.all()] == ["at:338"]


def test_strict_writes_nothing(loaded, tmp_path):
    data = drome_data()
    data["results"][2]["targeted_audiences"] = ["Martiens"]
    for record in data["results"]:
        record["submission_deadline"] = "2031-01-01"
    path = tmp_path / "drome.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = snapshot(loaded)
    report = import_file(path, loaded, strict=True)
    assert "import strict interrompu" in report.error and "Martiens" in report.error
    assert snapshot(loaded) == before


def test_megabyte_of_text_in_csv_and_jsonl(store, tmp_path):
    lines = REAL_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    huge = lines[1].replace("Soutien financier", "Soutien financier " + "très " * 200_000, 1)
    csv_path = tmp_path / "enorme.csv"
    csv_path.write_text(lines[0] + huge + lines[2], encoding="utf-8")
    report = import_file(csv_path, store)
    assert report.counts["new"] == 1 and len(report.rejected) == 1
    rejection = report.rejected[0]
    assert (rejection.where, rejection.field, rejection.record) == ("ligne 2", "description", MORBIHAN)
    assert "au-delà de la limite de 200 000" in rejection.message

    good = store.get("at:3d9e-accompagner-la-redynamisation-des-centres-via").to_dict()
    big = dict(good, id="at:gros", description="x" * 1_000_001)
    jsonl = tmp_path / "enorme.jsonl"
    jsonl.write_text(json.dumps(big) + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    report = import_file(jsonl, store)
    assert [(r.where, r.record, r.field) for r in report.rejected] == [("ligne 1", "at:gros", "description")]
    assert report.counts["unchanged"] == 1


def test_csv_row_with_wrong_cell_count_and_duplicate(store, tmp_path):
    lines = REAL_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "abime.csv"
    path.write_text(lines[0] + lines[1] + "Une aide,sans assez de cellules\n" + lines[2] + lines[1], encoding="utf-8")
    report = import_file(path, store)
    assert report.counts["new"] == 2
    assert [(r.where, r.field) for r in report.rejected] == [("ligne 3", "*"), ("ligne 5", "id")]
    assert "2 cellules au lieu de 9" in report.rejected[0].message
    assert "doublon" in report.rejected[1].message and "ligne 2" in report.rejected[1].message


def test_jsonl_line_that_is_not_json(store, tmp_path):
    good = {"id": "facts:dsil-2025", "source": "facts", "title": "DSIL 2025", "perimeter": "FR"}
    path = tmp_path / "mixte.jsonl"
    path.write_text(json.dumps(good) + "\n{\"id\": \"facts:x\", \n", encoding="utf-8")
    report = import_file(path, store)
    assert report.counts["new"] == 1
    assert report.rejected[0].where == "ligne 2" and "JSON invalide" in report.rejected[0].message


# -- transactions -------------------------------------------------------------------------------

def test_ctrl_c_during_import_leaves_catalogue_intact(loaded, tmp_path):
    export = tmp_path / "tout.jsonl"
    with open(export, "w", encoding="utf-8") as out:
        export_jsonl(loaded, out)
    modified = tmp_path / "modifie.jsonl"
    with open(export, encoding="utf-8") as src, open(modified, "w", encoding="utf-8") as out:
        for line in src:
            record = json.loads(line)
            record["title"] += " (modifié)"
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    before = snapshot(loaded)
    calls = []

    def interrupt(position):
        calls.append(position)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(modified, loaded, progress=interrupt)
    assert calls, "the import must have been interrupted mid-way"
    assert snapshot(loaded) == before
    assert not loaded.get("at:162").title.endswith("(modifié)")


# -- complete runs ------------------------------------------------------------------------------

def test_complete_import_closes_the_missing_and_reopens_them(store):
    import_file(REAL_CSV, store)
    # 262 of 274 would close: the mass-closure guard holds them unless forced (issue 15.5)
    report = import_file(CP1252_CSV, store, complete=True)
    assert report.counts["closed"] == 0 and report.closure_refused and not report.ok
    assert any("262 fiches sur 274 auraient disparu" in note and "--forcer" in note for note in report.notes)
    report = import_file(CP1252_CSV, store, complete=True, force=True)
    assert report.counts["closed"] == 262 and report.counts["unchanged"] == 12 and report.closed_applied
    assert store.get("at:1f44-financer-vos-budgets-dinvestissement").status() == "closed"
    assert store.count() == 274  # closed, never deleted
    assert store.runs()[-1]["complete"] == 1
    report = import_file(REAL_CSV, store)
    assert report.counts["reopened"] == 262


def test_complete_import_of_one_api_page_closes_nothing(store, tmp_path):
    import_file(REAL_CSV, store)
    data = drome_data()
    data["next"] = "https://aides-territoires.beta.gouv.fr/api/aids/?page=2"
    page = tmp_path / "page1.json"
    page.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = import_file(page, store, complete=True)
    assert report.counts["closed"] == 0 and not report.closed_applied
    assert any("qu'une page" in note for note in report.notes)


# -- streaming --------------------------------------------------------------------------------

def test_json_stream_with_tiny_buffer_matches_json_load():
    text = DROME.read_text(encoding="utf-8")
    for chunk in (1, 7, 64):
        stream = JsonStream(io.StringIO(text), chunk=chunk)
        records = list(stream.iter_results())
        assert [r for _, _, r in records] == json.loads(text)["results"]
        assert stream.header == {"count": 166, "next": None, "previous": None}
    lines = [line for _, line, _ in JsonStream(io.StringIO(text)).iter_results()]
    assert [text.splitlines()[n - 1].strip() for n in lines] == ["{", "{", "{"]


def test_api_file_as_bare_array_and_numbers_cut_by_the_buffer():
    stream = JsonStream(io.StringIO('[{"id": 123456789}, 2024, -1.5e3, true, null]'), chunk=3)
    assert [value for _, _, value in stream.iter_results()] == [{"id": 123456789}, 2024, -1500.0, True, None]


def test_fifty_megabyte_api_file_is_streamed(tmp_path):
    template = drome_data()["results"][1]
    big = tmp_path / "grand.json"
    count = 0
    with open(big, "w", encoding="utf-8") as out:
        out.write('{"count": 0, "next": null, "previous": null, "results": [')
        while out.tell() < 50 * 1024 * 1024:
            record = dict(template, id=count, description=template["description"] * 3)
            out.write(("," if count else "") + json.dumps(record, ensure_ascii=False))
            count += 1
        out.write("]}")
    tracemalloc.start()
    try:
        with open(big, encoding="utf-8") as text:
            seen = sum(1 for _ in JsonStream(text).iter_results())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == count > 5000
    assert peak < 5 * 1024 * 1024, f"peak memory {peak / 1e6:.1f} MB for a 50 MB file"


def test_large_api_import_end_to_end(store, tmp_path):
    template = drome_data()["results"][0]
    path = tmp_path / "moyen.json"
    path.write_text(json.dumps({"count": 3000, "next": None, "previous": None,
                                "results": [dict(template, id=n) for n in range(3000)]}, ensure_ascii=False),
                    encoding="utf-8")
    positions = []
    report = import_file(path, store, progress=positions.append)
    assert report.ok and report.counts["new"] == 3000 and store.count() == 3000
    assert positions == sorted(positions) and positions[-1] == path.stat().st_size


# -- export -------------------------------------------------------------------------------------

def test_export_then_import_round_trip(loaded, tmp_path):
    export = tmp_path / "catalogue.jsonl"
    with open(export, "w", encoding="utf-8") as out:
        assert export_jsonl(loaded, out) == 277
    with Catalogue(tmp_path / "copie.sqlite") as copy:
        report = import_file(export, copy)
        assert report.ok and report.format == "jsonl" and report.counts["new"] == 277
        for scheme in loaded.all():
            other = copy.get(scheme.id)
            assert other.to_dict(with_raw=True) | _bookkeeping(scheme) == scheme.to_dict() | _bookkeeping(scheme)
    report = import_file(export, loaded)
    assert report.unchanged_only and report.counts["unchanged"] == 277


def _bookkeeping(scheme):
    return {k: None for k in ("first_seen", "last_seen", "last_changed", "closed_at")}


def test_select_filters(loaded, referential):
    drome_code = referential.resolve("Drôme")
    ids = {s.id for s in select(loaded, Filters(territory=drome_code))}
    assert {"at:162", "at:338", "at:650"} <= ids and MORBIHAN not in ids
    funders = {s.id for s in select(loaded, Filters(funder="banque des territoires"))}
    assert len(funders) == 33
    private = list(select(loaded, Filters(beneficiary="private-sector")))
    assert private and all("private-sector" in s.beneficiaries for s in private)


def test_file_copy_keeps_working(store, tmp_path):
    copy = tmp_path / "drome.txt"  # the extension does not matter, the content does
    shutil.copy(DROME, copy)
    assert import_file(copy, store).counts["new"] == 3


def test_csv_line_numbers_count_multiline_cells(store, tmp_path):
    lines = REAL_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    multiline = lines[1].replace("Soutien financier en faveur", '"Soutien financier\n\nen faveur', 1)
    multiline = multiline.replace("leurs équipements.,", 'leurs équipements.",', 1)
    bad = lines[2].replace("Permanente", "Hebdomadaire", 1)
    path = tmp_path / "multiligne.csv"
    path.write_text(lines[0] + multiline + bad, encoding="utf-8")
    report = import_file(path, store)
    assert report.counts["new"] == 1
    assert store.get(MORBIHAN).description == "Soutien financier\nen faveur du développement des itinéraires " \
                                              "cyclables et de leurs équipements."
    assert [(r.where, r.field) for r in report.rejected] == [("ligne 5", "Récurrence")]


def test_lines_without_control_characters_are_told_apart_exactly():
    """The JSONL import skips stripping a line's texts when ``may_hold_controls`` says no: it must
    never say no for a line whose decoded texts ``strip_controls`` would change."""
    from aidenum.catalogue.normalise import may_hold_controls, strip_controls
    missed = []
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        if strip_controls(f"a{char}b") == f"a{char}b":
            continue
        lines = [json.dumps({"t": f"a{char}b"}, ensure_ascii=ascii) for ascii in (True, False)]
        lines += ['{"t": "a\\u%04x"}' % code, '{"t": "a\\u%04X"}' % code]
        missed += [line for line in lines if not may_hold_controls(line)]
    assert not missed
    assert not may_hold_controls(json.dumps({"t": "Région Bretagne\u00a0: 80 %\n\tfin \\ é"}, ensure_ascii=False))
