"""Web faults (issue 15, with issue 14): oversized and malformed uploads, posts without CSRF
token, path-like names, and 20 concurrent users on a real `aidenum web` server (loopback).

Every case asserts the HTTP status, a French message, no traceback shown, and the plans store
unchanged (or changed exactly as asked)."""
from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

import pytest
from web_helpers import (EXAMPLE_PLAN, app, catalogue_home, client, csrf, running_server, upload,  # noqa: F401
                         upload_example, web_home)

from aidenum.web.app import MAX_UPLOAD_BYTES

USERS = 20
REQUESTS_PER_USER = 8       # bounded: 160 requests in all
REQUEST_TIMEOUT_S = 60


def page(response) -> str:
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and 'File "' not in body
    return body


def stored_plans(client) -> list:
    return client.get("/api/plans").get_json()["plans"]


def a_zip(name: str = "x.txt") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "bonjour")
    return buffer.getvalue()


# -- uploads -------------------------------------------------------------------------------------
def test_oversized_upload_is_refused_in_french(client):
    boundary = "aidenum-limite"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf(client)}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"plan.yaml\"\r\n"
            f"Content-Type: application/yaml\r\n\r\n").encode() + b"# " + b"x" * (MAX_UPLOAD_BYTES + 1024) \
        + f"\r\n--{boundary}--\r\n".encode()
    response = client.post("/plans/importer", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "Fichier trop volumineux" in page(response) and "2 Mo" in page(response)
    assert stored_plans(client) == []


@pytest.mark.parametrize("name, data, status, message", [
    ("plan.xlsx", b"\x00\x01 not a workbook at all", 415, "n'est pas un document XLSX valide"),
    ("plan.docx", b"%PDF-1.7 renamed", 415, "n'est pas un document DOCX valide"),
    ("plan.xlsx", a_zip(), 422, "classeur Excel illisible"),
    ("plan.docx", a_zip(), 422, "document Word illisible"),
    ("plan.yaml", b"collectivite: [\n  - : :\n", 422, "YAML invalide"),
    ("plan.yaml", b"[" * 100_000, 415, "imbriquée trop profondément"),
    ("plan.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00", 415, "contenu binaire"),
    ("plan.yaml", b"", 415, "le fichier envoyé est vide"),
    ("plan.exe", b"MZ", 415, "format de fichier non accepté « .exe »"),
    ("plan", b"collectivite: {}", 415, "sans extension"),
    ("plan.yaml", b"collectivite: {type: commune, code: '22093'}\nactions:\n  - {id: A1, titre: Wifi, budget_ht: .inf}\n",
     422, "montant non fini"),
    ("plan.yaml", b"collectivite: {type: commune, code: '22093'}\nactions:\n  - {id: A1, titre: Wifi, budget_ht: .nan}\n",
     422, "montant non fini"),
    ("plan.yaml", "collectivite: {type: commune, code: '22093'}\nactions:\n  - {id: A1, titre: Café}\n".encode("cp1252"),
     422, "UTF-8"),
])
def test_malformed_uploads_get_a_french_error_and_store_nothing(client, name, data, status, message):
    response = upload(client, name=name, data=data)
    body = page(response)
    assert response.status_code == status, body[:800]
    import html
    assert message in html.unescape(body)
    assert stored_plans(client) == []


@pytest.mark.parametrize("body, status, message", [
    (b"{pas du json", 400, "corps JSON illisible"),
    (b"\xff\xfe{}", 400, "corps JSON illisible"),
    (b"[" * 100_000, 400, "imbriqué trop profondément"),
    (b'{"collectivite": ' * 50_000, 400, "imbriqué trop profondément"),
    (b'"' + b"x" * (MAX_UPLOAD_BYTES + 1024) + b'"', 413, "dépasse la taille acceptée (2 Mo)"),
    (b'"un plan ?"', 422, "attendu un plan avec « collectivite » et « actions »"),
    (b'{"collectivite": {"type": "commune", "code": "22093"}, "actions": [{"id": "A1", "titre": "Wifi", '
     b'"budget_ht": NaN}]}', 422, "montant non fini"),
])
def test_malformed_and_oversized_api_bodies_get_a_french_json_error(client, body, status, message):
    response = client.post("/api/plans", data=body, content_type="application/json")
    assert response.status_code == status
    assert message in response.get_json()["detail"] and "Traceback" not in response.get_data(as_text=True)
    assert stored_plans(client) == []


def test_upload_without_a_file(client):
    response = client.post("/plans/importer", data={"csrf": csrf(client)}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choisissez un fichier" in page(response)


# -- CSRF ----------------------------------------------------------------------------------------
def test_every_form_refuses_a_post_without_its_csrf_token(client):
    plan_id = upload_example(client)
    before = json.dumps(stored_plans(client), sort_keys=True)
    posts = [
        ("/plans/importer", {"fichier": (io.BytesIO(EXAMPLE_PLAN.read_bytes()), "plan.yaml")}),
        ("/plans/nouveau", {"type": "commune", "code": "22093", "action_titre": "Wifi"}),
        (f"/plans/{plan_id}/collectivite", {"type": "commune", "code": "22093"}),
        (f"/plans/{plan_id}/actions/nouvelle", {"id": "Z1", "titre": "Intrus"}),
        (f"/plans/{plan_id}/actions/A1/modifier", {"id": "A1", "titre": "Remplacé"}),
        (f"/plans/{plan_id}/actions/A1/supprimer", {}),
        (f"/plans/{plan_id}/supprimer", {}),
        (f"/plans/{plan_id}/actions/A1/dossier", {"dispositif": "bdt:cnfs"}),
        (f"/plans/{plan_id}/veille", {"adresse": "intrus@exemple.fr"}),
    ]
    for url, form in posts:
        for token in (None, "jeton-forge"):
            data = dict(form)
            if token:
                data["csrf"] = token
            if "fichier" in data:
                data["fichier"] = (io.BytesIO(EXAMPLE_PLAN.read_bytes()), "plan.yaml")
            response = client.post(url, data=data, content_type="multipart/form-data")
            assert response.status_code == 400, url
            assert "jeton de sécurité absent ou périmé" in page(response), url
    assert json.dumps(stored_plans(client), sort_keys=True) == before
    assert client.get(f"/plans/{plan_id}/veille").get_data(as_text=True).count("intrus@exemple.fr") == 0


def test_sign_in_and_out_refuse_a_post_without_csrf_token_and_never_leave_the_site(web_home):
    from aidenum.web import security
    from aidenum.web.app import create_app
    security.set_password(web_home, "un mot de passe solide")
    client = create_app(web_home, password_required=True).test_client()
    for token in (None, "jeton-forge"):  # a forged sign-in (login CSRF) is refused like any other form
        form = {"mot_de_passe": "un mot de passe solide", "suite": "/plans"} | ({"csrf": token} if token else {})
        response = client.post("/connexion", data=form)
        assert response.status_code == 400 and "jeton de sécurité absent ou périmé" in page(response)
    assert client.get("/plans").status_code == 302  # still signed out
    token = csrf(client, "/connexion")
    for target in ("//evil.example/", "/\\evil.example", "https://evil.example/", "/\t/evil.example", "javascript:x"):
        response = client.post("/connexion", data={"csrf": token, "mot_de_passe": "un mot de passe solide",
                                                   "suite": target})
        assert response.status_code == 303 and response.headers["Location"] == "/", target
        token = csrf(client, "/plans")
    assert client.post("/deconnexion", data={}).status_code == 400  # a cross-site page cannot sign anyone out
    assert client.get("/plans").status_code == 200
    assert client.post("/deconnexion", data={"csrf": token}).status_code == 303
    assert client.get("/plans").status_code == 302


def test_a_cross_site_form_cannot_write_through_the_api(client):
    response = client.post("/api/plans", data="collectivite=x&actions=y",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.get_json()["erreur"] == "Type de contenu non accepté"
    response = client.post("/api/plans", data=json.dumps({"collectivite": {}}), content_type="text/plain")
    assert response.status_code == 415
    assert stored_plans(client) == []


# -- path-like names -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../../../{tmp}/evil.yaml", "..\\..\\evil.yaml", "/etc/evil.yaml",
                                  "C:\\Windows\\evil.yaml", "evil\x00.yaml", "évil plan ?*<>|.yaml"])
def test_path_like_upload_names_never_become_paths(client, tmp_path, name):
    name = name.replace("{tmp}", str(tmp_path).lstrip("/"))
    response = upload(client, name=name)
    assert response.status_code in (303, 415), page(response)[:500]
    assert not (tmp_path / "evil.yaml").exists()
    for plan in stored_plans(client):
        assert "/" not in plan["source"] and "\x00" not in plan["source"]


@pytest.mark.parametrize("url", ["/plans/1/actions/..%2F..%2Fetc%2Fpasswd", "/plans/1/actions/../../etc/passwd",
                                 "/dispositifs/../../../etc/passwd", "/dispositifs/%2e%2e/%2e%2e/etc/passwd",
                                 "/static/../web.sqlite", "/static/..%2f..%2fcatalogue.sqlite",
                                 "/calendrier/..%2F..%2Fweb.sqlite.ics", "/plans/1/plan.sqlite"])
def test_path_like_urls_are_plain_not_found(client, url):
    upload_example(client)
    response = client.get(url)
    assert response.status_code == 404, url
    assert "SQLite" not in response.get_data(as_text=True)
    assert "introuvable" in page(response) or "n'existe pas" in page(response) or "inconnu" in page(response)


def test_path_like_action_id_gives_a_safe_download_name(client):
    collectivite = {"type": "epci", "code": "200067460"}
    titre = "Wifi public et numérique dans les médiathèques"
    injected = client.post("/api/plans", json={"collectivite": collectivite,
                                               "actions": [{"id": "A1\r\nX-Injecte: 1", "titre": titre}]})
    assert injected.status_code == 422 and "caractères de contrôle" in injected.get_json()["detail"]
    created = client.post("/api/plans", json={"collectivite": collectivite,
                                              "actions": [{"id": "../../A1 \"x\"; y", "titre": titre}]})
    assert created.status_code == 201
    plan_id = created.get_json()["id"]
    action_id = created.get_json()["plan"]["actions"][0]["id"]
    from urllib.parse import quote
    base = f"/plans/{plan_id}/actions/{quote(action_id, safe='')}"
    html = client.get(base + "/dossier").get_data(as_text=True)
    import re
    found = re.search(r'name="dispositif" value="([^"]+)"', html)
    assert found, html[:500]
    response = client.post(base + "/dossier", data={"csrf": csrf(client), "dispositif": found.group(1)})
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    name = disposition.split("filename=")[1]
    assert re.fullmatch(r'"[a-z0-9-]+\.docx"', name), name


# -- concurrency ---------------------------------------------------------------------------------
def test_twenty_concurrent_users_on_loopback(web_home):
    """20 users at once on the real server: each opens pages and creates a plan; no error, no loss."""
    with running_server(web_home) as base:
        plan_body = json.dumps({"collectivite": {"type": "epci", "code": "200067460"},
                                "actions": [{"id": "A1", "titre": "Renforcer la cybersécurité des mairies"}]}).encode()
        setup = urllib.request.Request(base + "/api/plans", data=plan_body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(setup, timeout=REQUEST_TIMEOUT_S) as response:
            plan_id = json.load(response)["id"]
        urls = ["/", f"/plans/{plan_id}/actions/A1", "/dispositifs?q=numérique", f"/api/plans/{plan_id}/actions/A1/correspondances",
                "/dispositifs", f"/plans/{plan_id}", "/api/dispositifs?source=at", "/collectes"]
        errors: list[str] = []
        created: list[int] = []
        lock = threading.Lock()
        start = threading.Barrier(USERS)

        def user(number: int) -> None:
            start.wait(timeout=REQUEST_TIMEOUT_S)
            for index in range(REQUESTS_PER_USER):
                url = base + urllib.parse.quote(urls[(number + index) % len(urls)], safe="/?=&")
                try:
                    with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_S) as response:
                        if response.status != 200:
                            raise AssertionError(f"{url} : {response.status}")
                        response.read()
                except Exception as error:  # noqa: BLE001 — every failure is collected and reported
                    with lock:
                        errors.append(f"{url} : {error}")
            request = urllib.request.Request(base + "/api/plans", data=plan_body,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                    with lock:
                        created.append(json.load(response)["id"])
            except Exception as error:  # noqa: BLE001
                with lock:
                    errors.append(f"POST /api/plans : {error}")


        threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_S * REQUESTS_PER_USER)
        assert not any(t.is_alive() for t in threads), "des utilisateurs n'ont pas fini à temps"
        assert errors == [], errors[:5]
        assert len(set(created)) == USERS
        with urllib.request.urlopen(base + "/api/plans", timeout=REQUEST_TIMEOUT_S) as response:
            assert len(json.load(response)["plans"]) == USERS + 1
        assert time.monotonic() - began < REQUEST_TIMEOUT_S * 3


def test_twenty_colleagues_adding_actions_to_one_plan_at_once_lose_none(web_home):
    """Each user's form adds an action to the same plan at the same moment: every action is kept
    (the change applies to the plan as stored when written, not to the page each user read)."""
    import http.cookiejar
    import re
    with running_server(web_home) as base:
        body = json.dumps({"collectivite": {"type": "epci", "code": "200067460"},
                           "actions": [{"id": "A1", "titre": "Renforcer la cybersécurité des mairies"}]}).encode()
        request = urllib.request.Request(base + "/api/plans", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            plan_id = json.load(response)["id"]
        form_url = f"{base}/plans/{plan_id}/actions/nouvelle"
        sessions = []
        for number in range(USERS):  # every user has read the form (and the plan) before anyone saves
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            with opener.open(form_url, timeout=REQUEST_TIMEOUT_S) as response:
                token = re.search(r'name="csrf" value="([^"]+)"', response.read().decode()).group(1)
            sessions.append((opener, token))
        errors: list[str] = []
        start = threading.Barrier(USERS)

        def colleague(number: int) -> None:
            opener, token = sessions[number]
            form = urllib.parse.urlencode({"csrf": token, "id": f"B{number}",
                                           "titre": f"Équiper la médiathèque n° {number} en numérique"}).encode()
            start.wait(timeout=REQUEST_TIMEOUT_S)
            try:
                with opener.open(urllib.request.Request(form_url, data=form), timeout=REQUEST_TIMEOUT_S) as response:
                    response.read()
            except Exception as error:  # noqa: BLE001 — every failure is collected and reported
                errors.append(f"B{number} : {error}")

        threads = [threading.Thread(target=colleague, args=(n,)) for n in range(USERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_S * 2)
        assert errors == [], errors[:5]
        with urllib.request.urlopen(f"{base}/api/plans/{plan_id}", timeout=REQUEST_TIMEOUT_S) as response:
            ids = [action["id"] for action in json.load(response)["plan"]["actions"]]
        assert sorted(ids) == sorted(["A1", *(f"B{n}" for n in range(USERS))])
