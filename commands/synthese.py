"""`aidenum synthese`: the funding synthesis of the whole plan, as Word, Excel or HTML."""
from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, os_error_fr, user_errors
from .draft import DEROGATIONS
from .options import date_option, reference_day, top_option

FORMATS = {".docx": "docx", ".xlsx": "xlsx", ".html": "html", ".htm": "html"}
FORMAT_NAMES = {"docx": "Word", "xlsx": "Excel", "html": "HTML"}
DEFAULT_NAME = "synthese"


@click.command("synthese")
@click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", "outputs", metavar="FICHIER", multiple=True, type=click.Path(path_type=Path),
              help="Fichier à écrire ; le format vient de l'extension (.docx, .xlsx, .html). Répétable : "
                   "-o synthese.xlsx -o synthese.docx. Par défaut : synthese.xlsx.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMAT_NAMES), case_sensitive=False),
              help="Format quand le fichier n'a pas d'extension (ou sans -o : synthese.FORMAT).")
@top_option(3, 5, help="Nombre de dispositifs accessibles présentés par action.")
@click.option("--taux", "rates", metavar="FINANCEUR=TAUX", multiple=True,
              help="Taux demandé à un financeur, en % du coût HT (par ex. --taux DETR=35), pour chaque action "
                   "où ce financeur figure parmi les dispositifs accessibles. Répétable ; l'emporte sur le plan "
                   "(financement) et sur les propositions.")
@click.option("--montant", "amounts", metavar="FINANCEUR=MONTANT", multiple=True,
              help="Montant demandé à un financeur, en euros, pour chaque action où il figure (par ex. "
                   "--montant Région=36000). Répétable.")
@click.option("--chef-de-file", is_flag=True,
              help="La collectivité est chef de file : aides publiques plafonnées à 70 % au lieu de 80 %.")
@click.option("--derogation", type=click.Choice(DEROGATIONS),
              help="Exception documentée au plafond des aides (CGCT L1111-10).")
@date_option(help="Date de référence des dates limites (par défaut : aujourd'hui).")
@click.option("--ecraser", is_flag=True, help="Remplacer un fichier déjà présent (sinon : refus).")
@click.help_option("-h", "--help", help="Afficher cette aide et quitter.")
@user_errors
def synthese(plan, outputs, fmt, top, rates, amounts, chef_de_file, derogation, date_, ecraser):
    """Synthèse du financement de tout le PLAN : une ligne par action, totaux par financeur.

    \b
    Exemples :
      aidenum synthese plan.yaml -o synthese.xlsx
      aidenum synthese plan.yaml -o synthese.docx -o synthese.html
      aidenum synthese plan.yaml --taux DETR=35 --format docx

    Pour chaque action : le budget HT, les meilleurs dispositifs auxquels la collectivité peut
    prétendre (mêmes filtres que « aidenum match » : territoire, bénéficiaires, clôture), avec
    leur taux, leur plafond, leur date limite et le taux observé sur des projets comparables ;
    les montants sollicités, l'autofinancement et le plafond légal des aides publiques (80 %,
    70 % pour un chef de file, article L1111-10 du CGCT). Les taux et montants indiqués (plan
    ou --taux/--montant) l'emportent ; sinon une proposition « à confirmer » fondée sur des
    projets financés comparables, ou le taux maximal publié ; sans taux connu : « à compléter ».

    Le classeur Excel garde ses formules : changez un taux (cellules jaunes), les montants, les
    totaux par financeur, l'autofinancement et le contrôle du plafond se recalculent.

    Code de sortie : 0 si tous les fichiers sont écrits, 1 sinon (message en français).
    """
    targets = _targets(outputs, fmt, ecraser)
    synthesis = _synthesis(plan, top, rates, amounts, chef_de_file, derogation, reference_day(date_))
    for warning in synthesis.warnings:
        click.echo(f"Attention : {warning}", err=True)
    for row in synthesis.rows:
        for warning in row.financing.warnings:
            click.echo(f"Attention ({row.action.id}) : {warning}", err=True)
    failures = []
    for path, kind in targets:
        try:
            _write(synthesis, path, kind)
        except OSError as error:
            failures.append(f"impossible d'écrire « {path} » : {os_error_fr(error, with_file=False)}")
            continue
        figures = sum(1 for r in synthesis.rows for g in r.financing.grants if g.amount is not None)
        click.echo(f"Synthèse écrite : {path} ({FORMAT_NAMES[kind]}, {len(synthesis.rows)} action(s), "
                   f"{figures} montant(s) chiffré(s), {synthesis.pending} à compléter)")
    if failures:
        raise UserError("\n  ".join(failures))


