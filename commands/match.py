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
from .options import date_option, format_option, include_closed_option, output_option, reference_day, top_option

FORMATS = ("texte", "json", "csv", "html")


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
    try:
        result = _build(matcher, force=False)
    except OSError:
        if store.is_writable(matcher.index.root / "x"):
            raise
        raise UserError(f"l'index de recherche de {home} est absent ou plus ancien que le catalogue, et ce "
                        "dossier est en lecture seule : lancez « aidenum index » avec un compte qui peut y "
                        "écrire") from None
    if result is not None:
        click.echo(f"Index mis à jour : {result.count} dispositifs indexés en {number_fr(result.seconds, 1, fixed=True)} s.",
                   err=True)
    matcher.ensure_laureates(notify=lambda message: click.echo(message, err=True))
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


def _render(sections, fmt: str, today: dt.date, title: str, subtitle: str = "", coverage=None) -> str:
    from aidenum.catalogue import store
    from aidenum.catalogue.freshness import freshness_lines, source_data_date
    from aidenum.matcher import report
    if fmt == "json":  # the JSON contract is {"actions": …} only; coverage: `catalogue couverture --format json`
        return report.to_json(sections, today)
    if fmt == "csv":
        return report.to_csv(sections, today)
    shown = [m.scheme for section in sections for m in section.matches]
    freshness = freshness_lines(shown, today)
    with store.Catalogue() as cat:  # the Aides-territoires licence asks for the date of last update
        at_last_update = source_data_date(shown, "at") or cat.last_seen("at")
    block = coverage.lines() if coverage is not None else []
    if fmt == "html":
        return report.to_html(sections, today, title, subtitle, at_last_update=at_last_update,
                              coverage=block, freshness=freshness)
    return report.to_table(sections, today, credit=report.credit_line(at_last_update), coverage=block,
                           freshness=freshness)


def _coverage(collectivite, today: dt.date, facts=None):
    """The families block above the results (None when the plan gives no territory); ``facts``:
    the up-to-date index's, whose programmes name the records to read."""
    from aidenum.catalogue import coverage, store, territory
    from aidenum.matcher.filters import Applicant
    applicant = Applicant.from_collectivite(collectivite)
    if not applicant.territory:
        return None
    candidates = None
    if facts is not None:
        candidates = [sid for sid, labels in zip(facts.ids, facts.programmes)
                      if any(family in labels for family in coverage.FAMILIES)]
    with store.Catalogue() as cat:
        return coverage.of_applicant(coverage.schemes_of_families(cat, candidates), applicant, territory.load(),
                                     today)


@click.command("match")
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False))
@top_option(10, 200)
@format_option(*FORMATS)
@output_option()
@include_closed_option
@click.option("--exclusions", "show_exclusions", is_flag=True,
              help="Lister aussi les dispositifs écartés par les filtres, avec la raison.")
@date_option()
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
    today = reference_day(date_)
    plan = load_plan(plan_path)
    for warning in plan.warnings:
        click.echo(f"Attention : {warning}", err=True)
    matcher = _matcher()
    similar = matcher.similar  # the matcher's own look-up: one connection, one vocabulary read
    sections = []
    for action in plan.actions:
        matches = matcher.match_action(plan.collectivite, action, top=top, include_closed=include_closed,
                                       today=today)
        excluded = matcher.exclusions(plan.collectivite, action, today=today) if show_exclusions else []
        sections.append(ActionResult(action.id, action.titre, matches, action.axe, action.description,
                                     action.budget_ht, excluded))
        _add_similar(sections[-1], similar, plan.collectivite, action)
    title = f"Financements du plan numérique — {plan.collectivite.nom}"
    # the coverage block is shown by the table and HTML formats only
    coverage = _coverage(plan.collectivite, today, matcher.index.facts) if fmt in ("texte", "html") else None
    _write(_render(sections, fmt, today, title, f"{len(plan.actions)} actions", coverage=coverage), output)


def _add_similar(section, similar, collectivite, action, top: int = 5) -> None:
    if similar is None:
        return
    text = f"{action.titre} {action.description}"
    section.similar = similar.search(text, collectivite, top=top)
    section.evidence = similar.evidence(text, collectivite)


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
@top_option(10, 200, help="Nombre de résultats.")
@format_option(*FORMATS)
@output_option()
@include_closed_option
@date_option()
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
    today = reference_day(date_)
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
