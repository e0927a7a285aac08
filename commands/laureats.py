"""`aidenum laureats …`: import funded projects (DGCL, ANCT, Conseiller numérique, Kohesio) and
search them: « qui a été financé pour un projet comme le mien, près de chez moi, à quel taux ? »"""
from __future__ import annotations

import json
from pathlib import Path

import click

from aidenum.catalogue.formatting import number_fr

from .common import UserError, echo_refusals, file_progress, user_errors

french_help = click.help_option("-h", "--help", help="Afficher cette aide et quitter.")


@click.group("laureats")
@french_help
def laureats():
    """Projets financés (lauréats DETR, DSIL, DSID, DPV, FEDER, Conseiller numérique).

    \b
    Exemples :
      aidenum laureats import dgcl-liste-projets-dotations-investissement-local-2023.csv
      aidenum laureats search "vidéoprotection" --territoire Ain
      aidenum laureats search "tableau numérique interactif" --territoire commune:35238 --format json
    """


@laureats.command("import")
@french_help
@click.argument("fichiers", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True,
              help="Si une seule ligne est refusée, ne rien écrire du tout (tous les fichiers sont vérifiés "
                   "avant l'import).")
@user_errors
def import_command(fichiers, strict):
    """Importer des projets financés depuis un ou plusieurs FICHIERS.

    Formats reconnus : liste DGCL des dotations d'investissement (CSV « ; » tel que publié sur
    data.gouv.fr), versions ANCT (.ods 2018, .xlsx 2019), structures Conseiller numérique (JSON
    ANCT), opérations Kohesio (CSV), fichier compact fourni par aidenum (.jsonl.gz).

    Chaque fichier est importé d'un bloc ; le réimporter remplace ses lignes (jamais de doublon).
    Une ligne illisible est signalée (fichier, ligne, champ) et ignorée ; le code de sortie vaut
    alors 1.

    \b
    Exemples :
      aidenum laureats import dgcl-liste-projets-dotations-investissement-local-2019.csv
      aidenum laureats import data/laureates-dgcl.jsonl.gz
      aidenum laureats import anct_Projets_DI_2018.ods --strict
    """
    from aidenum.catalogue import laureates
    from aidenum.matcher.similar import SimilarProjects

    missing = [str(p) for p in fichiers if not p.is_file()]
    if missing:
        raise UserError(f"fichier introuvable : {', '.join(missing)}")
    resolver = laureates.Resolver()
    if strict:
        errors = [e for path in fichiers for e in _check(path, resolver)]
        if errors:
            _print_errors(errors)
            raise UserError(f"import strict : {len(errors)} ligne(s) refusée(s) ; rien n'a été écrit")
    failed = False
    with laureates.LaureateStore() as store:
        for path in fichiers:
            result = _import_one(store, path, resolver, strict)
            failed = failed or bool(result.errors)
        total, location = store.count(), store.path
    similar = SimilarProjects.open(location.parent)
    if similar is not None:
        rebuilt = similar.ensure_index()
        similar.close()
        if rebuilt is not None:
            click.echo(f"Index des projets similaires : {rebuilt} projets indexés.", err=True)
    click.echo(f"Lauréats : {number_fr(total)} projets financés dans {location}")
    if failed:
        raise UserError("des lignes ont été refusées (voir ci-dessus) ; les autres sont importées")


def _check(path: Path, resolver) -> list:
    from aidenum.catalogue import laureates
    return [row for row in laureates.reader_for(path, resolver) if isinstance(row, laureates.RowError)]


def _import_one(store, path: Path, resolver, strict: bool):
    with file_progress(f"Import de {path.name}") as advance:
        result = store.import_file(path, strict=strict, resolver=resolver, progress=advance)
    _print_errors(result.errors)
    replaced = f", {number_fr(result.replaced)} lignes précédentes remplacées" if result.replaced else ""
    refused = f", {number_fr(len(result.errors))} ligne(s) refusée(s)" if result.errors else ""
    speed = (f" en {number_fr(result.seconds, 1)} s ({number_fr(result.rate)} lignes/s)"
             if result.seconds else "")
    click.echo(f"{path.name} : {number_fr(result.imported)} projets importés{replaced}{refused}{speed}.")
    return result


def _print_errors(errors) -> None:
    echo_refusals([f"refusé : {error}" for error in errors], "ligne(s) refusée(s)")


@laureats.command("search")
@french_help
@click.argument("texte")
@click.option("--territoire", metavar="TERRITOIRE",
              help="Territoire du porteur : nom (« Ain », « Rennes »), code (01, 35238, 200069193) ou "
                   "TYPE:CODE (commune:35238, epci:200069193, departement:01, region:84).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 100), help="Nombre de projets montrés.")
@click.option("--avant", "before_year", type=click.IntRange(1990, 2100), metavar="ANNÉE",
              help="Ne retenir que les projets financés avant cette année.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table (terminal) ou json.")
@user_errors
def search_command(texte, territoire, top, before_year, fmt):
    """Chercher des projets financés semblables à TEXTE, les plus proches d'abord.

    Les projets du même territoire, puis du même département et de la même région, et les plus
    récents, passent en premier. Pour chaque dispositif : nombre de projets comparables, taux et
    subventions médians (avec l'écart interquartile).

    \b
    Exemples :
      aidenum laureats search "vidéoprotection" --territoire Ain
      aidenum laureats search "école numérique" --territoire epci:200069193 --top 5
      aidenum laureats search "wifi public" --format json
    """
    from aidenum.matcher import report
    from aidenum.matcher.similar import SimilarProjects
    if not texte.strip():
        raise UserError("texte de recherche vide")
    place = _territory(territoire) if territoire else None
    similar = SimilarProjects.open()
    if similar is None:
        raise UserError("aucun projet financé n'est chargé : importez-en d'abord "
                        "(aidenum laureats import data/laureates-dgcl.jsonl.gz)")
    try:
        projects = similar.search(texte, place, top=top, before_year=before_year)
        evidence = similar.evidence(texte, place, before_year=before_year)
    finally:
        similar.close()
    if fmt == "json":
        click.echo(json.dumps({"query": texte, "territory": place,
                               "similar_projects": [p.as_dict() for p in projects],
                               "funding_evidence": {k: e.as_dict() for k, e in evidence.items()}},
                              ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(report.similar_lines(projects, evidence, indent="")) if projects
               else "Aucun projet financé comparable.")
    click.echo(f"\n{report.LAUREATES_CREDIT}")


def _territory(value: str) -> str:
    from aidenum.catalogue import territory
    referential = territory.load()
    kind, sep, code = value.partition(":")
    if sep and kind.lower() in ("commune", "epci", "departement", "département", "region", "région"):
        slug = {"departement": "department", "département": "department", "région": "region"}.get(kind.lower(),
                                                                                                  kind.lower())
        return referential.get(territory.code_for_collectivite(slug, code)).code
    return referential.resolve(value)


COMMANDS = (laureats,)
