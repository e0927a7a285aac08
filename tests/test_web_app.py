"""The web application through Flask's test client: every page, the plan round trips, the
drafts and calendars it hands out, the JSON API, and the security defaults."""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest

from conftest import ROOT

SHIPPED = sum(1 for line in (ROOT / 'data' / 'catalogue.jsonl').read_text(encoding='utf-8').splitlines() if line.strip())
from web_helpers import EXAMPLE_PLAN, ROOT, app, catalogue_home, client, csrf, upload, upload_example, web_home  # noqa: F401

from aidenum.matcher.plan import load_plan


def text(response) -> str:
    return response.get_data(as_text=True)


def plain(response) -> str:
    """The page with entities decoded (« l'action » is written « l&#39;action »)."""
    import html
    return html.unescape(text(response))


def test_home_tells_the_catalogue_state_in_french(client):
    response = client.get("/")
    html = text(response)
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert f"{SHIPPED}" in html.replace("\u202f", "").replace("\u00a0", "") and "dispositifs au catalogue" in html
    assert "Aides-territoires" in html and "import du" in html
    assert "Aucun plan enregistré" in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_home_shows_the_coverage_of_the_plan_territory(client):
    upload_example(client)
    html = text(client.get("/"))
    assert "Loudéac Communauté - Bretagne Centre" in html
    assert re.search(r"Aides-territoires : \d+", html)


@pytest.mark.parametrize("name", ["plan-exemple.yaml", "plan-exemple.csv", "plan-exemple.xlsx", "plan-exemple.docx"])
def test_upload_every_plan_format_reads_the_same_plan(client, name):
    response = upload(client, ROOT / "data" / "plans" / name)
    assert response.status_code == 303
    html = text(client.get(response.headers["Location"]))
    assert "12 action(s)" in html
    assert "Déployer un guichet numérique unique des démarches" in html
    assert f"origine : {name}" in text(client.get("/plans"))


def test_plan_downloads_read_back_as_the_same_plan(client, tmp_path):
    plan_id = upload_example(client)
    original = load_plan(EXAMPLE_PLAN)
    for fmt in ("yaml", "xlsx"):
        response = client.get(f"/plans/{plan_id}/plan.{fmt}")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        path = tmp_path / f"retour.{fmt}"
        path.write_bytes(response.data)
        back = load_plan(path)
        assert back.actions == original.actions
        assert back.collectivite == original.collectivite


