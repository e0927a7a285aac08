"""Scrapyd path: deploy the project to a local scrapyd on loopback, schedule a spider against the
loopback mirror, and find its schemes in the catalogue of the AIDENUM_HOME given to the job."""
from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT
from crawl_helpers import BDT_DETAILS, bdt_mirror, catalogue_rows, free_port, status

BIN = ROOT / ".venv" / "bin"
pytestmark = pytest.mark.skipif(not (BIN / "scrapyd").exists(), reason="scrapyd absent du virtualenv")


def _call(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(base + path, data=body, timeout=10) as response:
        return json.loads(response.read())


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def scrapyd(tmp_path):
    folder = tmp_path / "scrapyd"
    folder.mkdir()
    port = free_port()
    (folder / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {folder / 'eggs'}\nlogs_dir = {folder / 'logs'}\ndbs_dir = {folder / 'dbs'}\n"
        "items_dir =\njobs_to_keep = 5\nmax_proc = 2\npoll_interval = 0.5\n")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    output = (folder / "scrapyd.out").open("wb")
    process = subprocess.Popen([str(BIN / "scrapyd")], cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"

    def ready():
        try:
            return _call(base, "daemonstatus.json").get("status") == "ok"
        except OSError:
            assert process.poll() is None, (folder / "scrapyd.out").read_text(errors="replace")
            return False
    try:
        _wait_for(ready, 20, "scrapyd to listen")
        yield {"url": base, "folder": folder, "env": env}
    finally:
        process.terminate()
        process.wait(timeout=10)
        output.close()


def test_deploy_schedule_and_land_in_the_catalogue(scrapyd, aidenum_home):
    deployed = subprocess.run(["bash", str(ROOT / "deploy" / "scrapyd-deploy.sh")], capture_output=True, text=True,
                              timeout=60, env=dict(scrapyd["env"], SCRAPYD_URL=scrapyd["url"]))
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert not (ROOT / "setup.py").exists()  # the egg was built from a staging copy
    assert "bdt" in _call(scrapyd["url"], "listspiders.json?project=aidenum")["spiders"]

    with bdt_mirror() as mirror:
        job = _call(scrapyd["url"], "schedule.json", [
            ("project", "aidenum"), ("spider", "bdt"),
            ("start_url", mirror.url("/dispositifs-nationaux")),
            ("setting", f"AIDENUM_HOME={aidenum_home}"),
            ("setting", "DOWNLOAD_DELAY=0"), ("setting", "AUTOTHROTTLE_ENABLED=False")])
        assert job["status"] == "ok", job

        def finished():
            jobs = _call(scrapyd["url"], "listjobs.json?project=aidenum")
            return any(j["id"] == job["jobid"] for j in jobs["finished"])
        _wait_for(finished, 45, "the scrapyd job to finish")

    rows = catalogue_rows(aidenum_home)
    assert set(rows) == {f"bdt:{slug}" for slug in BDT_DETAILS}
    report = status(aidenum_home, "bdt")
    assert report["status"] == "ok" and report["counts"]["new"] == len(BDT_DETAILS)
