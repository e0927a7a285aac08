"""`aidenum catalogue …`: import, export, list and show funding schemes."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from aidenum.catalogue.files import atomic_write
from aidenum.catalogue.formatting import amount_fr, date_fr, percent_fr

from .common import UserError, echo_refusals, file_progress, user_errors
from .options import date_option, format_option, reference_day

french_help = click.help_option("-h", "--help", help="Afficher cette aide et quitter.")
LONG_FIELDS = ("description", "eligibility", "project_examples", "contact")


@click.group()
@french_help
def catalogue():
    """Gérer le catalogue des dispositifs d'aide (import, export, consultation).

    \b
    Exemples :
      aidenum catalogue import aides-territoires_periurbain.csv
      aidenum catalogue list --territoire "Drôme" --beneficiaire commune --ouverts
      aidenum catalogue show at:162
      aidenum catalogue export -o catalogue.jsonl
    """


# -- import ------------------------------------------------------------------------------------

@catalogue.command("import")
@french_help
@click.argument("fichiers", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--complete", is_flag=True,
              help="Le fichier contient TOUTE la source : les dispositifs de cette source absents du "
                   "fichier sont marqués clôturés (jamais supprimés).")
@click.option("--strict", is_flag=True,
              help="Au premier enregistrement refusé, ne rien écrire du tout (tous les fichiers sont "
                   "vérifiés avant l'import).")
@click.option("--forcer", is_flag=True,
              help="Avec --complete : clôturer même plus de la moitié des dispositifs ouverts de la source "
                   "(sinon refusé par prudence : un fichier tronqué ressemble à une fermeture en masse).")
@user_errors
def import_command(fichiers, complete, strict, forcer):
    """Importer des dispositifs depuis un ou plusieurs FICHIERS.

    Formats reconnus automatiquement : JSONL aidenum (une aide par ligne, produit par
    « catalogue export »), JSON de l'API Aides-territoires ({"count", "next", "results": […]}),
    CSV exporté d'Aides-territoires (colonnes Nom, Lien, Financeurs, Bénéficiaire…).
    Encodage UTF-8 (avec ou sans BOM) ou Windows-1252.

    Un enregistrement invalide est signalé (fichier, ligne, champ) et les autres sont importés ;
    le code de sortie vaut alors 1. Un fichier illisible est refusé en entier. Avec --complete,
    un fichier qui clôturerait plus de la moitié des dispositifs ouverts de sa source est importé
    sans aucune clôture (code de sortie 1), sauf avec --forcer. Chaque fichier
    est importé d'un bloc : une interruption (Ctrl-C) ne modifie rien. Réimporter le même
    fichier ne change rien et le dit.

    \b
    Exemples :
      aidenum catalogue import aides-territoires_periurbain.csv
      aidenum catalogue import departement_drome_data.json --complete
      aidenum catalogue import sauvegarde.jsonl --strict
    """
    from aidenum.catalogue.importers import import_file
    from aidenum.catalogue.store import Catalogue

    missing = [str(p) for p in fichiers if not p.exists()]
    if missing:
        raise UserError(f"fichier introuvable : {', '.join(missing)}")
    if strict:
        refused = [r for r in (import_file(p, None, strict=True, dry_run=True) for p in fichiers) if not r.ok]
        if refused:
            for report in refused:
                click.echo(report.summary_fr(), err=True)
            raise UserError("import strict : au moins un fichier contient une erreur ; rien n'a été écrit")
    failed = False
    with Catalogue() as store:
        for path in fichiers:
            report = _import_one(path, store, complete, strict, forcer, import_file)
            _print_report(report)
            failed = failed or not report.ok
        click.echo(f"Catalogue : {store.count()} dispositif(s) dans {store.path}")
    if failed:
        sys.exit(1)


def _import_one(path, store, complete, strict, force, import_file):
    size = max(path.stat().st_size, 1)
    with file_progress(f"Import de {path.name}") as advance:
        return import_file(path, store, complete=complete, strict=strict, force=force,
                           progress=lambda position: advance(position, size))


def _print_report(report) -> None:
    click.echo(report.summary_fr(), err=bool(report.error))
    if report.encoding == "cp1252" and not report.error:
        click.echo("  (fichier en Windows-1252, converti)")
    for note in report.notes:
        click.echo(f"  note : {note}")
    echo_refusals([f"rejeté : {report.path.name}, {rejection}" for rejection in report.rejected], "rejet(s)")


# -- export / list -----------------------------------------------------------------------------

def _filter_options(func):
    options = [
        click.option("--source", help="Seulement cette source, quel que soit le fichier d'où viennent ses "
                                      "fiches : at, dsil, feder, bdt, francenum, facts, ou un préfixe "
                                      "d'identifiant (detr, ademe…)."),
        click.option("--financeur", help="Financeur contenant ce texte (accents et casse ignorés), "
                                         "par ex. « Banque des Territoires »."),
        click.option("--beneficiaire", help="Ouverts à ce bénéficiaire : commune, epci, department, region, "
                                            "association… ou le libellé (« Communes »)."),
        click.option("--territoire", help="Ouverts à ce territoire (nom ou code) : « Drôme », « 26 », "
                                          "« DEP:26 », « Bretagne », une commune ou un EPCI."),
        click.option("--ouverts", is_flag=True, help="Seulement les dispositifs ouverts : date limite non "
                                                      "dépassée et aucune fin passée dans leur texte (les « date "
                                                      "dépassée — à vérifier » sont écartés)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filters(source, financeur, beneficiaire, territoire, ouverts):
    from aidenum.catalogue.importers import Filters, beneficiary_slug
    code = None
    if territoire:
        from aidenum.catalogue import territory
        code = territory.load().resolve(territoire)
    return Filters(source=source, funder=financeur,
                   beneficiary=beneficiary_slug(beneficiaire) if beneficiaire else None,
                   territory=code, open_only=ouverts)


@catalogue.command("export")
@french_help
@click.option("-o", "--output", "sortie", type=click.Path(dir_okay=False, path_type=Path),
              help="Fichier JSONL à écrire (par défaut : la sortie standard).")
@_filter_options
@user_errors
def export_command(sortie, **filters):
    """Exporter le catalogue en JSONL (un dispositif par ligne, réimportable).

    \b
    Exemples :
      aidenum catalogue export -o catalogue.jsonl
      aidenum catalogue export --source at --ouverts > aides-ouvertes.jsonl
    """
    from aidenum.catalogue.importers import export_jsonl
    from aidenum.catalogue.store import Catalogue

    selected = _filters(**filters)
    with Catalogue() as store:
        if sortie is None:
            count = export_jsonl(store, sys.stdout, selected)
        else:
            counted = []  # never a half-written export under the real name, nor a fragment beside it
            atomic_write(sortie, lambda out: counted.append(export_jsonl(store, out, selected)))
            count = counted[0]
    click.echo(f"{count} dispositif(s) exporté(s)" + (f" dans {sortie}" if sortie else ""), err=True)


@catalogue.command("list")
@french_help
@_filter_options
@format_option("texte", "json")
@click.option("--limite", type=click.IntRange(min=1), help="Afficher au plus N dispositifs.")
@user_errors
def list_command(fmt, limite, **filters):
    """Lister les dispositifs du catalogue, avec filtres.

    \b
    Exemples :
      aidenum catalogue list --ouverts
      aidenum catalogue list --territoire "Drôme" --beneficiaire commune
      aidenum catalogue list --financeur "Banque des Territoires" --format json
    """
    import datetime as dt

    from aidenum.catalogue.freshness import freshness_lines
    from aidenum.catalogue.importers import select
    from aidenum.catalogue.store import Catalogue

    selected = _filters(**filters)
    today = dt.date.today()
    with Catalogue() as store:
        schemes = []
        # a table needs no long text: not decoding them makes listing thousands of schemes fast
        without = ("raw",) if fmt == "json" else ("raw", *LONG_FIELDS)
        for scheme in select(store, selected, without=without):
            schemes.append(scheme)
            if limite and len(schemes) >= limite:
                break
    if fmt == "json":
        out = []
        for scheme in schemes:
            item = scheme.to_dict(with_raw=False)
            status = scheme.status_detail(today)
            item["status"], item["status_reason"] = status.code, status.reason
            out.append(item)
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    if not schemes:
        click.echo("Aucun dispositif ne correspond.")
        return
    click.echo(_table(schemes, today))
    click.echo(f"{len(schemes)} dispositif(s)")
    for line in freshness_lines(schemes, today):  # the date of each source's data, with its warning
        click.echo(line)


def _table(schemes, today) -> str:
    from aidenum.catalogue.vocabularies import STATUSES
    rows = [("IDENTIFIANT", "STATUT", "CLÔTURE", "PÉRIMÈTRE", "TITRE")]
    for s in schemes:
        rows.append((s.id, STATUSES[s.status(today)], date_fr(s.deadline, default="—"),
                     s.perimeter, _cut(s.title, 70)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row))
                     for row in rows)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


# -- coverage --------------------------------------------------------------------------------------

@catalogue.command("couverture")
@french_help
@click.option("--territoire", required=True,
              help="La collectivité : nom ou code d'une commune, d'un EPCI, d'un département ou d'une région "
                   "(« Mende », « 48095 », « 200069193 », « Lozère », « Occitanie »).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table pour lire, json pour un autre programme.")
@date_option()
@user_errors
def coverage_command(territoire, fmt, date_):
    """Dire quels grands dispositifs (DETR, DSIL, DSID, FEDER, FIPD…) le catalogue offre à une
    collectivité, lesquels sont clôturés et lesquels manquent pour son territoire.

    \b
    Exemples :
      aidenum catalogue couverture --territoire "Mende"
      aidenum catalogue couverture --territoire 200069193
      aidenum catalogue couverture --territoire "Ain" --format json
    """
    from aidenum.catalogue import coverage, territory
    from aidenum.catalogue.store import Catalogue

    today = reference_day(date_)
    referential = territory.load()
    try:
        applicant = coverage.applicant_for_territory(territoire, referential)
    except coverage.CoverageError as error:
        raise UserError(str(error)) from None
    with Catalogue() as store:
        if store.count() == 0:
            raise UserError(f"le catalogue de {store.path} est vide : importez d'abord des dispositifs "
                            "(aidenum catalogue import data/catalogue.jsonl)")
        result = coverage.of_applicant(coverage.schemes_of_families(store), applicant, referential, today)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return
    click.echo("\n".join(result.lines()))


# -- show / runs -------------------------------------------------------------------------------

@catalogue.command("show")
@french_help
@click.argument("identifiant")
@format_option("texte", "json")
@user_errors
def show_command(identifiant, fmt):
    """Afficher toute la fiche d'un dispositif : champs, statut et historique des versions.

    \b
    Exemple :
      aidenum catalogue show at:162
    """
    from aidenum.catalogue.store import Catalogue

    with Catalogue() as store:
        scheme = store.get(identifiant)
        if scheme is None:
            raise UserError(f"dispositif inconnu : « {identifiant} » (voir « aidenum catalogue list »)")
        versions = store.versions(identifiant)
    if fmt == "json":
        item = scheme.to_dict()
        status = scheme.status_detail()
        item["status"], item["status_reason"] = status.code, status.reason
        item["versions"] = [{k: v for k, v in version.items() if k != "data"} for version in versions]
        click.echo(json.dumps(item, ensure_ascii=False, indent=1))
        return
    click.echo(describe(scheme, versions))


FIELD_LABELS = {
    "id": "Identifiant", "source": "Source", "title": "Titre", "name_initial": "Nom d'origine",
    "url": "Page d'origine", "application_url": "Candidature", "funders": "Financeurs",
    "instructors": "Instructeurs", "programmes": "Programmes", "beneficiaries": "Bénéficiaires",
    "aid_types": "Types d'aide", "destinations": "Dépenses", "steps": "Étapes du projet", "themes": "Thèmes",
    "keywords": "Mots-clés", "perimeter": "Périmètre", "start_date": "Ouverture", "deadline": "Date limite",
    "recurrence": "Récurrence", "is_call_for_project": "Appel à projets", "rate_min": "Taux minimum",
    "rate_max": "Taux maximum", "amount_min": "Montant minimum", "amount_max": "Montant maximum",
    "rate_comment": "Précisions sur le taux", "description": "Description", "eligibility": "Éligibilité",
    "project_examples": "Exemples de projets", "contact": "Contact", "licence": "Licence / mention",
    "first_seen": "Vu la première fois", "last_seen": "Vu la dernière fois", "last_changed": "Modifié le",
    "closed_at": "Clôturé le", "sources": "Autres sources", "data_date": "Date des données",
}
_VOCAB_FIELDS = ("beneficiaries", "aid_types", "destinations", "steps")


def describe(scheme, versions) -> str:
    """The whole record in French, for a person."""
    from aidenum.catalogue.sources import label as source_label
    from aidenum.catalogue.vocabularies import STATUSES, slug_to_label
    lines = [scheme.title, "=" * min(len(scheme.title), 100)]
    status = scheme.status_detail()
    lines.append(f"Statut : {STATUSES[status.code]}" + (f" — {status.reason}" if status.reason else ""))

    def value_of(name):
        value = getattr(scheme, name)
        if name in _VOCAB_FIELDS:
            return ", ".join(slug_to_label(name, v) for v in value)
        if name == "recurrence":
            return slug_to_label("recurrence", value) if value else ""
        if name == "source":
            return f"{value} ({source_label(value)})"
        if name == "perimeter":
            return f"{value} — {scheme.perimeter_label}" if scheme.perimeter_label else value
        if name == "is_call_for_project":
            return "oui" if value else "non"
        if name in ("rate_min", "rate_max"):
            return percent_fr(value)
        if name in ("amount_min", "amount_max"):
            return amount_fr(value, 0)
        if name in ("start_date", "deadline"):
            return date_fr(value)
        if isinstance(value, list):
            return ", ".join(value)
        return value or ""

    long_fields = LONG_FIELDS
    for name, label in FIELD_LABELS.items():
        if name in ("title",) or name in long_fields:
            continue
        text = value_of(name)
        if text:
            lines.append(f"{label} : {text}")
    for name in long_fields:
        text = value_of(name)
        if text:
            lines += ["", f"{FIELD_LABELS[name]} :", text]
    lines += ["", f"Historique ({len(versions)} version(s)) :"]
    previous = None
    for version in versions:
        changed = _changed_fields(previous, version["data"]) if previous else []
        detail = f" — champs modifiés : {', '.join(changed)}" if changed else (" — première version"
                                                                               if previous is None else "")
        lines.append(f"  {version['seen_at'].replace('T', ' ')}  import n° {version['run_id']}  "
                     f"empreinte {version['content_hash'][:10]}{detail}")
        previous = version["data"]
    return "\n".join(lines)


def _changed_fields(old: dict, new: dict) -> list[str]:
    from aidenum.catalogue.model import CONTENT_FIELDS
    return [FIELD_LABELS.get(name, name) for name in CONTENT_FIELDS if old.get(name) != new.get(name)]


@catalogue.command("runs")
@french_help
@click.option("--source", help="Seulement les imports et collectes de cette source.")
@user_errors
def runs_command(source):
    """Lister les imports et collectes passés (date, source, bilan).

    \b
    Exemple :
      aidenum catalogue runs --source at
    """
    from aidenum.catalogue.store import Catalogue
    from aidenum.catalogue.sources import canonical
    with Catalogue() as store:
        runs = store.runs(canonical(source) if source else None)
    if not runs:
        click.echo("Aucun import ni collecte pour l'instant.")
        return
    kinds = {"import": "import", "crawl": "collecte"}
    for run in runs:
        c = run["counts"]
        click.echo(f"n° {run['id']}  {run['started_at'].replace('T', ' ')}  {kinds.get(run['kind'], run['kind'])}"
                   f"  {run['source']}  {run['label']}{'  (complet)' if run['complete'] else ''} : "
                   f"{c.get('new', 0)} nouveau(x), {c.get('changed', 0)} modifié(s), "
                   f"{c.get('unchanged', 0)} inchangé(s), {c.get('closed', 0)} clôturé(s)")
