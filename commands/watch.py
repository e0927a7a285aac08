"""`aidenum digest` and `aidenum calendar`: the weekly watch of a plan."""
from __future__ import annotations

import datetime as dt

import click

from aidenum.catalogue.files import atomic_write

from .common import UserError, progress, user_errors
from .options import date_option, format_option, output_option, reference_day, top_option

FORMATS = ("texte", "markdown", "html")


def make_matcher():
    """The real matcher, its index rebuilt first if the catalogue changed since (a weekly crawl
    just did). Unit tests replace this function with a stand-in."""
    from aidenum.matcher.engine import Matcher
    matcher = Matcher()
    try:
        matcher.ensure_index()
    except RuntimeError as error:
        raise UserError(f"index des dispositifs indisponible : {error}") from None
    return matcher


def _open_catalogue():
    from aidenum.catalogue.store import Catalogue
    catalogue = Catalogue()
    if not catalogue.runs() or catalogue.count() == 0:
        catalogue.close()
        raise UserError("le catalogue est vide : aucune collecte ni aucun import n'a encore eu lieu "
                        "(lancez « aidenum crawl » ou « aidenum catalogue import FICHIER »)")
    return catalogue


def _load_plan(path: str):
    from aidenum.matcher.plan import load_plan
    return load_plan(path)


def _progress(label: str):
    return lambda iterable: progress(iterable, label)


@click.command()
@click.argument("plan", type=click.Path(dir_okay=False))
@date_option("since", help="Changements depuis cette date.", flag="--since")
@click.option("--last-run", "last_run", is_flag=True,
              help="Veille : changements depuis le précédent résumé --last-run de ce plan, et ce "
                   "résumé devient le point de départ du suivant.")
@format_option(*FORMATS)
@output_option(help="Écrire le résumé dans ce fichier.")
@click.option("--envoyer", is_flag=True, help="Envoyer le résumé par e-mail (texte + HTML) via SMTP.")
@click.option("--a", "--destinataire", "recipients", multiple=True, metavar="ADRESSE",
              help="Destinataire de l'e-mail (répétable).")
