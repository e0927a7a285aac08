"""`aidenum match`, `aidenum search`, `aidenum index`: find the schemes that fund each action.

Heavy machinery (Whoosh, the referential, the catalogue) is imported inside the functions so
that ``aidenum --help`` stays instant; nothing here imports Scrapy.
"""
from __future__ import annotations

import datetime as dt
import sys

import click

from aidenum.catalogue.files import atomic_write
from aidenum.catalogue.formatting import number_fr

from .common import UserError, is_terminal, os_error_fr, user_errors

FORMATS = ["table", "json", "csv", "html"]


def _today(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"date invalide « {value} » (attendu AAAA-MM-JJ, par ex. 2027-03-01)") from None


def _matcher():
    """A matcher whose index is up to date with the catalogue (rebuilt with a message if not)."""
    from aidenum.catalogue import store
    from aidenum.matcher.engine import Matcher
    home = store.home()
    with store.Catalogue(home / store.DB_NAME) as cat:
        if cat.count() == 0:
            raise UserError(f"le catalogue de {home} est vide : importez d'abord des dispositifs "
                            "(aidenum catalogue import FICHIER)")
    matcher = Matcher(home)
    result = _build(matcher, force=False)
    if result is not None:
        click.echo(f"Index mis à jour : {result.count} dispositifs indexés en {number_fr(result.seconds, 1, fixed=True)} s.",
                   err=True)
    return matcher


def _build(matcher, force: bool):
    if not is_terminal():
        return matcher.ensure_index(force=force)
    from aidenum.catalogue import store
    with store.Catalogue(matcher.home / store.DB_NAME) as cat:
        total = cat.count()
    with click.progressbar(length=total, label="Indexation du catalogue", file=sys.stderr, show_pos=True) as bar:
        return matcher.ensure_index(force=force, on_document=lambda: bar.update(1))


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            atomic_write(output, text, newline="")  # a full disk keeps the previous report whole
        except OSError as error:
            raise UserError(f"impossible d'écrire « {output} » : {os_error_fr(error, with_file=False)}") from None
        click.echo(f"Rapport écrit dans {output}", err=True)
    else:
        click.echo(text, nl=False)


def _render(sections, fmt: str, today: dt.date, title: str, subtitle: str = "") -> str:
    from aidenum.catalogue import store
    from aidenum.matcher import report
    if fmt == "json":
        return report.to_json(sections, today)
    if fmt == "csv":
        return report.to_csv(sections, today)
    with store.Catalogue() as cat:  # the Aides-territoires licence asks for the date of last update
        at_last_update = cat.last_seen("at")
    if fmt == "html":
        return report.to_html(sections, today, title, subtitle, at_last_update=at_last_update)
    return report.to_table(sections, today, credit=report.credit_line(at_last_update))


@click.command("match")
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 200),
              help="Nombre de dispositifs proposés par action.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table (terminal), json, csv ou html (rapport imprimable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Écrire le résultat dans ce fichier.")
@click.option("--include-closed", is_flag=True, help="Montrer aussi les dispositifs clôturés.")
@click.option("--exclusions", "show_exclusions", is_flag=True,
              help="Lister aussi les dispositifs écartés par les filtres, avec la raison.")
