"""The matcher's fast paths give exactly what the reference paths give (Whoosh's own analysis and
scoring, every scheme checked by ``filters.check``), on the shipped real catalogue; the side
file, the lazy loads and the lazy referential behave."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys

import pytest

from aidenum.catalogue import store, territory
from aidenum.catalogue.importers import import_file
from aidenum.catalogue.model import Scheme
from aidenum.matcher import filters
from aidenum.matcher.analysis import analyze
from aidenum.matcher.engine import Matcher
from aidenum.matcher.index import FIELD_WEIGHTS, IndexError_, QueryPart, SchemeIndex, _read_postings
from aidenum.matcher.plan import Action, load_plan
from aidenum.matcher.report import match_dict
from tests.conftest import ROOT
from tests.matcher_helpers import TODAY, collectivite, fill_catalogue, schemes

REAL_CATALOGUE = ROOT / "data" / "catalogue.jsonl"
REAL_COUNT = sum(1 for line in REAL_CATALOGUE.read_text(encoding="utf-8").splitlines() if line.strip())
PLAN = ROOT / "data" / "plans" / "plan-exemple.yaml"
ACTIONS = ["Sensibiliser les agents à la cybersécurité et sauvegarder les données",
           "Créer un fablab dans l'ancienne gare", "Aider les commerçants à vendre en ligne",
           "Raccorder les zones d'activités à la fibre optique", "Numériser les archives communales"]


def real_home(path):
    path.mkdir()
    with store.Catalogue(path / store.DB_NAME) as cat:
        report = import_file(str(REAL_CATALOGUE), cat, strict=True)
    assert not report.error
    return path


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """The real catalogue twice: one index built the fast way, one the reference way."""
    base = tmp_path_factory.mktemp("speed")
    fast, reference = real_home(base / "fast"), real_home(base / "reference")
    Matcher(fast).ensure_index()
    Matcher(reference, fast=False).ensure_index()
    return fast, reference


def postings(reader):
    """Every term's postings, block by block with the block statistics, and its term info."""
    out = {}
    for name, text in reader.all_terms():
        m = reader.postings(name, text)
        rows = []
        while m.is_active():
            rows.append((m.id(), m.weight(), m.value(), m.block_min_length(), m.block_max_length(),
                         m.block_max_weight()))
            m.next()
        info = reader.term_info(name, text)
        out[(name, text)] = rows, (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                                   info.max_weight(), info.min_id(), info.max_id())
    return out


def test_fast_build_indexes_exactly_what_whoosh_analysis_indexes(homes):
    fast, reference = (SchemeIndex(home) for home in homes)
    a, b = fast._whoosh().reader(), reference._whoosh().reader()
    assert a.doc_count_all() == b.doc_count_all() == REAL_COUNT
    assert postings(a) == postings(b)       # terms, documents, frequencies, positions
    assert all(a.field_length(name) == b.field_length(name) for name in FIELD_WEIGHTS)
    assert fast.facts.lengths == reference.facts.lengths
    assert fast.facts.ids == reference.facts.ids


def test_the_side_file_lists_exactly_the_terms_of_every_field(homes, referential):
    index = SchemeIndex(homes[0])
    reader = index._whoosh().reader()
    listed = {(name, term) for name, terms in index.facts.vocabulary.items() for term in terms}
    assert listed == {(name, text.decode("utf-8")) for name, text in reader.all_terms() if name in FIELD_WEIGHTS}
    assert index.has_word(analyze("vidéoprotection", mode="query")[0])
    assert not index.has_word("zzzmotabsent")
    # an index written before the list existed asks Whoosh's term table, with the same answers
    plan = load_plan(PLAN)
    actions = list(plan.actions) + [Action(id=f"X{i}", titre=t) for i, t in enumerate(ACTIONS)]
    matcher = Matcher(homes[0], referential=referential)

    def dump():
        return [json.dumps([match_dict(m, TODAY) for m in matcher.match_action(plan.collectivite, action, today=TODAY)],
                           ensure_ascii=False) for action in actions]

    with_list = dump()
    matcher.index.facts.vocabulary = None
    matcher.index.drop_query_caches()
    assert dump() == with_list


