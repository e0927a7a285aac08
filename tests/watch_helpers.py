"""Shared by the watch tests: two weekly catalogue snapshots and a stand-in matcher.

The snapshots are shaped like what the spiders and the Aides-territoires import produce for a
Breton EPCI (Loudéac Communauté, EPCI:200067460, DEP:22, REG:53). Between week 1 and week 2:

- ``dsil:22-2025``                       deadline moved 31/01 -> 28/02, one sentence added  (changed)
- ``feder:bzh-numerique-pour-tous``      rate 50 % -> 60 %                                   (changed)
- ``bdt:hubs-numerique-inclusif``        appears                                             (new)
- ``at:anssi-parcours-cyber``            unchanged, deadline 30/01/2025                      (closing soon)
- ``bdt:ami-lieux-innovants``            vanishes from a complete Banque des Territoires run (closed)
- ``feder:bzh-services-numeriques``      deadline 10/01/2025 passed during the week          (closed)
- ``dsil:01-2025``                       appears, but for the Ain                            (other territory)
- ``feder:bzh-mediation-associations``   rate changed, but for associations only             (other beneficiary)
- ``bdt:pret-long-terme``                unchanged, permanent                                (nothing to say)
- ``at:cyber-2024``                      closed before week 2 began                          (nothing to say)
"""
from __future__ import annotations

import copy
import datetime as dt
import re
from types import SimpleNamespace

import pytest
import time_machine

from aidenum.catalogue.model import Scheme
from aidenum.catalogue.vocabularies import fold

RUN1_AT = dt.datetime(2025, 1, 6, 8, 0)
RUN2_AT = dt.datetime(2025, 1, 13, 8, 0)
DIGEST_DAY = dt.date(2025, 1, 13)
EPCI = "EPCI:200067460"

PLAN_YAML = """\
collectivite:
  nom: Loudéac Communauté - Bretagne Centre
  type: epci
  code: "200067460"
actions:
  - id: A1
    titre: Renforcer la cybersécurité des systèmes d'information des communes
    description: Audit de sécurité, sauvegarde externalisée, sensibilisation des agents au risque cyber.
  - id: A2
    titre: Développer la médiation numérique
    description: Conseillers numériques et lieux de médiation pour l'inclusion numérique des habitants.
"""

