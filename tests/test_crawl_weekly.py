"""The weekly recipe: deploy/weekly.sh runs crawl, index, digest in order, under a lock."""
from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT

WEEKLY = ROOT / "deploy" / "weekly.sh"

# A stand-in for the aidenum command: records its arguments, takes its exit code from
# STUB_<SUBCOMMAND>_RC, and `crawl` waits for a release file when asked (to hold the lock).
STUB = """#!/usr/bin/env bash
echo "$*" >> "$STUB_CALLS"
if [ "$1" = crawl ] && [ -n "${STUB_WAIT_FOR:-}" ]; then
    touch "$STUB_STARTED"
    for _ in $(seq 1 300); do [ -e "$STUB_WAIT_FOR" ] && break; sleep 0.1; done
fi
var="STUB_$(echo "$1" | tr a-z A-Z)_RC"
exit "${!var:-0}"
"""


@pytest.fixture
def stub(tmp_path) -> dict:
    script = tmp_path / "aidenum-stub"
    script.write_text(STUB)
    script.chmod(0o755)
    return {"AIDENUM_BIN": str(script), "STUB_CALLS": str(tmp_path / "calls.txt"),
            "STUB_STARTED": str(tmp_path / "started")}


def run_weekly(env: dict, home: Path, **kwargs) -> subprocess.CompletedProcess:
    environment = dict(os.environ, AIDENUM_HOME=str(home))
    environment.pop("AIDENUM_PLAN", None)
    environment.update(env)
    return subprocess.run(["bash", str(WEEKLY)], env=environment, capture_output=True, text=True, timeout=60,
                          **kwargs)


def calls(env: dict) -> list[str]:
    path = Path(env["STUB_CALLS"])
    return path.read_text().splitlines() if path.exists() else []


def test_crawl_then_index_without_a_plan(stub, aidenum_home):
    result = run_weekly(stub, aidenum_home)
    assert result.returncode == 0, result.stderr
    assert calls(stub) == ["crawl", "index"]
    assert "Pas de plan configuré" in result.stdout


def test_digest_of_the_configured_plan_comes_last(stub, aidenum_home):
    env = dict(stub, AIDENUM_PLAN="/srv/plan.yaml", AIDENUM_DIGEST_OPTIONS="--envoyer --destinataire a@b.fr")
    result = run_weekly(env, aidenum_home)
    assert result.returncode == 0, result.stderr
    assert calls(stub) == ["crawl", "index", "digest /srv/plan.yaml --last-run --envoyer --destinataire a@b.fr"]


def test_a_failed_source_still_rebuilds_the_index_and_is_reported(stub, aidenum_home):
    result = run_weekly(dict(stub, STUB_CRAWL_RC="1", AIDENUM_PLAN="plan.yaml"), aidenum_home)
    assert result.returncode == 1
    assert calls(stub) == ["crawl", "index", "digest plan.yaml --last-run"]
    assert "Collecte incomplète" in result.stdout


def test_a_failed_index_stops_before_the_digest(stub, aidenum_home):
    result = run_weekly(dict(stub, STUB_INDEX_RC="1", AIDENUM_PLAN="plan.yaml"), aidenum_home)
    assert result.returncode == 2
    assert calls(stub) == ["crawl", "index"]


def test_a_second_concurrent_run_is_refused(stub, aidenum_home, tmp_path):
    release = tmp_path / "release"
    env = dict(os.environ, AIDENUM_HOME=str(aidenum_home), STUB_WAIT_FOR=str(release), **stub)
    first = subprocess.Popen(["bash", str(WEEKLY)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not Path(stub["STUB_STARTED"]).exists():
            assert time.monotonic() < deadline, "the first run never started its crawl"
            time.sleep(0.05)
        second = run_weekly(stub, aidenum_home)
        assert second.returncode == 75
        assert "déjà en cours" in second.stderr
        assert calls(stub) == ["crawl"]  # the second run called nothing
    finally:
        release.touch()
        out, err = first.communicate(timeout=30)
    assert first.returncode == 0, err
    assert calls(stub) == ["crawl", "index"]
    third = run_weekly(stub, aidenum_home)  # the lock is released with the first run
    assert third.returncode == 0


def test_schedulers_call_the_weekly_script():
    service = (ROOT / "deploy" / "aidenum-weekly.service").read_text()
    timer = (ROOT / "deploy" / "aidenum-weekly.timer").read_text()
    cron = (ROOT / "deploy" / "crontab").read_text()
    assert re.search(r"^ExecStart=\S+/deploy/weekly\.sh$", service, re.M)
    assert re.search(r"^Type=oneshot$", service, re.M)
    assert re.search(r"^OnCalendar=Mon \*-\*-\* 06:00:00$", timer, re.M)
    entry = [line for line in cron.splitlines() if line and not line.startswith("#") and "weekly.sh" in line]
    assert len(entry) == 1 and entry[0].split()[:5] == ["0", "6", "*", "*", "1"]
    assert os.access(WEEKLY, os.X_OK)


@pytest.mark.parametrize("where, reason", [("parent-is-a-file", "un élément du chemin n'est pas un dossier"),
                                           ("lock-is-a-directory", "c'est un dossier")])
def test_an_unusable_lock_is_not_reported_as_a_concurrent_run(stub, aidenum_home, tmp_path, where, reason):
    """Issue 15.10: a lock that cannot be created says so (exit 73), not « déjà en cours »."""
    if where == "parent-is-a-file":
        (tmp_path / "fichier").write_text("")
        lock = tmp_path / "fichier" / "weekly.lock"
    else:
        lock = tmp_path / "dossier"
        lock.mkdir()
    result = run_weekly(dict(stub, AIDENUM_LOCK=str(lock), LANGUAGE="", LC_ALL="C.UTF-8"), aidenum_home)
    assert result.returncode == 73, result.stderr
    assert f"aidenum : verrou {lock} impossible à créer ou à ouvrir en écriture ({reason})" in result.stderr
    assert "déjà en cours" not in result.stderr
    assert calls(stub) == []