def test_the_postings_file_holds_exactly_whoosh_postings_of_every_term(homes, referential):
    index = SchemeIndex(homes[0])
    searcher = index._whoosh()
    assert index._postings_buffer is not None
    reader, checked, phrases = searcher.reader(), 0, 0
    for name, text in reader.all_terms():
        if name not in FIELD_WEIGHTS:
            continue
        stem = text.decode("utf-8")
        side = index._term(name, stem)
        docs, weights, values = _read_postings(reader.postings(name, stem))
        assert (side.docs, side.weights, side.idf) == (docs, weights, searcher.idf(name, stem)), (name, stem)
        assert [side.values[row] for row in range(len(values))] == values and len(side.values) == len(values)
        checked += 1
    assert checked == sum(len(terms) for terms in index.facts.vocabulary.values()) > 1000
    # the same matches when the index has no postings file (a build from before it): Whoosh's blocks
    plan = load_plan(PLAN)
    matcher = Matcher(homes[0], referential=referential)

    def dump():
        return [json.dumps([match_dict(m, TODAY) for m in matcher.match_action(plan.collectivite, action, today=TODAY)],
                           ensure_ascii=False) for action in plan.actions]

    matcher.index.close()
    with_file = dump()
    assert matcher.index._searcher is None          # a fast index's searches never open Whoosh
    # an index written before postings.bin and the field totals: Whoosh's blocks and lengths
    matcher.index._postings_buffer = None
    matcher.index.facts.field_totals = None
    matcher.index._norm_cache = {}
    matcher.index.drop_query_caches()
    assert dump() == with_file
    assert matcher.index._searcher is not None


def test_postings_file_missing_is_a_french_error(aidenum_home):
    fill_catalogue(aidenum_home)
    matcher = Matcher(aidenum_home)
    matcher.ensure_index()
    (matcher.index.live_dir() / "postings.bin").unlink()
    with pytest.raises(IndexError_, match="index incomplet .*postings.bin.*relancez « aidenum index »"):
        SchemeIndex(aidenum_home).search([QueryPart(("numeric",), 1.0)])


def test_fast_build_of_the_naive_analyzer_too(tmp_path):
    homes = [real_home(tmp_path / "fast"), real_home(tmp_path / "reference")]
    Matcher(homes[0], mode="naive").ensure_index()
    Matcher(homes[1], mode="naive", fast=False).ensure_index()
    a, b = (SchemeIndex(home, kind="naive")._whoosh().reader() for home in homes)
    assert postings(a) == postings(b)


def test_fast_scores_are_whoosh_bm25f_scores(homes):
    fast = SchemeIndex(homes[0])
    reference = SchemeIndex(homes[0], fast=False)
    fast._whoosh(), reference._whoosh()
    matcher = Matcher(homes[0])
    compared = 0
    for text in ACTIONS + [a.titre + " " + a.description for a in load_plan(PLAN).actions]:
        parts = [p.query for p in matcher.build_query(text)]
        assert any(len(p.stems) > 1 for p in parts) or text in ACTIONS
        for part in parts:
            for name in FIELD_WEIGHTS:
                new, old = fast._postings(name, part.stems), reference._postings(name, part.stems)
                assert (new.docs, new.scores) == (old.docs, old.scores), (name, part.stems)
                compared += bool(old.docs)
        assert [dataclasses.astuple(h) for h in fast.search(parts, limit=200)] == \
            [dataclasses.astuple(h) for h in reference.search(parts, limit=200)]
    assert compared > 300