@click.option("--renvoyer", is_flag=True, help="Renvoyer un résumé déjà envoyé à ces destinataires.")
@date_option("date", help="Date du jour à utiliser (par défaut : aujourd'hui).")
@top_option(20, 500, help="Nombre de dispositifs retenus par action (les mieux classés).")
@user_errors
def digest(plan, since, last_run, fmt, output, envoyer, recipients, renvoyer, date, top):
    """Résumé de veille : ce qui a changé pour les actions du PLAN.

    Pour chaque action : dispositifs nouveaux, modifiés (avec ce qui a changé : date limite, taux,
    montant, bénéficiaires, territoire, texte), rouverts, qui ferment dans moins de 30 jours, ou
    clôturés depuis la veille précédente. Seuls les dispositifs accessibles à la collectivité et
    correspondant à l'action sont retenus.

    \b
    Période : --since AAAA-MM-JJ, ou --last-run = depuis le précédent résumé --last-run
    (c'est ce qu'utilise la veille hebdomadaire : ce résumé, une fois affiché, écrit ou
    envoyé, devient le point de départ du suivant). Sans l'une ni l'autre, même période que
    --last-run, pour consultation seulement (rien n'est enregistré). Sans résumé précédent,
    les 7 derniers jours sont couverts (et c'est indiqué).

    \b
    Envoi : --envoyer --a destinataire@exemple.fr ; serveur lu dans AIDENUM_SMTP_HOST,
    AIDENUM_SMTP_PORT, AIDENUM_SMTP_STARTTLS (oui/non), AIDENUM_SMTP_USER,
    AIDENUM_SMTP_PASSWORD, AIDENUM_SMTP_FROM. Un même résumé n'est jamais envoyé deux fois
    au même destinataire, sauf avec --renvoyer.
    """
    from aidenum.watch import digest as digests
    from aidenum.watch import mail, render
    from aidenum.watch.state import StateError, WatchState

    if since and last_run:
        raise click.UsageError("--since et --last-run s'excluent : choisissez l'un ou l'autre.")
    if recipients and not envoyer:
        raise click.UsageError("--a n'a de sens qu'avec --envoyer.")
    settings = None
    if envoyer:
        if not recipients:
            raise click.UsageError("--envoyer demande au moins un destinataire : --a adresse@exemple.fr")
        try:
            for address in recipients:
                mail.check_address(address, "--a")
            settings = mail.SmtpSettings.from_env()
        except mail.MailError as error:
            raise UserError(str(error)) from None
    today = reference_day(date)
    plan_obj = _load_plan(plan)
    try:
        state = WatchState()
    except StateError as error:
        raise UserError(str(error)) from None
    key = digests.plan_key(plan_obj)
    catalogue = _open_catalogue()
    try:
        if since:
            period = digests.period_since(catalogue, since)
        else:
            period = digests.period_last_run(catalogue, state.last_digest(key), today)
        if period.note:
            click.echo(period.note, err=True)
        from aidenum.catalogue import territory
        referential = territory.load()
        result = digests.build_digest(plan_obj, catalogue, make_matcher(), period, today, top=top,
                                      perimeter_label=referential.label,
                                      progress=_progress("Résumé des actions"))
        runs = catalogue.runs()
        updated = runs[-1]["finished_at"] or runs[-1]["started_at"]
    finally:
        catalogue.close()

    text = render.render(result, "terminal" if fmt == "texte" else fmt, catalogue_updated=updated)
    delivered = False
    if output:
        atomic_write(output, text.encode("utf-8"), make_parents=True)
        click.echo(f"Résumé écrit dans {output} ({result.summary_fr()}).", err=True)
        delivered = True
    elif not envoyer:
        click.echo(text, nl=False)
        delivered = True

    failure = None
    if envoyer:
        already = state.sent(result.id)
        targets = [r for r in recipients if renvoyer or r.lower() not in already]
        skipped = [r for r in recipients if r not in targets]
        for address in skipped:
            click.echo(f"Résumé déjà envoyé à {address} le {already[address.lower()][:16].replace('T', ' à ')} : "
                       "pas de nouvel envoi (utilisez --renvoyer pour l'envoyer à nouveau).", err=True)
        if targets:
            message = mail.build_message(
                settings.sender, targets, render.subject(result),
                render.render(result, "terminal", catalogue_updated=updated),
                render.render(result, "html", catalogue_updated=updated), result.id)
            try:
                refused = mail.send(message, settings)
            except mail.MailError as error:
                raise UserError(f"{error}. Le résumé n'est pas marqué comme envoyé.") from None
            received = [r for r in targets if r not in refused]
            if received:
                state.record_sent(result.id, received, dt.datetime.now().replace(microsecond=0).isoformat())
                click.echo(f"Résumé envoyé à {', '.join(received)} ({result.summary_fr()}).", err=True)
                delivered = True
            if refused:
                failure = ("destinataire(s) refusé(s) par le serveur SMTP : "
                           + " ; ".join(f"{a} ({reply})" for a, reply in refused.items()))
        else:
            delivered = True

    if delivered and last_run:
        state.record_digest(key, result.record())
    if delivered and (last_run or envoyer):
        state.save()
    if failure:
        raise UserError(failure)


@click.command()
@click.argument("plan", type=click.Path(dir_okay=False))
@output_option(help="Fichier iCalendar à écrire.", metavar="FICHIER.ics", required=True)
@click.option("--rappel-jours", "reminder_days", type=click.IntRange(0, 365), default=14, show_default=True,
              help="Rappel ce nombre de jours avant chaque date limite.")
@date_option("date", help="Date du jour à utiliser (par défaut : aujourd'hui).")
@top_option(20, 500, help="Nombre de dispositifs retenus par action.")
@user_errors
def calendar(plan, output, reminder_days, date, top):
    """Calendrier des dates limites des dispositifs retenus pour le PLAN (.ics).

    Un événement « journée entière » par dispositif à la date de clôture, avec les actions du
    plan concernées, l'adresse de la page et un rappel --rappel-jours avant. Le fichier
    s'importe dans Outlook, Thunderbird, Google Agenda… ; le réimporter met à jour les
    événements au lieu de les dupliquer.
    """
    from aidenum.watch import calendar as ics
    from aidenum.watch.digest import plan_key

    today = reference_day(date)
    plan_obj = _load_plan(plan)
    catalogue = _open_catalogue()
    try:
        deadlines, undated = ics.collect_deadlines(plan_obj, catalogue, make_matcher(), today, top=top)
    finally:
        catalogue.close()
    if not deadlines:
        extra = f" ({len(undated)} dispositif(s) permanent(s) ou sans date limite)" if undated else ""
        raise UserError(f"aucun dispositif retenu pour ce plan n'a de date limite à venir{extra} : "
                        "aucun fichier écrit")
    data = ics.build_calendar(deadlines, plan_key(plan_obj), plan_obj.collectivite.nom, reminder_days)
    atomic_write(output, data, make_parents=True)
    message = (f"{len(deadlines)} échéance(s) écrite(s) dans {output}, rappel {reminder_days} jour(s) avant.")
    if undated:
        message += f" {len(undated)} dispositif(s) permanent(s) ou sans date limite non inscrit(s)."
    click.echo(message, err=True)