@click.option("--date", "date_", metavar="AAAA-MM-JJ", help="Date de référence (par défaut : aujourd'hui).")
@user_errors
def match(plan_path, top, fmt, output, include_closed, show_exclusions, date_):
    """Trouver, pour chaque action du PLAN, les dispositifs auxquels la collectivité peut prétendre.

    Le PLAN est un fichier YAML, CSV, XLSX ou DOCX. Seuls les dispositifs ouverts à la
    collectivité (type de bénéficiaire, territoire, date limite) sont proposés, classés du
    plus pertinent au moins pertinent, avec la raison de chaque proposition.

    \b
    Exemples :
      aidenum match data/plans/plan-exemple.yaml
      aidenum match plan.xlsx --top 5 --format html -o rapport.html
      aidenum match plan.yaml --format json --date 2027-01-15
      aidenum match plan.yaml --exclusions
    """
    from aidenum.matcher.plans import load_plan
    from aidenum.matcher.report import ActionResult
    today = _today(date_)
    plan = load_plan(plan_path)
    for warning in plan.warnings:
        click.echo(f"Attention : {warning}", err=True)
    matcher = _matcher()
    sections = []
    for action in plan.actions:
        matches = matcher.match_action(plan.collectivite, action, top=top, include_closed=include_closed,
                                       today=today)
        excluded = matcher.exclusions(plan.collectivite, action, today=today) if show_exclusions else []
        sections.append(ActionResult(action.id, action.titre, matches, action.axe, action.description,
                                     action.budget_ht, excluded))
    title = f"Financements du plan numérique — {plan.collectivite.nom}"
    _write(_render(sections, fmt, today, title, f"{len(plan.actions)} actions"), output)


def _collectivite_for(value: str):
    """``--pour TYPE:CODE`` (commune:35238, epci:200069193, departement:35, region:53)."""
    from aidenum.catalogue import territory
    from aidenum.matcher.plans import Collectivite, PlanError, collectivite_type
    kind, sep, code = value.partition(":")
    if not sep or not code.strip():
        raise UserError(f"--pour « {value} » : attendu TYPE:CODE, par ex. commune:35238 ou epci:200069193")
    try:
        slug = collectivite_type(kind, "--pour")
    except PlanError as error:
        raise UserError(str(error)) from None
    referential = territory.load()
    code_ = territory.code_for_collectivite(slug, code)
    place = referential.get(code_)
    return Collectivite(nom=place.name, type=slug, code=code.strip(), territory=place.code)


@click.command("search")
@click.argument("text", metavar="TEXTE")
@click.option("--pour", "pour", metavar="TYPE:CODE",
              help="Ne garder que les dispositifs ouverts à cette collectivité (commune:35238, epci:200069193, "
                   "departement:35, region:53).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 200), help="Nombre de résultats.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table (terminal), json, csv ou html (rapport imprimable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Écrire le résultat dans ce fichier.")
@click.option("--include-closed", is_flag=True, help="Montrer aussi les dispositifs clôturés.")
@click.option("--date", "date_", metavar="AAAA-MM-JJ", help="Date de référence (par défaut : aujourd'hui).")
@user_errors
def search(text, pour, top, fmt, output, include_closed, date_):
    """Chercher des dispositifs par un texte libre.

    \b
    Exemples :
      aidenum search "vidéoprotection des bâtiments communaux"
      aidenum search "tiers-lieu numérique" --pour epci:200067460
      aidenum search "fibre très haut débit" --pour commune:22093 --format json
    """
    from aidenum.matcher.report import ActionResult
    if not text.strip():
        raise UserError("texte de recherche vide")
    today = _today(date_)
    collectivite = _collectivite_for(pour) if pour else None
    matcher = _matcher()
    matches = matcher.search(text, collectivite, top=top, include_closed=include_closed, today=today)
    heading = f"Recherche « {text} »" + (f" pour {collectivite.nom}" if collectivite else "")
    _write(_render([ActionResult("", heading, matches)], fmt, today, heading), output)


@click.command("index")
@user_errors
def index():
    """(Re)construire l'index de recherche à partir du catalogue.

    L'index est reconstruit automatiquement par « aidenum match » quand le catalogue a changé ;
    cette commande le force et affiche le débit.

    \b
    Exemple :
      aidenum index
    """
    from aidenum.catalogue import store
    from aidenum.matcher.engine import Matcher
    matcher = Matcher(store.home())
    result = _build(matcher, force=True)
    click.echo(f"Index construit : {result.count} dispositifs en {number_fr(result.seconds, 2, fixed=True)} s "
               f"({number_fr(result.rate)} dispositifs/s).")


COMMANDS = (match, search, index)