def test_search_restricted_to_ids_or_docnums(homes):
    index = SchemeIndex(homes[0])
    parts = [QueryPart(("numeric",), 1.0), QueryPart(("inclusion", "numeric"), 1.0)]
    everything = index.search(parts, limit=500)
    keep = {hit.id for hit in everything[::3]}
    by_id = index.search(parts, allowed=keep, limit=500)
    by_doc = index.search(parts, limit=500, allowed_docs=frozenset(index.facts.docnums[i] for i in keep))
    assert by_id == by_doc and {hit.id for hit in by_id} == keep
    assert index.search(parts, allowed=set(), limit=10) == []


@pytest.mark.parametrize("applicant", [
    filters.Applicant("epci", "EPCI:200067460", "Loudéac Communauté"),
    filters.Applicant("commune", "COM:26362", "Valence"),
    filters.Applicant("department", "DEP:58", "Nièvre"),
    filters.Applicant("region", "REG:84", "Auvergne-Rhône-Alpes"),
    filters.Applicant("association", None, "Une association"),
    None,
])
def test_eligibility_by_combination_equals_check_scheme_by_scheme(homes, referential, applicant):
    index = SchemeIndex(homes[0])
    with store.Catalogue(homes[0] / store.DB_NAME) as cat:
        every = {s.id: s for s in cat.all()}
    eligibility = filters.Eligibility(index.facts)
    for today in (TODAY, dt.date(2025, 1, 15), dt.date(2028, 6, 1)):
        for include_closed in (False, True):
            for relay in (False, True):
                expected = {sid for sid, s in every.items()
                            if filters.check(s, applicant, referential, today, include_closed, relay).ok}
                got = eligibility.allowed(applicant, referential, today, include_closed, relay)
                assert {index.facts.ids[d] for d in got} == expected
                assert 0 < len(expected)


def test_eligibility_sees_closed_and_archived_schemes(aidenum_home, referential):
    records = schemes()
    records[0] = dataclasses.replace(records[0], archived=True)
    fill_catalogue(aidenum_home, records)
    with store.Catalogue(aidenum_home / store.DB_NAME) as cat:
        cat.db.execute("UPDATE schemes SET closed_at='2026-10-05T10:00:00' WHERE id='at:velo'")
    Matcher(aidenum_home).ensure_index()
    index = SchemeIndex(aidenum_home)
    applicant = filters.Applicant.from_collectivite(collectivite())
    kept = {index.facts.ids[d] for d in filters.Eligibility(index.facts).allowed(applicant, referential, TODAY)}
    assert "bdt:cnfs" not in kept and "at:velo" not in kept and "at:fipd-video" in kept
    with_closed = filters.Eligibility(index.facts).allowed(applicant, referential, TODAY, include_closed=True)
    assert {"bdt:cnfs", "at:velo"} <= {index.facts.ids[d] for d in with_closed}


def test_fast_matcher_gives_the_reference_results(homes, referential):
    plan = load_plan(PLAN)
    fast, reference = Matcher(homes[0], referential=referential), Matcher(homes[1], referential=referential,
                                                                        fast=False)
    actions = list(plan.actions) + [Action(id=f"X{i}", titre=t) for i, t in enumerate(ACTIONS)]

    def dump(matches):
        return json.dumps([match_dict(m, TODAY) for m in matches], ensure_ascii=False)

    for action in actions:
        for options in ({}, {"top": 30, "include_closed": True}):
            assert dump(fast.match_action(plan.collectivite, action, today=TODAY, **options)) == \
                dump(reference.match_action(plan.collectivite, action, today=TODAY, **options))
        assert [(e.scheme.id, e.reason) for e in fast.exclusions(plan.collectivite, action, today=TODAY)] == \
            [(e.scheme.id, e.reason) for e in reference.exclusions(plan.collectivite, action, today=TODAY)]
    assert dump(fast.search("fibre très haut débit", today=TODAY)) == \
        dump(reference.search("fibre très haut débit", today=TODAY))
    assert fast._schemes is None          # the catalogue was never read whole…
    assert 0 < len(fast._loaded) < REAL_COUNT   # …only the schemes shown or excluded


