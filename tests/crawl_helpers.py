"""Test helpers of the crawl machinery: a loopback HTTP server with injectable faults, a small
demo site in the shape of a préfecture listing, and a runner for ``aidenum crawl`` in a subprocess.

Crawls always run in a subprocess: one Twisted reactor per process, never two CrawlerProcess in
the pytest process.
"""
from __future__ import annotations

import html
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable

# Developer settings for loopback crawls: no politeness delay, quick timeouts and retries.
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY_JITTER": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_TIMEOUT": "2",
    "RETRY_TIMES": "2",
}


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict = field(default_factory=dict)


@dataclass
class Fault:
    """What to do instead of (or before) serving a page, for the first ``times`` hits (None: always)."""
    kind: str              # "status" | "delay" | "redirect" | "big" | "close"
    value: object = None   # HTTP code, seconds, target path, size in bytes
    times: int | None = None


class Mirror:
    """A loopback web site: ``pages`` by path, ``faults`` by path, ``robots`` text, hit counts."""

    def __init__(self, pages: dict[str, Page | str | bytes] | None = None, robots: str = "User-agent: *\nDisallow:\n",
                 rewrite: tuple[str, ...] = (), port: int = 0, static_root: Path | None = None):
        self.static_root = static_root  # a saved-pages folder served as files
        self.port = port            # a fixed port keeps URLs stable from one crawl to the next
        self.rewrite = rewrite  # absolute site prefixes served as this mirror's own address
        self.pages: dict[str, Page] = {}
        for path, page in (pages or {}).items():
            self.add(path, page)
        self.faults: dict[str, list[Fault]] = {}
        self.robots = robots
        self.hits: Counter = Counter()
        self.user_agents: set[str] = set()
        self.requests: list[tuple[str, str, dict]] = []   # (method, path, headers)
        self.server: ThreadingHTTPServer | None = None

    def add(self, path: str, page: Page | str | bytes) -> None:
        if isinstance(page, str):
            page = Page(page.encode("utf-8"))
        elif isinstance(page, bytes):
            page = Page(page)
        self.pages[path] = page

    def fault(self, path: str, kind: str, value=None, times: int | None = None) -> None:
        self.faults.setdefault(path, []).append(Fault(kind, value, times))

    def url(self, path: str = "/") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    # -- serving -------------------------------------------------------------------------------
    def static_page(self, path: str) -> Page | None:
        """A file of ``static_root`` in the ``wget --mirror --adjust-extension`` layout."""
        if self.static_root is None:
            return None
        relative = path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        base = (self.static_root / relative).resolve()
        if self.static_root.resolve() not in (base, *base.parents):
            return None
        for candidate in (base, base.with_name(base.name + ".html"), base / "index.html"):
            if candidate.is_file():
                return Page(candidate.read_bytes())
        return None

    def route(self, path: str) -> str:
        """The page a request path means: tracking parameters do not change the page."""
        from aidenum.catalogue.normalise import strip_tracking

        return path if path in self.pages or path in self.faults else strip_tracking(path)

    def _active_fault(self, path: str) -> Fault | None:
        hit = self.hits[path]
        for fault in self.faults.get(path, []):
            if fault.times is None or hit <= fault.times:
                return fault
        return None

    def handler(self):
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.do_GET()

            def do_GET(self):
                path = mirror.route(self.path)
                mirror.hits[path] += 1
                mirror.requests.append((self.command, path, dict(self.headers)))
                mirror.user_agents.add(self.headers.get("User-Agent", ""))
                if path == "/robots.txt":
                    return self._send(200, mirror.robots.encode(), "text/plain; charset=utf-8")
                fault = mirror._active_fault(path)
                if fault and fault.kind == "delay":
                    time.sleep(float(fault.value))
                elif fault and fault.kind == "status":
                    return self._send(int(fault.value), f"<h1>Erreur {fault.value}</h1>".encode())
                elif fault and fault.kind == "redirect":
                    return self._send(301, b"", headers={"Location": str(fault.value)})
                elif fault and fault.kind == "big":
                    return self._send_big(int(fault.value))
                page = mirror.pages.get(path) or mirror.static_page(path)
                if page is None:
                    return self._send(404, b"<h1>Page introuvable</h1>")
                body = page.body
                for prefix in mirror.rewrite:
                    body = body.replace(prefix.encode(), mirror.url("").encode())
                self._send(page.status, body, page.content_type, page.headers)

            def _send(self, status, body, content_type="text/html; charset=utf-8", headers=None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send_big(self, size):
                chunk = ("<p>" + "Texte de remplissage d'une page démesurée. " * 40 + "</p>\n").encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(size))
                    self.end_headers()
                    sent = 0
                    while sent < size:
                        part = chunk[: size - sent]
                        self.wfile.write(part)
                        sent += len(part)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def __enter__(self) -> "Mirror":
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


