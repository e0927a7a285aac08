"""The web application in a real browser: Debian's Chromium driven by Playwright against
`aidenum web` on a free loopback port, as a chef de projet would use it; then axe-core on every
page (RGAA is the reference; axe's WCAG 2.1 A/AA rules are the automated part of it).

Chromium comes from Debian (`make test` installs the `chromium` package); Playwright never
downloads a browser here (``executable_path``)."""
from __future__ import annotations

import io
import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from web_helpers import EXAMPLE_PLAN, ROOT, build_catalogue_home, running_server

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "tests" / "files" / "axe" / "axe.min.js"
AXE_FR = ROOT / "tests" / "files" / "axe" / "fr.json"
SCREENSHOT = ROOT / "docs" / "screenshot-correspondances.png"
BLOCKING_IMPACTS = ("serious", "critical")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 60_000  # a matches page on a loaded 2-core machine; normally ~100 ms

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright absent (pip install -e '.[test]')")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium absent : « make test » l'installe (paquet Debian chromium)", allow_module_level=True)


LAUREATES_EXCERPT = ROOT / "tests" / "files" / "shared" / "laureates" / "dgcl-2023-extrait.csv"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from aidenum.catalogue import laureates
    home = build_catalogue_home(tmp_path_factory.mktemp("web-browser") / "home")
    with laureates.LaureateStore(home / laureates.DB_NAME) as store:  # the similar-projects list is on the pages
        store.import_file(LAUREATES_EXCERPT)
    with running_server(home) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, locale="fr-FR", viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.problems = problems
    yield tab
    context.close()


def result_titles(page) -> list[str]:
    return page.locator("ol.correspondances li.correspondance h3").all_inner_texts()


def test_a_chef_de_projet_works_through_the_plan(server, page, tmp_path):
    import docx
    from icalendar import Calendar

    # upload the example plan
    page.goto(server + "/plans")
    page.set_input_files("#fichier", str(EXAMPLE_PLAN))
    page.get_by_role("button", name="Importer").click()
    page.wait_for_url("**/plans/*")
    assert page.get_by_role("heading", level=1).inner_text() == "Loudéac Communauté - Bretagne Centre"
    plan_url = page.url

    # open an action: ranked, explained matches
    page.get_by_role("link", name="Renforcer la cybersécurité et la sauvegarde des systèmes d'information des communes").click()
    page.wait_for_url("**/actions/A2")
    titles = result_titles(page)
    assert len(titles) >= 3
    assert "Mots de l'action retrouvés" in page.locator("ol.correspondances").inner_text()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)

    # filter: grants only
    page.select_option("#type", "grant")
    page.get_by_role("button", name="Appliquer").click()
    page.wait_for_url("**type=grant**")
    kinds = page.locator("ol.correspondances dl.faits").all_inner_texts()
    assert kinds and all("Subvention" in block for block in kinds)

    # exclusions on demand
    page.get_by_role("link", name="Afficher les dispositifs écartés et la raison").click()
    assert "exclue :" in page.locator("#ecartes + ul").inner_text()

    # draft, download the .docx and reopen it
    page.get_by_role("link", name="Rédiger le dossier").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger le dossier (.docx)").click()
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    assert target.suffix == ".docx"
    body = "\n".join(p.text for p in docx.Document(target).paragraphs)
    assert "Loudéac Communauté" in body

    # deadlines: the .ics parses
    page.goto(plan_url)
    page.get_by_role("link", name="Échéances").click()
    link = page.get_by_role("link", name="Télécharger le calendrier (.ics)")
    if link.count():
        with page.expect_download() as download_info:
            link.click()
        ics = tmp_path / "echeances.ics"
        download_info.value.save_as(ics)
        assert Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
        assert "/calendrier/" in page.locator("#abonnement").input_value()
    else:
        assert "Aucun dispositif retenu" in page.content()

    # edit an action and see its matches change
    page.goto(plan_url)
    page.get_by_role("link", name="Ouvrir les données publiques du territoire").click()
    before = result_titles(page)
    page.get_by_role("link", name="Modifier l'action").click()
    page.fill("#titre", "Installer la vidéoprotection des bâtiments communaux")
    page.fill("#description", "Caméras de vidéosurveillance sur la voie publique et centre de supervision urbain.")
    page.get_by_role("button", name="Enregistrer l'action").click()
    page.wait_for_url("**/actions/A4")
    assert page.get_by_role("heading", level=1).inner_text().startswith("A4 — Installer la vidéoprotection")
    after = result_titles(page)
    assert after and after != before
    assert page.problems == [], page.problems  # no script error, no CSP violation


