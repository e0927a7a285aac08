"""aidenum — financer le plan numérique d'une collectivité.

Thin entry point: the click group and its commands, assembled from ``commands/``.
``aidenum …`` (installed script) and ``python cli.py …`` are the same program.
"""
from __future__ import annotations

import click

from aidenum.commands import catalogue as catalogue_commands
from aidenum.commands import crawl as crawl_commands
from aidenum.commands import draft as draft_commands
from aidenum.commands import eval as eval_commands
from aidenum.commands import laureats as laureats_commands
from aidenum.commands import plan as plan_commands
from aidenum.commands import match as match_commands
from aidenum.commands import watch as watch_commands

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="aidenum", message="aidenum %(version)s")
def cli():
    """aidenum : trouver et demander les aides qui financent votre plan numérique.

    \b
    Étapes habituelles :
      aidenum catalogue import FICHIER   charger des dispositifs (JSONL, API ou CSV Aides-territoires)
      aidenum crawl                      collecter les dispositifs sur les sites sources
      aidenum match PLAN.yaml            dispositifs accessibles pour chaque action du plan
      aidenum laureats search TEXTE      projets financés comparables (DETR, DSIL…) près de chez vous
      aidenum draft PLAN.yaml --action A1 --scheme ID   rédiger le dossier de demande
      aidenum digest PLAN.yaml           ce qui a changé pour votre plan depuis la dernière veille

    Le catalogue et l'index sont dans le dossier AIDENUM_HOME (par défaut : data/ du projet).
    """


cli.add_command(catalogue_commands.catalogue)
cli.add_command(crawl_commands.crawl)
cli.add_command(draft_commands.draft)
cli.add_command(eval_commands.eval_command)
cli.add_command(plan_commands.plan)
cli.add_command(laureats_commands.laureats)
for _command in match_commands.COMMANDS: cli.add_command(_command)  # noqa: E701 match, search, index
cli.add_command(watch_commands.digest)
cli.add_command(watch_commands.calendar)


def main() -> None:
    cli(prog_name="aidenum")


if __name__ == "__main__":
    main()