_WEEK1 = [
    {"id": "dsil:22-2025", "source": "dsil",
     "title": "Dotation de soutien à l'investissement local (DSIL) 2025 – Côtes-d'Armor",
     "url": "https://www.cotes-darmor.gouv.fr/Actions-de-l-Etat/Collectivites-locales/DSIL-2025",
     "description": "La DSIL finance les projets d'investissement des communes et de leurs groupements. "
                    "Thématiques éligibles : développement du numérique et de la téléphonie mobile, "
                    "sécurisation des équipements publics, dont la cybersécurité des systèmes d'information.",
     "eligibility": "Communes et EPCI à fiscalité propre du département.",
     "beneficiaries": ["commune", "epci"], "aid_types": ["grant"], "destinations": ["investment"],
     "perimeter": "DEP:22", "deadline": "2025-01-31", "recurrence": "recurring",
     "funders": ["Préfecture des Côtes-d'Armor"]},
    {"id": "feder:bzh-numerique-pour-tous", "source": "feder",
     "title": "Numérique pour toutes et tous (FEDER Bretagne 2021-2027)",
     "url": "https://europe.bzh/aides/fiches/numerique-pour-toutes-et-tous",
     "description": "1.3.1 - Assurer le développement d'un numérique inclusif. Médiation numérique, "
                    "accès et accueil dans les espaces de médiation, réemploi des équipements numériques.",
     "beneficiaries": ["commune", "epci", "association", "public-org"], "aid_types": ["grant"],
     "perimeter": "REG:53", "deadline": "2025-06-30", "rate_max": 50.0, "is_call_for_project": True,
     "funders": ["Région Bretagne"], "programmes": ["FEDER-FSE+ Bretagne 2021-2027"]},
    {"id": "at:anssi-parcours-cyber", "source": "at",
     "title": "Parcours de cybersécurité des collectivités",
     "url": "https://aides-territoires.beta.gouv.fr/aides/parcours-cybersecurite-collectivites/",
     "description": "Audit de sécurité des systèmes d'information et plan de sécurisation pour les "
                    "collectivités, financé par l'ANSSI.",
     "beneficiaries": ["commune", "epci", "department", "region"], "aid_types": ["grant", "technical-engineering"],
     "perimeter": "FR", "deadline": "2025-01-30", "rate_max": 70.0, "funders": ["ANSSI"],
     "licence": "Licence Ouverte"},
    {"id": "bdt:ami-lieux-innovants", "source": "bdt",
     "title": "AMI « Lieux innovants, Lieux accueillants » (France services)",
     "url": "https://www.banquedesterritoires.fr/france-services-ami-lieux-innovants-lieux-accueillants",
     "description": "Accompagner les France services dans l'accueil numérique et la médiation numérique "
                    "de leurs usagers.",
     "beneficiaries": ["commune", "epci", "association"], "perimeter": "FR", "deadline": "2025-09-30",
     "funders": ["Banque des Territoires"]},
    {"id": "feder:bzh-services-numeriques", "source": "feder",
     "title": "Services numériques des collectivités (FEDER Bretagne)",
     "url": "https://europe.bzh/aides/fiches/services-numeriques-collectivites",
     "description": "Dématérialisation des services publics, cybersécurité et sécurisation des données "
                    "des collectivités bretonnes.",
     "beneficiaries": ["commune", "epci"], "perimeter": "REG:53", "deadline": "2025-01-10", "rate_max": 40.0},
    {"id": "feder:bzh-mediation-associations", "source": "feder",
     "title": "Médiation numérique associative (FEDER Bretagne)",
     "url": "https://europe.bzh/aides/fiches/mediation-numerique-associative",
     "description": "Soutien aux associations de médiation numérique et d'inclusion numérique.",
     "beneficiaries": ["association"], "perimeter": "REG:53", "deadline": "2025-07-31", "rate_max": 50.0},
    {"id": "bdt:pret-long-terme", "source": "bdt",
     "title": "Prêts long terme au secteur public local",
     "url": "https://www.banquedesterritoires.fr/blog-des-territoires/pret-long-terme-projets-publics",
     "description": "Prêts jusqu'à 60 ans pour les investissements publics, dont les infrastructures "
                    "numériques et la cybersécurité.",
     "beneficiaries": ["commune", "epci", "department", "region"], "aid_types": ["loan"],
     "perimeter": "FR", "recurrence": "ongoing"},
    {"id": "at:cyber-2024", "source": "at",
     "title": "Appel à projets cybersécurité mutualisée 2024",
     "url": "https://aides-territoires.beta.gouv.fr/aides/cybersecurite-mutualisee-2024/",
     "description": "Cybersécurité mutualisée des communes : audit et équipements de sécurité.",
     "beneficiaries": ["commune", "epci"], "perimeter": "FR", "deadline": "2024-12-15"},
]


def week1() -> list[dict]:
    return copy.deepcopy(_WEEK1)


def week2() -> list[dict]:
    records = {r["id"]: r for r in week1()}
    dsil = records["dsil:22-2025"]
    dsil["deadline"] = "2025-02-28"
    dsil["description"] += " Les dossiers déposés hors délai ne seront pas instruits."
    records["feder:bzh-numerique-pour-tous"]["rate_max"] = 60.0
    records["feder:bzh-mediation-associations"]["rate_max"] = 70.0
    del records["bdt:ami-lieux-innovants"]
    records["bdt:hubs-numerique-inclusif"] = {
        "id": "bdt:hubs-numerique-inclusif", "source": "bdt",
        "title": "AMI Hubs pour un numérique inclusif",
        "url": "https://www.caissedesdepots.fr/node/784",
        "description": "Structurer la médiation numérique et l'inclusion numérique à l'échelle régionale : "
                       "250 000 € par hub.",
        "beneficiaries": ["association", "commune", "epci", "department", "region", "private-sector"],
        "aid_types": ["grant"], "perimeter": "FR", "deadline": "2025-04-30", "amount_max": 250000.0,
        "funders": ["Banque des Territoires"]}
    records["dsil:01-2025"] = {
        "id": "dsil:01-2025", "source": "dsil",
        "title": "DSIL 2025 – Ain",
        "url": "https://www.ain.gouv.fr/dsil-2025",
        "description": "Développement du numérique, cybersécurité et médiation numérique des communes de l'Ain.",
        "beneficiaries": ["commune", "epci"], "perimeter": "DEP:01", "deadline": "2025-03-15"}
    return list(records.values())