def test_keyboard_navigation(server, page):
    page.goto(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    page.goto(server + "/")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Plans":
            break
    else:
        pytest.fail("le lien « Plans » n'est pas atteignable au clavier")
    page.keyboard.press("Enter")
    page.wait_for_url("**/plans")
    # the catalogue's facets, by keyboard only: choose a status, submit with Enter
    page.goto(server + "/dispositifs")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-statut":
            break
    else:
        pytest.fail("le filtre « Statut » n'est pas atteignable au clavier")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "le focus clavier doit rester visible"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Chercher"
    page.keyboard.press("Enter")
    page.wait_for_url("**statut=**")
    assert page.problems == [], page.problems


def tab_to(page, selector: str, presses: int = 80) -> None:
    """Press Tab until ``selector`` has the focus (fails if it never does: not reachable by keyboard)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("sel => document.activeElement === document.querySelector(sel)", selector):
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none", \
                f"focus invisible sur {selector}"
            return
    pytest.fail(f"« {selector} » n'est pas atteignable au clavier")


def test_keyboard_only_on_the_matches_page(server, page):
    """Filter the matches, open an explanation and reach the draft, without the mouse."""
    plan_id = _store_example_plan(server)
    page.goto(f"{server}/plans/{plan_id}/actions/A2")
    tab_to(page, "#type")
    page.keyboard.press("ArrowDown")  # « tous » -> the first aid type
    chosen = page.evaluate("document.querySelector('#type').value")
    assert chosen
    tab_to(page, "form.filtres button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**type={chosen}**")
    tab_to(page, "ol.correspondances details summary")
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('ol.correspondances details').open")
    page.goto(f"{server}/plans/{plan_id}/actions/A2")
    tab_to(page, "a[href$='/actions/A2/dossier']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/actions/A2/dossier")
    tab_to(page, "form button[type=submit]")
    assert page.problems == [], page.problems


def _store_example_plan(server) -> int:
    from aidenum.matcher.plan import load_plan
    from aidenum.web import planio
    document = planio.document_of(load_plan(EXAMPLE_PLAN))
    request = urllib.request.Request(server + "/api/plans", data=json.dumps(document).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["id"]


def _pages(server) -> list[str]:
    """Every page of the application (each route of web/views.py and the API's documentation page)."""
    plan_id = _store_example_plan(server)
    with urllib.request.urlopen(server + "/api/dispositifs?limite=1&source=at", timeout=60) as response:
        scheme_id = json.load(response)["dispositifs"][0]["id"]
    plan = f"/plans/{plan_id}"
    return ["/", "/plans", "/plans/nouveau", "/plans/nouveau?recherche=loud", plan, f"{plan}/collectivite",
            f"{plan}/actions/A1", f"{plan}/actions/A1?exclusions=1&type=grant", f"{plan}/actions/A12",
            f"{plan}/actions/A1/modifier",
            f"{plan}/actions/nouvelle", f"{plan}/actions/A1/dossier", f"{plan}/synthese", f"{plan}/echeances",
            f"{plan}/veille", "/dispositifs", "/dispositifs?q=cybers%C3%A9curit%C3%A9&statut=open",
            f"/dispositifs/{scheme_id}", "/collectes", "/api", "/connexion", "/page-inexistante",
            f"{plan}/actions/A1?avant=demain"]  # an error page (400)


def _uncovered_pages(paths: list[str], home: Path) -> list[str]:
    """The HTML pages (GET routes, downloads aside) that none of ``paths`` reaches."""
    import re

    from aidenum.web.app import create_app
    urls = create_app(home).url_map
    adapter = urls.bind("127.0.0.1")
    reached = set()
    for path in paths:
        try:
            reached.add(adapter.match(path.split("?")[0])[0])
        except Exception:  # noqa: BLE001 — the 404 page matches no route
            continue
    return sorted(rule.rule for rule in urls.iter_rules()
                  if "GET" in rule.methods and rule.endpoint not in reached and rule.endpoint != "static"
                  and (not rule.endpoint.startswith("api.") or rule.endpoint == "api.documentation")  # JSON
                  and not re.search(r"\.[\w<]+[^/]*$", rule.rule))  # .ics, .yaml/.xlsx, openapi.json: files


def test_axe_core_finds_no_serious_violation_on_any_page(server, browser, tmp_path):
    paths = _pages(server)
    assert _uncovered_pages(paths, tmp_path) == [], "page absente de la vérification axe : ajoutez-la à _pages"
    context = browser.new_context(bypass_csp=True, locale="fr-FR")  # axe is injected as a script
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    locale = AXE_FR.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    try:
        for path in paths:
            tab.goto(server + path)
            tab.add_script_tag(path=str(AXE))
            result = tab.evaluate("""async ([locale, tags]) => {
                axe.configure({locale: JSON.parse(locale)});
                return await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            }""", [locale, AXE_TAGS])
            blocking = [f"{v['id']} ({v['impact']}) : {v['help']} — {v['nodes'][0]['target']}"
                        for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]
            if blocking:
                found[path] = blocking
            assert result["passes"], f"axe n'a rien vérifié sur {path}"
    finally:
        context.close()
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