def test_a_scheme_gone_from_the_catalogue_is_skipped(aidenum_home, referential):
    fill_catalogue(aidenum_home)
    matcher = Matcher(aidenum_home, referential=referential)
    matcher.ensure_index()
    before = [m.scheme.id for m in matcher.search("numérique", today=TODAY, top=3)]
    with store.Catalogue(aidenum_home / store.DB_NAME) as cat:
        cat.db.execute("DELETE FROM schemes WHERE id=?", (before[0],))
    after = Matcher(aidenum_home, referential=referential)
    after.index = matcher.index           # the index still lists it
    assert [m.scheme.id for m in after.search("numérique", today=TODAY, top=3)] == \
        [m.scheme.id for m in matcher.search("numérique", today=TODAY, top=4)][1:4]


def test_side_file_missing_or_unreadable_is_a_french_error(aidenum_home):
    fill_catalogue(aidenum_home)
    matcher = Matcher(aidenum_home)
    matcher.ensure_index()
    facts = matcher.index.live_dir() / "facts.json"
    assert json.loads(facts.read_text())["ids"][:2] == sorted(s.id for s in schemes())[:2]
    facts.write_text("{tronqué", encoding="utf-8")
    with pytest.raises(IndexError_, match="index incomplet .*relancez « aidenum index »"):
        SchemeIndex(aidenum_home).search([QueryPart(("numeric",), 1.0)])
    facts.write_text(json.dumps({"ids": ["at:x"]}), encoding="utf-8")
    with pytest.raises(IndexError_, match="index incohérent"):
        SchemeIndex(aidenum_home).facts


def test_get_many_reads_the_schemes_asked_in_chunks(aidenum_home):
    records = [Scheme.from_dict({"id": f"at:{i}", "source": "at", "title": f"Aide {i}"}) for i in range(1203)]
    fill_catalogue(aidenum_home, records)
    with store.Catalogue(aidenum_home / store.DB_NAME) as cat:
        wanted = [f"at:{i}" for i in range(0, 1203, 2)] + ["at:absent", "at:0"]
        found = cat.get_many(wanted)
    assert set(found) == {f"at:{i}" for i in range(0, 1203, 2)}
    assert found["at:1202"].title == "Aide 1202" and found["at:0"].last_seen


def test_lazy_referential_mappings(referential):
    assert list(referential.territories)[:6] == ["EU", "FR", "METRO", "OM", "REG:01", "REG:02"]
    assert len(referential.territories) == len(list(referential.territories)) > 36_000
    assert referential.territories["COM:35238"].name == "Rennes"
    assert referential.territories["EPCI:200067460"].population > 40_000
    for missing in ("COM:99999", "REG:99", "XX", "", "DEP:", "EPCI:1"):
        assert missing not in referential.territories
        assert referential.parents.get(missing, ()) == ()
        with pytest.raises(KeyError):
            referential.territories[missing]
    assert referential.parents["COM:22136"] == ("EPCI:200067460", "DEP:22")
    assert referential.parents["REG:53"] == ("METRO",) and referential.parents["FR"] == ("EU",)
    assert "COM:22136" in referential.members["EPCI:200067460"]
    assert len(referential.members) > 1200
    assert referential.ancestors("COM:22136") >= {"EPCI:200067460", "DEP:22", "REG:53", "METRO", "FR", "EU"}
    assert territory.load() is territory.load()