def load_snapshot(catalogue, records: list[dict], when: dt.datetime) -> None:
    """One complete run per source, at ``when``, as a weekly crawl would do."""
    with time_machine.travel(when, tick=False):
        for source in sorted({r["source"] for r in records}):
            with catalogue.run(source, kind="crawl", label=f"collecte {source}", complete=True) as run:
                for record in records:
                    if record["source"] == source:
                        run.upsert(Scheme.from_dict(dict(record)))


def load_two_weeks(catalogue) -> None:
    load_snapshot(catalogue, week1(), RUN1_AT)
    # sources absent from week 2 would keep their schemes: every week-1 source is crawled again
    load_snapshot(catalogue, week2(), RUN2_AT)


_WORD = re.compile(r"[a-z]{5,}")
_STOP = {"dans", "des", "pour", "avec", "leurs", "communes", "collectivites", "projets", "projet"}


class FakeMatcher:
    """Stand-in for ``matcher.engine.Matcher`` in unit tests: the real hard eligibility filters
    (``matcher.filters.check``) and a crude word-overlap relevance."""

    def __init__(self, catalogue, referential):
        self.catalogue, self.referential = catalogue, referential
        self.calls = []

    def match_action(self, collectivite, action, top=10, include_closed=False, today=None):
        from aidenum.matcher.filters import Applicant, check
        self.calls.append((action.id, top, include_closed, today))
        applicant = Applicant.from_collectivite(collectivite)
        words = set(_WORD.findall(fold(action.text))) - _STOP
        out = []
        for scheme in self.catalogue.all():
            verdict = check(scheme, applicant, self.referential, today, include_closed=include_closed)
            if not verdict.ok:
                continue
            common = words & set(_WORD.findall(fold(f"{scheme.title} {scheme.description}")))
            if common:
                out.append(SimpleNamespace(scheme=scheme, score=float(len(common)),
                                           why=["mots communs : " + ", ".join(sorted(common))]))
        out.sort(key=lambda m: -m.score)
        return out[:top]


# -- a real SMTP server on loopback ------------------------------------------------------------
class SmtpSink:
    """Keeps every message the loopback server accepts (envelope + parsed message)."""

    def __init__(self, data_delay: float = 0.0):
        self.envelopes = []
        self.data_delay = data_delay

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            import asyncio
            await asyncio.sleep(self.data_delay)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        from email import message_from_bytes, policy
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


def loopback_smtp(users: dict[str, str] | None = None, refuse: set[str] | None = None,
                  on_quit: str | None = None, data_delay: float = 0.0):
    """Start an aiosmtpd server on 127.0.0.1 and a free port; returns (controller, sink).

    ``users`` turns on AUTH (LOGIN/PLAIN, accepted without TLS since it is loopback);
    ``refuse`` lists recipient addresses the server rejects with 550; ``on_quit`` makes QUIT
    fail after the message was accepted: "error" answers 421, "reset" drops the connection;
    ``data_delay`` seconds pass before the 250 after DATA (a slow server)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    class LoopbackController(Controller):
        def _trigger_server(self):
            # port 0 means "any free port": read back the one the OS chose before connecting
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    sink = SmtpSink(data_delay)
    if on_quit == "error":
        async def handle_QUIT(server, session, envelope):
            return "421 4.3.0 Service shutting down, closing transmission channel"
        sink.handle_QUIT = handle_QUIT
    elif on_quit == "reset":
        async def handle_QUIT(server, session, envelope):
            server.transport.abort()
            return "221 Bye"
        sink.handle_QUIT = handle_QUIT
    if refuse:
        async def handle_RCPT(server, session, envelope, address, rcpt_options):
            if address in refuse:
                return "550 5.1.1 Mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"
        sink.handle_RCPT = handle_RCPT
    options = {}
    if users is not None:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = users.get(auth_data.login.decode()) == auth_data.password.decode()
            return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535
        options = {"authenticator": authenticator, "auth_require_tls": False}
    controller = LoopbackController(sink, hostname="127.0.0.1", port=0, **options)
    controller.start()
    return controller, sink


@pytest.fixture
def smtp(monkeypatch):
    """A loopback SMTP server and the AIDENUM_SMTP_* settings pointing at it; yields its inbox."""
    controller, sink = loopback_smtp()
    monkeypatch.setenv("AIDENUM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AIDENUM_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("AIDENUM_SMTP_FROM", "veille@loudeac-communaute.bzh")
    yield sink
    controller.stop()


def free_port() -> int:
    """A port nobody listens on (bound then released)."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
