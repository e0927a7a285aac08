import datetime as dt

import pytest

from aidenum.catalogue.model import Scheme, SchemeError
from aidenum.catalogue.store import Catalogue


def make(**kw):
    base = dict(id="at:1", source="at", title="Aide au numérique", beneficiaries=["commune"], perimeter="DEP:01")
    base.update(kw)
    return Scheme.from_dict(base)


def test_bad_field_is_named_in_french():
    with pytest.raises(SchemeError) as error:
        make(beneficiaries=["martiens"])
    assert "« at:1 »" in str(error.value) and "beneficiaries" in str(error.value)
    with pytest.raises(SchemeError, match="perimeter"):
        make(perimeter="Bretagne")
    with pytest.raises(SchemeError, match="rate_max"):
        make(rate_max=120)


def test_status_is_derived_from_dates():
    today = dt.date(2026, 11, 22)
    assert make().status(today) == "open"
    assert make(deadline="2026-12-01").status(today) == "closing-soon"
    assert make(deadline="2026-11-21").status(today) == "closed"
    assert make(deadline="2027-06-01").status(today) == "open"


def test_store_versions_and_closing(aidenum_home):
    with Catalogue() as cat:
        with cat.run("at", complete=True) as run:
            assert run.upsert(make()) == "new"
            assert run.upsert(make(id="at:2", title="Autre")) == "new"
        with cat.run("at", complete=True) as run:
            assert run.upsert(make(title="Aide au numérique 2027")) == "changed"
        assert run.counts["closed"] == 1
        assert cat.get("at:2").status() == "closed"
        assert len(cat.versions("at:1")) == 2
        with cat.run("at") as run:
            assert run.upsert(make(title="Aide au numérique 2027")) == "unchanged"


def test_interrupted_run_leaves_catalogue_intact(aidenum_home):
    with Catalogue() as cat:
        with cat.run("at") as run:
            run.upsert(make())
        with pytest.raises(KeyboardInterrupt):
            with cat.run("at", complete=True) as run:
                run.upsert(make(title="changé"))
                raise KeyboardInterrupt
        assert cat.get("at:1").title == "Aide au numérique"
        assert cat.count() == 1


def test_a_record_arriving_closed_stays_closed_and_keeps_its_dates(aidenum_home, tmp_path):
    with Catalogue() as cat:
        with cat.run("at", complete=True) as run:
            run.upsert(make())
            run.upsert(make(id="at:2", title="Autre"))
        with cat.run("at", complete=True) as run:
            run.upsert(make())
        exported = [s.to_dict() for s in cat.all()]
    with Catalogue(tmp_path / "fresh.sqlite") as fresh:
        with fresh.run("at") as run:
            for data in exported:
                run.upsert(Scheme.from_dict(data))
        closed = fresh.get("at:2")
        assert closed.status() == "closed" and closed.closed_at == exported[1]["closed_at"]
        assert closed.first_seen == exported[1]["first_seen"]
        assert fresh.get("at:1").status() == "open"
        with fresh.run("at") as run:  # seen again by a crawl (no closed_at): reopened
            assert run.upsert(make(id="at:2", title="Autre")) == "reopened"


def test_a_batched_run_writes_what_a_plain_run_writes(tmp_path, monkeypatch):
    from aidenum.catalogue import store
    monkeypatch.setattr(store, "BATCH_SIZE", 3)  # several flushes, and repeats on both sides of one
    monkeypatch.setattr(store, "now_iso", lambda: "2026-12-03T10:00:00")
    sequence = [make(), make(id="at:2"), make(title="Changé"), make(id="at:3"),
                make(title="Changé", closed_at="2026-12-01"),
                make(id="at:2", title="Autre"), make(title="Changé"), make(id="at:4"), make(id="at:2", title="Autre")]
    dumps = []
    for batched in (False, True):
        with Catalogue(tmp_path / f"{batched}.sqlite") as cat:
            with cat.run("at", batched=batched) as run:
                changes = [run.upsert(Scheme.from_dict(scheme.to_dict())) for scheme in sequence[:5]]
            with cat.run("at", complete=True, batched=batched) as run:
                changes += [run.upsert(Scheme.from_dict(scheme.to_dict())) for scheme in sequence[5:]]
            dumps.append((changes, [list(cat.db.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid"))
                                    for table in ("schemes", "versions", "changes")]))
    assert dumps[0] == dumps[1]
    assert dumps[0][0] == ["new", "new", "changed", "new", "closed",
                           "changed", "reopened", "new", "unchanged"]