def _targets(outputs, fmt, overwrite: bool) -> list[tuple[Path, str]]:
    """(path, format) per output, checked before any work: known format, existing folder, no clobbering."""
    fmt = fmt.lower() if fmt else None
    if not outputs:
        outputs = (Path(f"{DEFAULT_NAME}.{fmt or 'xlsx'}"),)
    targets = []
    for path in outputs:
        if path.is_dir() or str(path).endswith(("/", "\\")):
            path = path / f"{DEFAULT_NAME}.{fmt or 'xlsx'}"
        kind = FORMATS.get(path.suffix.lower())
        if kind is None and path.suffix:
            raise UserError(f"{path} : extension « {path.suffix} » non prise en charge (attendu .docx, .xlsx "
                            f"ou .html)")
        if kind is None:
            if fmt is None:
                raise UserError(f"{path} : indiquez l'extension (.docx, .xlsx ou .html) ou --format")
            kind, path = fmt, path.with_name(f"{path.name}.{fmt}")
        elif fmt and kind != fmt:
            raise UserError(f"{path} : l'extension dit {FORMAT_NAMES[kind]}, --format dit {FORMAT_NAMES[fmt]} ; "
                            f"choisissez l'un ou l'autre")
        if not path.parent.is_dir():
            raise UserError(f"{path} : le dossier « {path.parent} » n'existe pas")
        if path.exists() and not overwrite:
            raise UserError(f"{path} existe déjà : choisissez un autre nom avec -o ou ajoutez --ecraser")
        if any(path == other for other, _ in targets):
            raise UserError(f"{path} : indiqué deux fois")
        targets.append((path, kind))
    return targets


def _synthesis(plan_path, top, rates, amounts, chef_de_file, derogation, today):
    from aidenum.catalogue import store
    from aidenum.catalogue.freshness import source_data_date
    from aidenum.drafting.proposals import RateProposer
    from aidenum.drafting.synthesis import add_credits, build_synthesis, match_depth
    from aidenum.matcher.plans import load_plan

    from .match import _matcher
    plan = load_plan(plan_path)
    matcher = _matcher()  # the index `aidenum match` uses, rebuilt the same way when the catalogue changed
    matches = {action.id: matcher.match_action(plan.collectivite, action, top=match_depth(top), today=today)
               for action in plan.actions}
    proposer = RateProposer.open(matcher.home)
    synthesis = build_synthesis(plan, matches, top=top, today=today, rates=rates, amounts=amounts,
                                chef_de_file=True if chef_de_file else None, exception=derogation,
                                proposer=proposer, similar=proposer.similar if proposer else None)
    shown = [m.scheme for found in matches.values() for m in found]
    with store.Catalogue(matcher.home / store.DB_NAME) as cat:
        add_credits(synthesis, source_data_date(shown, "at") or cat.last_seen("at"))
    return synthesis


def _write(synthesis, path: Path, kind: str) -> None:
    if kind == "xlsx":
        from aidenum.drafting.synthesis_xlsx import write_xlsx
        write_xlsx(synthesis, path)
    elif kind == "docx":
        from aidenum.drafting.synthesis_docx import write_docx
        write_docx(synthesis, path)
    else:
        from aidenum.drafting.synthesis_html import write_html
        write_html(synthesis, path)
