"""Shared fixtures. Every test gets its own AIDENUM_HOME so no test touches data/."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
FILES = Path(__file__).resolve().parent / "files"


@pytest.fixture(autouse=True)
def aidenum_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "aidenum-home"
    home.mkdir()
    monkeypatch.setenv("AIDENUM_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def referential():
    from aidenum.catalogue import territory
    return territory.load()