FILES_AT = TESTS / "files" / "aides_territoires"
BDT_FILES = TESTS / "files" / "banque_des_territoires"
BDT_SITE = "https://www.banquedesterritoires.fr"
BDT_DETAILS = ["petites-villes-de-demain", "conseiller-numerique-france-services", "ami-hubs-pour-un-numerique-inclusif",
               "nos-dispositifs-de-relance-pour-le-tres-haut-debit-dans-les-territoires",
               "la-banque-des-territoires-mobilise-270-meu-supplementaires-pour-parfaire-la-couverture-tres-haut",
               "france-services-la-banque-des-territoires-lance-un-ami-lieux-innovants-lieux-accueillants"]


def bdt_mirror(**options) -> Mirror:
    """The Banque des Territoires saved pages at their site paths, absolute links pointing home."""
    pages = {"/dispositifs-nationaux": (BDT_FILES / "dispositifs-nationaux.html").read_bytes(),
             "/dispositifs-nationaux?page=1": (BDT_FILES / "dispositifs-nationaux-page-2.html").read_bytes()}
    for slug in BDT_DETAILS:
        pages[f"/{slug}"] = (BDT_FILES / f"{slug}.html").read_bytes()
    return Mirror(pages, rewrite=(BDT_SITE,), **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- a demo source in the shape of a préfecture listing ------------------------------------------
DEMO_SCHEMES = [
    {"slug": "dsil-2025-numerique", "title": "DSIL 2025 – développement du numérique",
     "window": "Les dossiers sont à déposer du 20 novembre 2024 au 31 janvier 2025 à 23h59.",
     "envelope": "L'enveloppe départementale s'élève à 5 355 989 €.",
     "who": ["Communes", "EPCI à fiscalité propre"], "territory": "Ille-et-Vilaine", "rate": "jusqu'à 80 %"},
    {"slug": "detr-2025", "title": "DETR 2025 : équipements des communes rurales",
     "window": "Les demandes doivent parvenir avant le 30 avril 2025.",
     "envelope": "Enveloppe : 12 450 000 €.",
     "who": ["Communes", "Intercommunalités / Pays"], "territory": "Ille-et-Vilaine", "rate": "de 20 % à 50 %"},
    {"slug": "fonds-vert-2025", "title": "Fonds vert : rénovation énergétique des écoles",
     "window": "Dépôt jusqu'au 15 mars 2025.",
     "envelope": "Crédits régionaux : 375,51 M€.",
     "who": ["Communes", "Départements"], "territory": "Bretagne", "rate": "40 %"},
]


def demo_detail(scheme: dict, noise: str = "") -> str:
    who = "".join(f"<li>{html.escape(w)}</li>" for w in scheme["who"])
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>{html.escape(scheme['title'])} - Les services de l'État</title></head><body>
<nav><a href="/">Accueil</a> &gt; <a href="/aides">Aides aux collectivités</a></nav>
<main><h1 class="titre">{html.escape(scheme['title'])}</h1>
<p class="maj">Mise à jour le 29/02/2024</p>{noise}
<div class="corps"><p>{html.escape(scheme['window'])}</p><p>{html.escape(scheme['envelope'])}</p>
<p>Taux de subvention : {html.escape(scheme['rate'])} du coût HT.</p></div>
<h2>Bénéficiaires</h2><ul class="beneficiaires">{who}</ul>
<p class="territoire">Territoire : {html.escape(scheme['territory'])}</p></main>
<footer>Préfecture – mentions légales</footer></body></html>"""


def demo_listing(slugs: list[str], next_page: str | None = None, titles: dict | None = None) -> str:
    cards = "".join(f'<li class="aide"><a href="/aides/{s}?xtor=RSS-1">{html.escape((titles or {}).get(s, s))}</a></li>'
                    for s in slugs)
    nxt = f'<a class="suivant" href="{next_page}">Page suivante</a>' if next_page else ""
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Aides</title></head>
<body><h1>Aides aux collectivités</h1><ul class="aides">{cards}</ul>{nxt}</body></html>"""


def demo_site(schemes: list[dict] = DEMO_SCHEMES, per_page: int = 50) -> dict[str, str]:
    """Listing pages /aides, /aides?page=2… and one detail page per scheme."""
    pages = {}
    slugs = [s["slug"] for s in schemes]
    titles = {s["slug"]: s["title"] for s in schemes}
    chunks = [slugs[i:i + per_page] for i in range(0, len(slugs), per_page)] or [[]]
    for index, chunk in enumerate(chunks):
        path = "/aides" if index == 0 else f"/aides?page={index + 1}"
        nxt = f"/aides?page={index + 2}" if index + 1 < len(chunks) else None
        pages[path] = demo_listing(chunk, nxt, titles)
    for scheme in schemes:
        pages[f"/aides/{scheme['slug']}"] = demo_detail(scheme)
    return pages


def generated_schemes(count: int) -> list[dict]:
    """``count`` schemes derived from the demo templates (distinct slugs and titles)."""
    out = []
    for i in range(count):
        base = DEMO_SCHEMES[i % len(DEMO_SCHEMES)]
        out.append(dict(base, slug=f"{base['slug']}-{i:05d}", title=f"{base['title']} (fiche {i + 1})"))
    return out


# -- running aidenum in a subprocess -------------------------------------------------------------
@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str


def run_aidenum(args: list[str], home: Path, timeout: float = 120, env: dict | None = None) -> CrawlResult:
    environment = dict(os.environ, AIDENUM_HOME=str(home), PYTHONPATH=os.pathsep.join([str(ROOT), str(TESTS)]))
    environment.update(env or {})
    proc = subprocess.run([PYTHON, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=timeout, env=environment, cwd=str(home))
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr)


def crawl(home: Path, spider: str, start_url: str | None = None, settings: dict | None = None,
          demo: bool = False, timeout: float = 120, env: dict | None = None) -> CrawlResult:
    """``aidenum crawl SPIDER`` with fast loopback settings (and the demo spider module when asked)."""
    args = ["crawl", spider]
    if start_url:
        args += ["--start-url", start_url]
    merged = dict(FAST_SETTINGS, **(settings or {}))
    if demo:
        merged["SPIDER_MODULES"] = "aidenum.spiders.spiders,crawl_demo_spider"
    for name, value in merged.items():
        args += ["--set", f"{name}={value}"]
    return run_aidenum(args, home, timeout=timeout, env=env)


def catalogue_rows(home: Path) -> dict[str, dict]:
    """id -> {closed_at, data} read straight from the SQLite file (not through our own code)."""
    db = sqlite3.connect(home / "catalogue.sqlite")
    try:
        return {sid: {**json.loads(data), "closed_at": closed}
                for sid, closed, data in db.execute("SELECT id, closed_at, data FROM schemes")}
    finally:
        db.close()


def runs(home: Path) -> list[dict]:
    db = sqlite3.connect(home / "catalogue.sqlite")
    try:
        return [{"source": s, "kind": k, "complete": bool(c), "counts": json.loads(n)}
                for s, k, c, n in db.execute("SELECT source, kind, complete, counts FROM runs ORDER BY id")]
    finally:
        db.close()


def status(home: Path, spider: str) -> dict:
    return json.loads((home / "status" / f"{spider}.json").read_text(encoding="utf-8"))
