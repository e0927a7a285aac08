"""Shared pieces of the web tests: a catalogue home built once from the shipped catalogue
(data/catalogue.jsonl), a fresh copy per test, the CSRF token, and `aidenum web` started as a
real server on a free loopback port."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PLAN = ROOT / "data" / "plans" / "plan-exemple.yaml"
SERVER_START_S = 60  # index opening and referential warm-up on a busy 2-core machine


def build_catalogue_home(folder: Path) -> Path:
    from aidenum.catalogue import importers, store
    from aidenum.matcher.engine import Matcher
    folder.mkdir(parents=True, exist_ok=True)
    with store.Catalogue(folder / store.DB_NAME) as cat:
        importers.import_file(ROOT / "data" / "catalogue.jsonl", cat)
    Matcher(folder).ensure_index()
    return folder


@pytest.fixture(scope="session")
def catalogue_home(tmp_path_factory) -> Path:
    return build_catalogue_home(tmp_path_factory.mktemp("web-catalogue") / "home")


@pytest.fixture
def web_home(catalogue_home, tmp_path) -> Path:
    home = tmp_path / "web-home"
    shutil.copytree(catalogue_home, home)
    return home


@pytest.fixture
def app(web_home):
    from aidenum.web.app import create_app
    application = create_app(web_home)
    application.testing = False  # errors go through the French error pages, as in production
    return application


@pytest.fixture
def client(app):
    return app.test_client()


def csrf(client, page: str = "/plans") -> str:
    html = client.get(page).get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, f"pas de jeton CSRF sur {page}"
    return found.group(1)


def upload(client, path: Path = EXAMPLE_PLAN, name: str | None = None, data: bytes | None = None,
           token: str | None = None):
    import io
    body = data if data is not None else path.read_bytes()
    form = {"fichier": (io.BytesIO(body), name or path.name)}
    if token is not False:
        form["csrf"] = token or csrf(client)
    return client.post("/plans/importer", data=form, content_type="multipart/form-data")


def upload_example(client) -> int:
    response = upload(client)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(home: Path, extra_args=()):
    """`aidenum web` in a subprocess on a free loopback port; yields its base URL."""
    port = free_port()
    env = dict(os.environ, AIDENUM_HOME=str(home))
    process = subprocess.Popen([sys.executable, "-m", "aidenum.cli", "web", "--port", str(port), *extra_args],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                raise AssertionError(f"aidenum web s'est arrêté : {process.stdout.read()}")
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("aidenum web n'a pas répondu à temps")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
