"""End to end: every HTML spider through `aidenum crawl`, on its saved pages served by a loopback
mirror (wget layout for the préfecture and regional sites). Each source must land whole, with no
item rejected by the pipelines, and a second weekly crawl of the same pages must change nothing."""
from __future__ import annotations

import pytest

from crawl_helpers import TESTS, Mirror, catalogue_rows, crawl, free_port, status

FILES = TESTS / "files"


def dsil_mirror(port):
    return Mirror(static_root=FILES / "dsil", port=port), "/index.html"


def feder_mirror(port):
    return Mirror(static_root=FILES / "feder", port=port), "/index.html"


def france_num_mirror(port):
    folder = FILES / "france_num"
    pages = {"/aides-financieres": (folder / "aides-financieres.html").read_bytes(),
             "/aides-financieres?page=1": (folder / "aides-financieres-page-2.html").read_bytes()}
    for path in folder.glob("*.html"):
        if not path.stem.startswith("aides-financieres"):
            pages[f"/aides-financieres/{path.stem}"] = path.read_bytes()
    return Mirror(pages, rewrite=("https://www.francenum.gouv.fr",), port=port), "/aides-financieres"


MIRRORS = {"dsil": dsil_mirror, "feder": feder_mirror, "francenum": france_num_mirror}


@pytest.mark.parametrize("spider", sorted(MIRRORS))
def test_source_lands_whole_and_a_second_crawl_changes_nothing(spider, aidenum_home):
    port = free_port()
    mirror, start = MIRRORS[spider](port)
    with mirror:
        first = crawl(aidenum_home, spider, mirror.url(start))
    assert first.returncode == 0, first.stdout + first.stderr
    report = status(aidenum_home, spider)
    rows = catalogue_rows(aidenum_home)
    assert report["status"] == "ok" and report["invalid"] == {} and report["failures"] == []
    assert len(rows) == report["items_valid"] == report["counts"]["new"] >= 3
    assert all(row["source"] == report["source"] for row in rows.values())

    mirror, start = MIRRORS[spider](port)
    with mirror:
        second = crawl(aidenum_home, spider, mirror.url(start))
    assert second.returncode == 0, second.stdout
    assert status(aidenum_home, spider)["counts"] == {"unchanged": len(rows), "closed": 0}
    assert catalogue_rows(aidenum_home).keys() == rows.keys()


def test_france_num_listing_layout_change_fails_without_closing(aidenum_home):
    port = free_port()
    mirror, start = france_num_mirror(port)
    with mirror:
        assert crawl(aidenum_home, "france_num", mirror.url(start)).returncode == 0
    before = catalogue_rows(aidenum_home)
    mirror, start = france_num_mirror(port)
    mirror.add("/aides-financieres", (FILES / "france_num" / "aides-financieres-layout-change.html").read_bytes())
    with mirror:
        result = crawl(aidenum_home, "france_num", mirror.url(start))
    assert result.returncode == 1
    assert catalogue_rows(aidenum_home) == before
    assert status(aidenum_home, "francenum")["status"] == "failed"


def test_feder_regional_page_failing_for_good_is_a_partial_run(aidenum_home):
    mirror, start = feder_mirror(free_port())
    mirror.fault("/europe.bzh/aides/fiches/numerique-pour-toutes-et-tous.html", "status", 503)
    with mirror:
        result = crawl(aidenum_home, "feder", mirror.url(start))
    assert result.returncode == 1
    report = status(aidenum_home, "feder")
    assert report["status"] == "partial" and report["counts"].get("closed", 0) == 0
    assert [f["reason"] for f in report["failures"]] == ["HTTP 503"]
    assert "HTTP 503" in result.stdout and len(catalogue_rows(aidenum_home)) == report["items_valid"] > 0
