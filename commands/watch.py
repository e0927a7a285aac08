"""`aidenum digest` and `aidenum calendar`: the weekly watch of a plan."""
from __future__ import annotations

from pathlib import Path

import click

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


def _load_plan(path: str):
    from aidenum.matcher.plan import load_plan
    return load_plan(path)


def _say(message: str) -> None:
    click.echo(message, err=True)


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
    from aidenum.watch import mail
    from aidenum.watch.delivery import DigestJob, deliver

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
    job = DigestJob(plan=_load_plan(plan), today=reference_day(date), since=since,
                    last_run=last_run, fmt="terminal" if fmt == "texte" else fmt, output=Path(output) if output else None,
                    recipients=list(recipients) if envoyer else [], resend=renvoyer, smtp=settings, top=top)
    deliver(job, make_matcher, say=_say, show=lambda text: click.echo(text, nl=False),
            progress=lambda iterable: progress(iterable, "Résumé des actions"))


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
    from aidenum.watch.calendar import write_plan_calendar

    _say(write_plan_calendar(_load_plan(plan), make_matcher, reference_day(date), Path(output), reminder_days, top))
