"""`aidenum crawl`: usage errors (in process, no crawl), and several sources in one command (subprocess):
one failing source does not stop the others, the aggregator runs last and is merged into them."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from aidenum.cli import cli
from crawl_helpers import FAST_SETTINGS, Mirror, Page, catalogue_rows, demo_site, run_aidenum, status


def invoke(*args):
    return CliRunner().invoke(cli, ["crawl", *args])


@pytest.mark.parametrize("args, message", [
    (["inexistante"], "source inconnue : inexistante"),
    (["banque_des_territoires", "feder", "--start-url", "http://127.0.0.1:1/"], "une seule source"),
    (["banque_des_territoires", "--start-url", "ftp://x"], "adresse web attendue"),
    (["--set", "ROBOTSTXT_OBEY=False"], "ne peut pas être modifié"),
    (["--set", "SANS_EGAL"], "NOM=VALEUR"),
])
def test_usage_errors_are_french_and_exit_1(args, message):
    result = invoke(*args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_list_and_help():
    listed = invoke("--liste")
    assert listed.exit_code == 0
    assert "at (Aides-territoires), bdt (Banque des Territoires), dsil (" in listed.output
    helped = invoke("--help")
    assert helped.exit_code == 0 and "Collecter les dispositifs" in helped.output
    assert "--set" not in helped.output  # developer option stays hidden


def test_crawl_module_does_not_import_scrapy_at_cli_start():
    import subprocess
    import sys

    code = "import sys, cli; print('scrapy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def api_page(results, next_url=None) -> str:
    return json.dumps({"count": len(results), "next": next_url, "previous": None, "results": results})


def at_record(aid_id: int, name: str, origin_url: str) -> dict:
    return {"id": aid_id, "name": name, "origin_url": origin_url, "financers": ["État"],
            "targeted_audiences": ["Communes", "Intercommunalités / Pays"], "perimeter": "Bretagne",
            "submission_deadline": "2025-06-30"}


def test_one_failing_source_does_not_stop_the_others_and_the_aggregator_merges(aidenum_home):
    with Mirror(demo_site()) as prefecture, Mirror(demo_site()) as region, Mirror() as api:
        region.fault("/aides", "status", 500)
        dsil_url = prefecture.url("/aides/dsil-2025-numerique")
        api.add("/api/aids/", json_page(api_page(
            [at_record(1182, "DSIL numérique (copie Aides-territoires)", dsil_url + "?utm_source=at"),
             at_record(2001, "Hubs pour un numérique inclusif", "https://www.banquedesterritoires.fr/hubs")],
            api.url("/api/aids/?page=2"))))
        api.add("/api/aids/?page=2", json_page(api_page(
            [at_record(2002, "Conseillers numériques", "https://agence-cohesion-territoires.gouv.fr/cnfs")])))
        args = ["crawl", "demo_at", "demo_prefecture", "demo_region",
                "--set", "SPIDER_MODULES=aidenum.spiders.spiders,crawl_demo_spider"]
        for name, value in FAST_SETTINGS.items():
            args += ["--set", f"{name}={value}"]
        result = run_aidenum(args, aidenum_home, env={
            "DEMO_PREFECTURE_URL": prefecture.url("/aides"), "DEMO_REGION_URL": region.url("/aides"),
            "DEMO_AT_URL": api.url("/api/aids/")})
    assert result.returncode == 1, result.stdout + result.stderr
    rows = catalogue_rows(aidenum_home)
    assert {sid for sid in rows if sid.startswith("demo:")} == {
        "demo:dsil-2025-numerique", "demo:detr-2025", "demo:fonds-vert-2025"}
    assert not any(sid.startswith("demo2:") for sid in rows)
    assert {sid for sid in rows if sid.startswith("at:")} == {"at:2001", "at:2002"}
    assert rows["demo:dsil-2025-numerique"]["sources"] == ["at:1182"]
    assert rows["at:2002"]["perimeter"] == "REG:53" and rows["at:2002"]["beneficiaries"] == ["commune", "epci"]
    assert status(aidenum_home, "demo_prefecture")["status"] == "ok"
    assert status(aidenum_home, "demo_region")["status"] == "failed"
    at_report = status(aidenum_home, "demo_at")
    assert at_report["status"] == "ok" and at_report["merged"] == ["at:1182 -> demo:dsil-2025-numerique"]
    out = result.stdout
    assert out.index("« demo_prefecture »") < out.index("« demo_region »") and "« demo_at »" in out
    assert "Erreur : 1 source(s) en échec ou partielle(s) : demo_region" in result.stderr


def json_page(text: str) -> Page:
    return Page(text.encode("utf-8"), "application/json")
