"""Shared fixtures. Every test gets its own AIDENUM_HOME so no test touches data/."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = Path(__file__).resolve().parent / "files"
# Copies of the shared reference data the tests need (tests/files/shared/README.md): no test reads
# outside the repository.
SHARED_DATA = FILES / "shared"


LOOPBACK_NAMES = {None, "", "localhost", "0.0.0.0", "::", "::1"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Name resolution outside loopback fails loudly: a test that would query DNS or reach the
    internet is a broken test (subprocesses are covered by their own loopback-only servers)."""
    import socket
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in LOOPBACK_NAMES or (isinstance(name, str) and name.startswith("127.")):
            return real_getaddrinfo(host, *args, **kwargs)
        raise AssertionError(f"test tried to resolve {host!r}: tests use loopback only")
    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@pytest.fixture(autouse=True)
def aidenum_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "aidenum-home"
    home.mkdir()
    monkeypatch.setenv("AIDENUM_HOME", str(home))
    # loading the 77,000 shipped funded projects costs ~30 s per home: the tests that need
    # funded projects load their own (engine.Matcher.ensure_laureates)
    monkeypatch.setenv("AIDENUM_SHIPPED_LAUREATES", "0")
    return home


@pytest.fixture(scope="session")
def referential():
    from aidenum.catalogue import territory
    return territory.load()