def test_match_imports_no_crawler_nor_office_library(aidenum_home, tmp_path):
    fill_catalogue(aidenum_home)
    plan = tmp_path / "plan.yaml"
    plan.write_text("collectivite: {nom: Loudéac Communauté, type: epci, code: '200067460'}\n"
                    "actions:\n  - {id: A1, titre: Recruter des conseillers numériques}\n", encoding="utf-8")
    code = ("import sys; from cli import cli\n"
            f"sys.argv = ['aidenum', 'match', {str(plan)!r}, '--format', 'json']\n"
            "try:\n    cli()\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'scrapy', 'twisted', 'docx', 'docxtpl', 'openpyxl', 'jinja2', 'pypdf', 'icalendar'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert '"scheme_id": "bdt:cnfs"' in result.stdout
    assert result.stdout.rstrip().endswith("[]")


def test_phrases_are_checked_only_where_the_search_looks(homes):
    index = SchemeIndex(homes[0])
    index._whoosh()
    phrase = index._postings("description", tuple(analyze("services publics")))
    allowed = frozenset(phrase._candidates[:3])
    within = phrase.within(allowed)
    assert set(phrase._score) == allowed                    # positions decoded for these only
    assert len(phrase._candidates) > len(phrase.docs) > 6   # both words, not always side by side
    assert within == [(d, s) for d, s in phrase.pairs if d in allowed]
    assert phrase.among(set(phrase._candidates[3:6])) == {d for d in phrase.docs if d in phrase._candidates[3:6]}


def test_another_whoosh_version_falls_back_to_the_reference_path(homes, aidenum_home, monkeypatch, caplog):
    import whoosh

    from aidenum.matcher import index as index_module
    assert SchemeIndex(homes[0]).fast
    monkeypatch.setattr(whoosh, "__version__", (2, 7, 6))
    with caplog.at_level("WARNING", logger="aidenum.matcher.index"):
        index = SchemeIndex(homes[0])
    assert not index.fast
    assert "Whoosh 2.7.6 installé, chemins rapides vérifiés pour 2.7.5 seulement" in caplog.text

    def internals(*args, **kwargs):
        raise AssertionError("Whoosh internals used")
    monkeypatch.setattr(index_module, "_read_postings", internals)
    monkeypatch.setattr(index_module._WordCache, "word_values", internals)
    monkeypatch.setattr(index_module, "_BulkWriter", internals)
    parts = [QueryPart(("numeric",), 1.0), QueryPart(("inclusion", "numeric"), 1.0)]
    assert index.search(parts, limit=100) == SchemeIndex(homes[1], fast=False).search(parts, limit=100)
    fill_catalogue(aidenum_home)
    matcher = Matcher(aidenum_home)
    assert matcher.ensure_index().count == len(schemes())
    assert matcher.search("conseiller numérique", today=TODAY)[0].scheme.id == "bdt:cnfs"


def test_catalogue_selects_schemes_by_programme_in_sqlite(aidenum_home):
    records = [Scheme.from_dict({"id": "at:1", "source": "at", "title": "A", "programmes": ["DETR", "Autre"]}),
               Scheme.from_dict({"id": "at:2", "source": "at", "title": "B", "programmes": ["DETR 2027"]}),
               Scheme.from_dict({"id": "dsil:3", "source": "dsil", "title": "C", "programmes": ["DSIL"]}),
               Scheme.from_dict({"id": "at:4", "source": "at", "title": "D"}),
               Scheme.from_dict({"id": "at:5", "source": "at", "title": "E", "programmes": ["DETR"]})]
    fill_catalogue(aidenum_home, records)
    with store.Catalogue(aidenum_home / store.DB_NAME) as cat:
        cat.db.execute("UPDATE schemes SET data='{\"programmes\": [\"DETR\"' WHERE id='at:5'")  # truncated
        assert [s.id for s in cat.all(programmes=("DETR", "DSIL"), without=("raw",))] == ["at:1", "dsil:3"]
        assert [s.id for s in cat.all(programmes=("DSIL", "DETR"), family="at")] == ["at:1"]
        assert [s.id for s in cat.all(programmes=("DSIL",), source="dsil")] == ["dsil:3"]
        assert [s.id for s in cat.all(programmes=("FEDER",))] == []
