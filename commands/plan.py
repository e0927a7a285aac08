"""`aidenum plan check PLAN`: read a plan file and show what aidenum understood."""
from __future__ import annotations

import click

from aidenum.catalogue.formatting import amount_fr, number_fr

from .common import user_errors


@click.group()
def plan():
    """Vérifier un fichier de plan numérique (YAML, CSV, XLSX ou DOCX)."""


@plan.command("check")
@click.argument("fichier", type=click.Path(dir_okay=False))
@click.option("--type", "collectivite_type", help="Type de la collectivité (commune, epci, departement, region…) "
              "si le fichier ne le dit pas.")
@click.option("--code", "collectivite_code", help="Code INSEE ou SIREN de la collectivité.")
@click.option("--nom", "collectivite_nom", help="Nom de la collectivité.")
@user_errors
def check(fichier, collectivite_type, collectivite_code, collectivite_nom):
    """Lire le plan FICHIER et afficher la collectivité et les actions comprises.

    \b
    Pour un CSV, un classeur Excel ou un document Word, la collectivité peut venir du fichier
    (lignes « # Type : epci » en tête du CSV, feuille « Collectivité », paragraphes
    « Collectivité : … ») ou des options --type, --code et --nom.
    Exemple : aidenum plan check data/plans/plan-exemple.xlsx
    """
    from aidenum.catalogue import territory
    from aidenum.matcher.plans import load_plan

    loaded = load_plan(fichier, collectivite_type=collectivite_type, collectivite_code=collectivite_code,
                       collectivite_nom=collectivite_nom)
    c = loaded.collectivite
    referential = territory.load()
    population = f", {number_fr(c.population)} habitants" if c.population else ""
    where = (f"territoire {referential.label(c.territory)} [{c.territory}]" if c.territory
             else "territoire non situé")
    click.echo(f"Collectivité : {c.nom} ({c.type}) — {where}{population}")
    for warning in loaded.warnings:
        click.echo(f"Attention : {warning}", err=True)
    click.echo(f"Département {c.departement or '?'}, région {c.region or '?'}"
               + (" — chef de file" if c.chef_de_file else ""))
    total = sum(a.budget_ht or 0 for a in loaded.actions)
    click.echo(f"{len(loaded.actions)} action(s), budget total {_euros(total)} HT")
    for action in loaded.actions:
        period = f"{action.debut or '?'} → {action.fin or '?'}" if action.debut or action.fin else "sans calendrier"
        budget = _euros(action.budget_ht) if action.budget_ht is not None else "budget non indiqué"
        click.echo(f"  {action.id:6} {action.titre[:70]:70} {budget:>14}  {period}")


def _euros(value: float) -> str:
    return amount_fr(value, 0)
