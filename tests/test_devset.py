"""The real development set (matcher/devset.py): its build from the shared open data (extracts in
tests/files/shared/devset/) and the eligibility of every answer on the shipped queries."""
from __future__ import annotations

from pathlib import Path

import pytest

from aidenum.matcher import devset

EXTRACT = Path(__file__).parent / "files" / "shared" / "devset"
SHIPPED = Path(__file__).parent.parent / "data" / "eval" / "reel.jsonl"


@pytest.fixture(scope="module")
def built(referential):
    return devset.build_queries(EXTRACT, referential), devset.build_standins(EXTRACT, referential)


def test_queries_come_from_the_three_sources_with_the_query_year_only(built, referential):
    queries, _ = built
    sources = {q.source for q in queries}
    assert sources == {"dgcl", "kohesio", "cnfs"}
    dgcl = [q for q in queries if q.source == "dgcl"]
    assert dgcl and all(q.year == devset.QUERY_YEAR and q.dispositif in devset.DOTATIONS for q in dgcl)
    assert all(q.dispositif == "FEDER" for q in queries if q.source == "kohesio")
    assert all(q.title == devset.CNFS_TITLE for q in queries if q.source == "cnfs")
    for query in queries:
        assert query.applicant["territory"] in referential.territories
        assert query.split == devset.split_of(query.applicant["departement"] or "")


def test_the_split_is_by_departement_parity():
    """Corsica counts as 2 (2A and 2B: contrôle), overseas by its three digits."""
    assert devset.split_of("01") == devset.split_of("971") == devset.split_of("973") == "reglage"
    assert devset.split_of("22") == devset.split_of("2A") == devset.split_of("2B") == devset.split_of("974") == "controle"


def test_the_build_is_deterministic(built, referential):
    again = devset.build_queries(EXTRACT, referential)
    assert [q.id for q in again] == [q.id for q in built[0]]


def test_standins_hold_the_priority_categories_and_the_dsil_legal_categories(built):
    _, standins = built
    by_id = {s.id: s for s in standins}
    assert {"detr:01", "detr:22", "dsil:84", "dsid:84", "feder:84", "dpv:national"} <= set(by_id)
    assert "Catégories prioritaires" in by_id["detr:01"].description
    assert "Catégories prioritaires" not in by_id["detr:75"].description   # no row for Paris in the extract
    assert "numérique" in by_id["dsil:84"].description
    assert all(s.source == devset.STANDIN_SOURCE for s in standins)


def test_written_files_load_back(tmp_path, referential, built):
    out = tmp_path / "reel.jsonl"
    count, standins = devset.write(EXTRACT, out)
    loaded = devset.load(out)
    assert len(loaded.queries) == count == len(built[0]) and len(loaded.standins) == standins
    assert loaded.queries[0] == built[0][0]


def test_no_ineligible_scheme_in_any_top_10_of_the_real_queries(referential):
    """Every match of a sample of the shipped real queries passes the independent eligibility
    check of the evaluation (beneficiary type, territory, deadline, status)."""
    import datetime as dt

    from aidenum.catalogue import store
    from aidenum.catalogue.importers import import_file
    from aidenum.matcher.engine import Matcher
    from aidenum.matcher.evaluate import violations
    from aidenum.matcher.plan import Action
    real = devset.load(SHIPPED)
    home = Path(store.home())
    with store.Catalogue(home / store.DB_NAME) as catalogue:
        import_file(str(SHIPPED.parent.parent / "catalogue.jsonl"), catalogue, strict=True, referential=referential)
        schemes = {s.id: s for s in catalogue.all()}
        store.upsert_all(catalogue, "eval", devset.with_standins(schemes, real))
        schemes = {s.id: s for s in catalogue.all()}
    matcher = Matcher(home, referential=referential)
    matcher.ensure_index()
    today = dt.date(2026, 11, 22)
    sample = real.queries[::6]
    assert len(sample) > 100
    found = []
    for query in sample:
        collectivite = query.collectivite()
        for match in matcher.match_action(collectivite, Action(id=query.id, titre=query.title), top=10, today=today):
            reasons = violations(schemes[match.scheme.id], collectivite, today, referential)
            if reasons:
                found.append((query.id, match.scheme.id, reasons))
    assert found == []
