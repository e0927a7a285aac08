"""aidenum — financer le plan numérique d'une collectivité.

Thin entry point: the click group and its commands, assembled from ``commands/``.
``aidenum …`` (installed script) and ``python cli.py …`` are the same program.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if __name__ == "__main__" and importlib.util.find_spec("aidenum") is None:
    # `python cli.py` from a checkout that was never pip-installed: the folder holding this file is
    # the package `aidenum` (see pyproject.toml), so register it under that name.
    _root = Path(__file__).resolve().parent
    _spec = importlib.util.spec_from_file_location("aidenum", _root / "__init__.py",
                                                   submodule_search_locations=[str(_root)])
    sys.modules["aidenum"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["aidenum"])

import click  # noqa: E402

from aidenum.commands import catalogue as catalogue_commands  # noqa: E402
from aidenum.commands import crawl as crawl_commands  # noqa: E402
from aidenum.commands import draft as draft_commands  # noqa: E402
from aidenum.commands import eval as eval_commands  # noqa: E402
from aidenum.commands import common, french  # noqa: E402
from aidenum.commands import plan as plan_commands  # noqa: E402
from aidenum.commands import match as match_commands  # noqa: E402
from aidenum.commands import synthese as synthese_commands  # noqa: E402
from aidenum.commands import watch as watch_commands  # noqa: E402
from aidenum.commands import web as web_commands  # noqa: E402
from aidenum.commands import laureats as laureats_commands  # noqa: E402

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
      aidenum synthese PLAN.yaml -o synthese.xlsx      financement de tout le plan (Excel, Word, HTML)
      aidenum digest PLAN.yaml           ce qui a changé pour votre plan depuis la dernière veille
      aidenum web                        l'application dans le navigateur (http://127.0.0.1:8000)

    Le catalogue et l'index sont dans le dossier AIDENUM_HOME (par défaut : data/ du projet).
    """


cli.add_command(catalogue_commands.catalogue)
cli.add_command(crawl_commands.crawl)
cli.add_command(draft_commands.draft)
cli.add_command(synthese_commands.synthese)
cli.add_command(eval_commands.eval_command)
cli.add_command(plan_commands.plan)
cli.add_command(laureats_commands.laureats)
for _command in match_commands.COMMANDS: cli.add_command(_command)  # noqa: E701 match, search, index
cli.add_command(watch_commands.digest)
cli.add_command(watch_commands.calendar)
cli.add_command(web_commands.web)
french.localise(cli)  # French headings and type names in every --help


def main() -> None:
    common.degrade_unencodable_output()  # a Latin-1 terminal gets « EUR », not a codec error
    common.collect_cycles_less_often()
    cli(prog_name="aidenum")


if __name__ == "__main__":
    main()