def test_stated_funding_is_kept_exported_and_used_by_the_drafts(client, tmp_path):
    import csv

    import docx
    financement = [{"financeur": "DETR", "taux": 30}, {"financeur": "Région Bretagne", "montant": 12345}]
    body = {"collectivite": {"type": "epci", "code": "200067460"},
            "actions": [{"id": "A1", "titre": "Renforcer la cybersécurité et la sauvegarde des systèmes d'information",
                         "budget_ht": 96000, "financement": financement}]}
    created = client.post("/api/plans", json=body)
    plan_id = created.get_json()["id"]
    assert created.get_json()["plan"]["actions"][0]["financement"] == financement
    for fmt in ("yaml", "xlsx"):
        path = tmp_path / f"retour.{fmt}"
        path.write_bytes(client.get(f"/plans/{plan_id}/plan.{fmt}").data)
        assert [{k: v for k, v in line.items() if v is not None} for line in load_plan(path).actions[0].financement] \
            == financement, fmt
    dossier = f"/plans/{plan_id}/actions/A1/dossier"
    choices = re.findall(r'name="dispositif" value="([^"]+)"', text(client.get(dossier)))
    national = next(c for c in choices if c.startswith(("dsil:", "detr:")))
    other = next(c for c in choices if not c.startswith(("dsil:", "detr:")))
    word = client.post(dossier, data={"csrf": csrf(client), "dispositif": national, "format": "docx"})
    document = docx.Document(io.BytesIO(word.data))
    cells = " ".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "12\u00a0345" in cells or "12\u202f345" in cells or "12 345" in cells  # the plan's amount, not a guess
    form = client.post(dossier, data={"csrf": csrf(client), "dispositif": national, "format": "ds"})
    assert form.status_code == 200 and form.headers["Content-Disposition"].endswith('.csv"')
    assert form.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(form.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Section", "Champ du formulaire", "Réponse", "Statut", "Source ou remarque"] and len(rows) > 20
    refused = client.post(dossier, data={"csrf": csrf(client), "dispositif": other, "format": "ds"})
    assert refused.status_code == 422 and "formulaire national remplit une demande de DETR ou de DSIL" in plain(refused)
    assert client.post(dossier, data={"csrf": csrf(client), "dispositif": national, "format": "pdf"}).status_code == 400


def test_matches_page_ranks_explains_and_filters(client):
    plan_id = upload_example(client)
    html = plain(client.get(f"/plans/{plan_id}/actions/A2"))
    assert "A2 — Renforcer la cybersécurité" in html
    assert html.count('class="correspondance"') >= 3
    assert "Mots de l'action retrouvés" in html and "Échéance" in html and "Éligibilité" in html
    api = client.get(f"/api/plans/{plan_id}/actions/A2/correspondances?top=50").get_json()
    assert [m["rank"] for m in api["correspondances"]] == sorted(m["rank"] for m in api["correspondances"])
    kinds = {t for m in api["correspondances"] for t in m["aid_types"]}
    assert kinds, "the example action should match schemes of some aid type"
    kind = sorted(kinds)[0]
    only = client.get(f"/api/plans/{plan_id}/actions/A2/correspondances?top=50&type={kind}").get_json()
    assert only["correspondances"] and all(kind in m["aid_types"] for m in only["correspondances"])
    assert len(only["correspondances"]) <= len(api["correspondances"])
    limit = dt.date.today() + dt.timedelta(days=400)
    dated = client.get(f"/api/plans/{plan_id}/actions/A2/correspondances?top=50&avant={limit}").get_json()
    assert all(m["deadline"] and m["deadline"] <= limit.isoformat() for m in dated["correspondances"])


LAUREATES_EXCERPT = ROOT / "tests" / "files" / "shared" / "laureates" / "dgcl-2023-extrait.csv"


def test_similar_funded_projects_on_the_matches_page_and_in_the_api(client, web_home):
    from aidenum.catalogue import laureates
    from aidenum.matcher.report import LAUREATES_CREDIT
    plan_id = upload_example(client)
    page = f"/plans/{plan_id}/actions/A12"
    assert "Aucun projet financé n'est chargé" in plain(client.get(page))
    assert client.get(f"/api/plans/{plan_id}/actions/A12/laureats").get_json()["disponible"] is False
    with laureates.LaureateStore(web_home / laureates.DB_NAME) as store:
        result = store.import_file(LAUREATES_EXCERPT)
    assert result.imported == 28 and not result.errors

    found = client.get(f"/api/plans/{plan_id}/actions/A12/laureats").get_json()
    assert found["disponible"] is True and found["projets"]
    projects = found["projets"]
    assert [p["score"] for p in projects] == sorted((p["score"] for p in projects), reverse=True)
    nearest = projects[0]
    assert "vidéoprotection" in nearest["title"].lower()
    assert nearest["dispositif"] == "DETR" and nearest["year"] == 2023 and nearest["region"] == "53"
    assert nearest["place"].endswith(f"({nearest['departement']})") and nearest["rate"] is not None
    assert found["indices"]["DETR"]["count"] >= 1 and "DETR" in found["indices"]["DETR"]["sentence"]

    html = plain(client.get(page))
    section = html[html.index("Projets comparables financés"):html.index("Dispositifs écartés")]
    assert "Aucun projet financé" not in section
    assert nearest["title"] in section and f"DETR {nearest['year']}" in section and nearest["place"] in section
    assert f"{round(nearest['rate'])}\u00a0%" in section  # the rate, rounded as in the reports
    assert "\u00a0€" in section and found["indices"]["DETR"]["sentence"] in section
    assert LAUREATES_CREDIT in section
    assert section.count("<li>") == len(client.get(f"/api/plans/{plan_id}/actions/A12/laureats?top=5")
                                          .get_json()["projets"])


def test_exclusions_on_demand_give_their_reason(client):
    plan_id = upload_example(client)
    assert "exclue :" not in text(client.get(f"/plans/{plan_id}/actions/A1"))
    html = text(client.get(f"/plans/{plan_id}/actions/A1?exclusions=1"))
    assert "exclue :" in html


def test_bad_filter_values_get_a_french_400(client):
    plan_id = upload_example(client)
    response = client.get(f"/plans/{plan_id}/actions/A1?avant=demain")
    assert response.status_code == 400 and "Date invalide « demain »" in text(response)
    assert client.get(f"/plans/{plan_id}/actions/A1?famille=Inconnue").status_code == 400


def test_editing_an_action_changes_its_matches(client):
    plan_id = upload_example(client)
    before = client.get(f"/api/plans/{plan_id}/actions/A4/correspondances").get_json()["correspondances"]
    token = csrf(client, f"/plans/{plan_id}/actions/A4/modifier")
    response = client.post(f"/plans/{plan_id}/actions/A4/modifier", data={
        "csrf": token, "id": "A4", "axe": "Sécurité", "titre": "Installer la vidéoprotection des bâtiments communaux",
        "description": "Caméras de vidéosurveillance et centre de supervision urbain.", "budget_ht": "60 000 €",
        "debut": "2027-04", "fin": "2027-10"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/plans/{plan_id}/actions/A4")
    after = client.get(f"/api/plans/{plan_id}/actions/A4/correspondances").get_json()["correspondances"]
    assert [m["scheme_id"] for m in after] != [m["scheme_id"] for m in before]
    assert any("vidéoprotection" in " ".join(m["why"]) for m in after)
    assert not any("vidéoprotection" in " ".join(m["why"]) for m in before)
    stored = client.get(f"/api/plans/{plan_id}").get_json()["plan"]["actions"]
    edited = next(a for a in stored if a["id"] == "A4")
    assert edited["budget_ht"] == 60000 and edited["calendrier"] == {"debut": "2027-04", "fin": "2027-10"}


def test_invalid_action_is_refused_with_the_plan_reader_message(client):
    plan_id = upload_example(client)
    token = csrf(client, f"/plans/{plan_id}/actions/A1/modifier")
    response = client.post(f"/plans/{plan_id}/actions/A1/modifier", data={
        "csrf": token, "id": "A1", "titre": "Guichet", "budget_ht": "beaucoup"})
    assert response.status_code == 422
    assert "montant illisible « beaucoup »" in text(response)
    assert client.get(f"/api/plans/{plan_id}").get_json()["plan"]["actions"][0]["budget_ht"] == 185000


def test_add_and_remove_actions(client):
    plan_id = upload_example(client)
    token = csrf(client, f"/plans/{plan_id}/actions/nouvelle")
    response = client.post(f"/plans/{plan_id}/actions/nouvelle", data={
        "csrf": token, "id": "A13", "titre": "Équiper les écoles de tableaux numériques", "budget_ht": "40000"})
    assert response.status_code == 303
    ids = [a["id"] for a in client.get(f"/api/plans/{plan_id}").get_json()["plan"]["actions"]]
    assert ids[-1] == "A13" and len(ids) == 13
    duplicate = client.post(f"/plans/{plan_id}/actions/nouvelle", data={"csrf": token, "id": "A1", "titre": "Doublon"})
    assert duplicate.status_code == 422 and "en double" in text(duplicate)
    response = client.post(f"/plans/{plan_id}/actions/A13/supprimer", data={"csrf": token})
    assert response.status_code == 303
    assert len(client.get(f"/api/plans/{plan_id}").get_json()["plan"]["actions"]) == 12


def test_create_a_plan_in_forms_with_the_territory_search(client):
    html = text(client.get("/plans/nouveau?recherche=loudéac"))
    assert "CC Loudéac Communauté - Bretagne Centre (intercommunalité)" in html
    link = re.search(r'href="(\?choix=[^"]+)"', html).group(1)
    assert "EPCI%3A200067460" in link or "EPCI:200067460" in link
    filled = text(client.get("/plans/nouveau" + link.replace("&amp;", "&")))
    assert 'value="200067460"' in filled and '<option value="epci" selected>' in filled
    token = csrf(client, "/plans/nouveau")
    response = client.post("/plans/nouveau", data={
        "csrf": token, "nom": "", "type": "commune", "code": "22093", "action_id": "A1",
        "action_titre": "Wifi public dans les bâtiments communaux", "action_budget_ht": "15000"})
    assert response.status_code == 303
    plan = client.get("/api/plans").get_json()["plans"][0]
    assert plan["nom"] == "Lamballe-Armor" and plan["plan"]["collectivite"]["code"] == "22093"
    bad = client.post("/plans/nouveau", data={"csrf": token, "type": "commune", "code": "99999", "action_titre": "x"})
    assert bad.status_code == 422 and "code territoire inconnu « 99999 »" in text(bad)


def test_several_plans_are_kept_and_deleted_one_by_one(client):
    first, second = upload_example(client), upload_example(client)
    assert first != second and len(client.get("/api/plans").get_json()["plans"]) == 2
    client.post(f"/plans/{first}/supprimer", data={"csrf": csrf(client)})
    assert [p["id"] for p in client.get("/api/plans").get_json()["plans"]] == [second]
    assert client.get(f"/plans/{first}").status_code == 404


def test_draft_downloads_a_docx_that_reopens(client):
    import docx
    plan_id = upload_example(client)
    page = text(client.get(f"/plans/{plan_id}/actions/A1/dossier"))
    scheme_id = re.search(r'name="dispositif" value="([^"]+)"', page).group(1)
    response = client.post(f"/plans/{plan_id}/actions/A1/dossier", data={
        "csrf": csrf(client), "dispositif": scheme_id.replace("&#34;", '"')})
    assert response.status_code == 200, text(response)[:400]
    assert response.headers["Content-Disposition"].endswith('.docx"')
    document = docx.Document(io.BytesIO(response.data))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Loudéac Communauté" in body
    missing = client.post(f"/plans/{plan_id}/actions/A1/dossier", data={"csrf": csrf(client), "dispositif": "at:nope"})
    assert missing.status_code == 422 and "Choisissez le dispositif" in text(missing)


# The shipped snapshot's dated calls mostly closed before today: the calendar is read on a day
# when several of them were still to come (December 2022 holds eleven deadlines).
CALENDAR_DAY = dt.datetime(2022, 10, 3, 9, 0)


def test_calendar_download_and_subscription(client, app):
    from icalendar import Calendar
    import time_machine
    plan_id = upload_example(client)
    with time_machine.travel(CALENDAR_DAY, tick=False):
        page = text(client.get(f"/plans/{plan_id}/echeances"))
        response = client.get(f"/plans/{plan_id}/echeances.ics")
    assert "Aucun dispositif retenu" not in page
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert events and all(e.get("dtstart") for e in events)
    feed = re.search(r'id="abonnement" value="([^"]+)"', page).group(1)
    path = feed.split("127.0.0.1", 1)[-1].split("localhost", 1)[-1]
    fresh = app.test_client()  # a calendar application: no session cookie
    with time_machine.travel(CALENDAR_DAY, tick=False):
        assert fresh.get(path).data == response.data
    assert fresh.get("/calendrier/jeton-invente.ics").status_code == 404


def test_digest_preview_and_subscription(client):
    plan_id = upload_example(client)
    html = text(client.get(f"/plans/{plan_id}/veille"))
    assert "Aperçu du prochain résumé" in html and "Loudéac" in html
    token = csrf(client, f"/plans/{plan_id}/veille")
    ok = client.post(f"/plans/{plan_id}/veille", data={"csrf": token, "adresse": "chef.projet@loudeac-communaute.bzh"})
    assert ok.status_code == 200 and "est abonné(e)" in text(ok)
    again = client.post(f"/plans/{plan_id}/veille", data={"csrf": token, "adresse": "Chef.Projet@loudeac-communaute.bzh"})
    assert "était déjà abonné(e)" in text(again)
    bad = client.post(f"/plans/{plan_id}/veille", data={"csrf": token, "adresse": "pas une adresse"})
    assert bad.status_code == 422 and "adresse" in text(bad)


def test_synthesis_lists_the_best_schemes_per_action(client):
    plan_id = upload_example(client)
    html = text(client.get(f"/plans/{plan_id}/synthese"))
    assert "Synthèse du plan" in html and "12 actions" in html
    assert html.count("<tr>") >= 12


def test_catalogue_facets_and_scheme_history(client):
    html = text(client.get("/dispositifs"))
    assert f"{SHIPPED} dispositif(s)" in html.replace("\u202f", "").replace("\u00a0", "")
    only_at = client.get("/api/dispositifs?source=at&limite=500").get_json()
    assert only_at["total"] and all(s["source"] == "at" for s in only_at["dispositifs"])
    page = text(client.get("/dispositifs?source=at"))
    assert f"{only_at['total']} dispositif(s)" in page
    grants = client.get("/api/dispositifs?type=grant&statut=open&limite=500").get_json()["dispositifs"]
    assert grants and all("grant" in s["aid_types"] and s["status"] == "open" for s in grants)
    local = client.get("/api/dispositifs?territoire=Ain&limite=500").get_json()
    assert 0 < local["total"] < SHIPPED
    searched = client.get("/api/dispositifs?q=cybersécurité").get_json()["dispositifs"]
    assert searched and any("cyber" in s["title"].lower() for s in searched[:5])
    scheme_id = only_at["dispositifs"][0]["id"]
    detail = text(client.get(f"/dispositifs/{scheme_id}"))
    assert "Historique des versions" in detail and "première version" in detail
    assert client.get("/dispositifs/at:n-existe-pas").status_code == 404


def test_crawl_status_page_reads_the_status_files(client, web_home):
    from aidenum.spiders.report import CrawlReport, write_status
    write_status(web_home, CrawlReport(spider="dsil", source="dsil", status="partial", pages=12, items_seen=30,
                                       items_valid=28, message="2 pages en échec : collecte partielle"))
    html = text(client.get("/collectes"))
    assert "dsil — collecte partielle" in html and "2 pages en échec" in html and "12 page(s) lue(s)" in html


def test_texts_from_plans_are_escaped(client):
    token = csrf(client)
    hostile = {"collectivite": {"type": "commune", "code": "22093", "nom": "<b>Loudéac</b>"},
               "actions": [{"id": "A1", "titre": "<script>alert('x')</script> wifi public", "description": "<img src=x onerror=alert(1)>"}]}
    created = client.post("/api/plans", json=hostile)
    assert created.status_code == 201
    plan_id = created.get_json()["id"]
    for page in (f"/plans/{plan_id}", f"/plans/{plan_id}/actions/A1", "/plans", "/"):
        html = text(client.get(page))
        assert "<script>alert" not in html and "<b>Loudéac</b>" not in html
        assert "&lt;script&gt;" in html or "&lt;b&gt;Loudéac&lt;/b&gt;" in html
    assert token


def test_api_plans_roundtrip_and_errors(client):
    document = json.loads(json.dumps(client.get("/api/openapi.json").get_json()))
    assert document["openapi"].startswith("3.") and "/api/plans/{plan_id}/actions/{action_id}/correspondances" in document["paths"]
    body = {"collectivite": {"type": "epci", "code": "200067460"},
            "actions": [{"id": "B1", "titre": "Créer un SIG intercommunal", "budget_ht": 72000}]}
    created = client.post("/api/plans", json=body)
    assert created.status_code == 201
    plan_id = created.get_json()["id"]
    matches = client.get(f"/api/plans/{plan_id}/actions/B1/correspondances").get_json()
    assert matches["correspondances"] and matches["action"]["id"] == "B1"
    assert client.post("/api/plans", data="collectivite=x").status_code == 415
    invalid = client.post("/api/plans", json={"collectivite": {"type": "commune", "code": "00000"}, "actions": [{"titre": "x"}]})
    assert invalid.status_code == 422 and "code territoire inconnu" in invalid.get_json()["detail"]
    replaced = client.put(f"/api/plans/{plan_id}", json=dict(body, actions=[{"id": "B2", "titre": "Wifi public"}]))
    assert [a["id"] for a in replaced.get_json()["plan"]["actions"]] == ["B2"]
    laureates = client.get(f"/api/plans/{plan_id}/actions/B2/laureats")
    assert laureates.status_code == 200 and "projets" in laureates.get_json()
    assert client.delete(f"/api/plans/{plan_id}").status_code == 204
    missing = client.get(f"/api/plans/{plan_id}")
    assert missing.status_code == 404 and missing.get_json()["erreur"] == "Page introuvable"
    assert client.get("/api/territoires?q=Dombes").get_json()["territoires"]


def test_unexpected_errors_show_a_french_page_and_log_the_details(client, app, monkeypatch, caplog):
    def broken():
        raise RuntimeError("détail interne à ne pas montrer")
    monkeypatch.setattr(app.extensions["aidenum"], "catalogue_state", broken)
    response = client.get("/")
    html = text(response)
    assert response.status_code == 500
    assert "Erreur interne" in html and "Traceback" not in html and "détail interne" not in html
    assert "détail interne à ne pas montrer" in caplog.text


def test_password_is_required_when_the_app_is_open_to_the_network(web_home):
    from aidenum.web import security
    from aidenum.web.app import create_app
    security.set_password(web_home, "un mot de passe solide")
    stored = security.stored_password(web_home)
    assert stored.startswith("scrypt$") and "solide" not in stored
    assert (security.password_path(web_home).stat().st_mode & 0o777) == 0o600
    client = create_app(web_home, password_required=True).test_client()
    first = client.get("/plans")
    assert first.status_code == 302 and "/connexion" in first.headers["Location"]
    assert client.get("/api/plans").status_code == 401
    token = csrf(client, "/connexion")
    wrong = client.post("/connexion", data={"csrf": token, "mot_de_passe": "faux", "suite": "/plans"})
    assert wrong.status_code == 401 and "Mot de passe incorrect" in text(wrong)
    right = client.post("/connexion", data={"csrf": token, "mot_de_passe": "un mot de passe solide", "suite": "/plans"})
    assert right.status_code == 303 and right.headers["Location"].endswith("/plans")
    assert client.get("/plans").status_code == 200
    other = create_app(web_home, password_required=True).test_client()
    import base64
    auth = base64.b64encode(b"intranet:un mot de passe solide").decode()
    assert other.get("/api/plans", headers={"Authorization": f"Basic {auth}"}).status_code == 200
    evil = client.post("/connexion", data={"csrf": csrf(client, "/connexion"), "mot_de_passe": "un mot de passe solide",
                                           "suite": "//evil.example/"})
    assert evil.headers["Location"] == "/"


def test_password_rules():
    from aidenum.web import security
    hashed = security.hash_password("correct horse battery")
    assert security.verify_password("correct horse battery", hashed)
    assert not security.verify_password("correct horse batterz", hashed)
    assert not security.verify_password("x", "n'importe quoi")
    with pytest.raises(security.PasswordError, match="trop court"):
        security.set_password(ROOT / "out" / "jamais", "court")


def test_cli_refuses_the_network_without_a_password(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from aidenum.cli import cli
    monkeypatch.setenv("AIDENUM_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["web", "--host", "0.0.0.0", "--port", "8765"])
    assert result.exit_code == 1
    assert "définissez d'abord un mot de passe" in result.output
    help_text = CliRunner().invoke(cli, ["web", "--help"]).output
    assert "Lancer l'application web" in help_text and "--definir-mot-de-passe" in help_text
