"""The wheel works alone and lives beside others (issue: one import name).

Built from this checkout without network (no build isolation), installed with its dependencies
from the wheelhouse that ``make test`` prepares into a fresh virtualenv that already holds spaCy's
registry package ``catalogue``; then run from a folder outside the checkout.
"""
from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

WHEELHOUSE = ROOT / ".venv" / "wheelhouse"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not any(WHEELHOUSE.glob("catalogue-*.whl")), reason="wheelhouse absente : lancez « make test »")]


def _run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{argv}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out),
          str(ROOT)], cwd=ROOT)
    (built,) = out.glob("aidenum-*.whl")
    return built


def test_the_wheel_installs_only_the_aidenum_name(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"aidenum", next(n for n in top_level if n.endswith(".dist-info"))}
    for shipped in ("aidenum/data/territories.json.gz", "aidenum/data/catalogue.jsonl", "aidenum/data/thesaurus.csv",
                    "aidenum/data/plans/plan-exemple.yaml", "aidenum/data/eval/gold.yaml",
                    "aidenum/templates/dsil-detr.docx", "aidenum/templates/digest/digest.txt.j2"):
        assert shipped in names
    assert not any(name.startswith("aidenum/tests/") or name.endswith("pyproject.toml") for name in names)


def test_installed_beside_spacy_catalogue_from_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(WHEELHOUSE)]
    _run([*pip, "catalogue"])
    _run([*pip, str(wheel)])

    outside = tmp_path / "ailleurs"
    outside.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("AIDENUM_HOME", "PYTHONPATH")}
    env["HOME"] = str(tmp_path / "home")  # the per-user data folder of an installed aidenum
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / "share")
    aidenum = str(env_dir / "bin" / "aidenum")
    shipped = _run([str(python), "-c", "from aidenum.catalogue.paths import shipped; print(shipped('data'))"],
                   cwd=outside, env=env).stdout.strip()
    imported = _run([aidenum, "catalogue", "import", f"{shipped}/catalogue.jsonl"], cwd=outside, env=env)
    assert "Traceback" not in imported.stderr
    matched = _run([aidenum, "match", f"{shipped}/plans/plan-exemple.yaml", "--top", "3", "--format", "json"],
                   cwd=outside, env=env)
    assert '"actions"' in matched.stdout
    # the catalogue went to the per-user folder, never into site-packages
    assert (tmp_path / "home" / "share" / "aidenum" / "catalogue.sqlite").exists()
    assert not (Path(shipped) / "catalogue.sqlite").exists()
    _run([str(python), "-c", "import catalogue; catalogue.create('aidenum_check')"], cwd=outside, env=env)
    _run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "aidenum"], cwd=outside, env=env)
    _run([str(python), "-c", "import catalogue; catalogue.create('aidenum_check')"], cwd=outside, env=env)
