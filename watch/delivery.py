"""Deliver a plan's digest: choose its period, build it, print / write / e-mail it, remember it.

``aidenum digest`` only parses its options into a ``DigestJob`` and prints what ``deliver``
says. The rules kept here:

- a digest accepted by the SMTP server (250 after DATA) is sent, whatever happens after
  (``mail.send``); it is recorded as sent at once, before anything else can fail;
- a run that records something (``--last-run``, ``--envoyer``) holds the watch state's lock from
  reading the state to saving it, so two runs at once cannot both send the same digest: the
  second waits, then finds it already sent;
- a recipient who already received this digest is not sent it again unless ``resend``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import digest as digests
from . import mail, render
from aidenum.catalogue.files import atomic_write

from .state import StateError, WatchState, locked_state

# Dates a digest or a calendar can be asked for. Outside, date arithmetic overflows (year 1 minus
# 7 days) and the answer would mean nothing for a catalogue of current schemes.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)


class WatchError(ValueError):
    """The digest cannot be produced or delivered; ``str()`` is French."""


def check_day(value: dt.date, option: str) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise WatchError(f"{option} : date hors limites « {value.isoformat()} » (attendu entre le "
                         f"{FIRST_DAY:%d/%m/%Y} et le {LAST_DAY:%d/%m/%Y})")
    return value


@dataclass
class DigestJob:
    plan: object                          # aidenum.matcher.plan.Plan
    today: dt.date
    since: dt.date | None = None
    last_run: bool = False                # the delivered digest becomes the next one's start
    fmt: str = "terminal"
    output: Path | None = None
    recipients: list[str] = field(default_factory=list)   # empty: not sent
    resend: bool = False
    smtp: mail.SmtpSettings | None = None
    top: int = digests.DEFAULT_TOP

    @property
    def records_state(self) -> bool:
        return self.last_run or bool(self.recipients)


def open_catalogue():
    from aidenum.catalogue.store import Catalogue

    catalogue = Catalogue()
    if not catalogue.runs() or catalogue.count() == 0:
        catalogue.close()
        raise WatchError("le catalogue est vide : aucune collecte ni aucun import n'a encore eu lieu "
                         "(lancez « aidenum crawl » ou « aidenum catalogue import FICHIER »)")
    return catalogue


def deliver(job: DigestJob, make_matcher: Callable, say: Callable[[str], None], show: Callable[[str], None],
            progress=None, state_path: Path | None = None) -> None:
    """Produce and deliver the digest of ``job``. ``say`` gets French notes (stderr), ``show`` the
    digest text when it is printed; ``progress`` wraps the loop over the actions."""
    if job.since:
        check_day(job.since, "--since")
    check_day(job.today, "--date")
    if not job.records_state:
        _deliver(job, _load_state(state_path), make_matcher, say, show, progress)
        return
    with locked_state(state_path, on_wait=say) as path:
        _deliver(job, _load_state(path), make_matcher, say, show, progress)


def _load_state(path: Path | None) -> WatchState:
    try:
        return WatchState(path)
    except StateError as error:
        raise WatchError(str(error)) from None


def _deliver(job: DigestJob, state: WatchState, make_matcher, say, show, progress) -> None:
    key = digests.plan_key(job.plan)
    previous = state.last_digest(key)
    catalogue = open_catalogue()
    try:
        if job.since:
            period = digests.period_since(catalogue, job.since)
        else:
            period = digests.period_last_run(catalogue, previous, job.today)
        if period.note:
            say(period.note)
        from aidenum.catalogue import territory
        referential = territory.load()
        result = digests.build_digest(job.plan, catalogue, make_matcher(), period, job.today, top=job.top,
                                      perimeter_label=referential.label, progress=progress,
                                      previous=None if job.since else previous, referential=referential)
        runs = catalogue.runs()
        updated = runs[-1]["finished_at"] or runs[-1]["started_at"]
    finally:
        catalogue.close()

    delivered = False
    if job.output:
        text = render.render(result, job.fmt, catalogue_updated=updated)
        atomic_write(Path(job.output), text.encode("utf-8"))
        say(f"Résumé écrit dans {job.output} ({result.summary_fr()}).")
        delivered = True
    elif not job.recipients:
        show(render.render(result, job.fmt, catalogue_updated=updated))
        delivered = True

    failure = ""
    if job.recipients:
        sent, failure = _send(job, state, result, updated, say)
        delivered = delivered or sent

    if delivered and job.last_run:
        state.record_digest(key, result.record())
        state.save()
    if failure:
        raise WatchError(failure)


def _send(job: DigestJob, state: WatchState, result, updated: str, say) -> tuple[bool, str]:
    """(delivered, failure): e-mail the digest to whoever has not received it yet."""
    already = state.sent(result.id)
    targets = [r for r in job.recipients if job.resend or r.lower() not in already]
    for address in job.recipients:
        if address not in targets:
            when = already[address.lower()][:16].replace("T", " à ")
            say(f"Résumé déjà envoyé à {address} le {when} : pas de nouvel envoi "
                "(utilisez --renvoyer pour l'envoyer à nouveau).")
    if not targets:
        return True, ""
    message = mail.build_message(
        job.smtp.sender, targets, render.subject(result),
        render.render(result, "terminal", catalogue_updated=updated),
        render.render(result, "html", catalogue_updated=updated), result.id)
    try:
        refused = mail.send(message, job.smtp)
    except mail.MailError as error:
        raise WatchError(f"{error}. Le résumé n'est pas marqué comme envoyé.") from None
    received = [r for r in targets if r not in refused]
    if received:
        # recorded before anything else may fail: the message left, it must never leave twice
        state.record_sent(result.id, received, dt.datetime.now().replace(microsecond=0).isoformat())
        state.save()
        say(f"Résumé envoyé à {', '.join(received)} ({result.summary_fr()}).")
    failure = ""
    if refused:
        failure = ("destinataire(s) refusé(s) par le serveur SMTP : "
                   + " ; ".join(f"{a} ({reply})" for a, reply in refused.items()))
    return bool(received), failure
