"""`aidenum eval GOLD`: measure the matcher on a gold set, against the naive baseline."""
from __future__ import annotations

import click

from .common import UserError, user_errors
from .options import format_option, top_option


@click.command("eval")
@click.argument("gold", type=click.Path(dir_okay=False))
@top_option(10, 100, help="Nombre de résultats évalués par action (le k de nDCG@k et rappel@k).")
@format_option("texte", "json")
@click.option("--catalogue", "catalogue_file", type=click.Path(dir_okay=False), default=None,
              help="Évaluer sur ce catalogue (JSONL aidenum, JSON ou CSV Aides-territoires, par ex. "
                   "data/catalogue.jsonl), chargé dans un dossier temporaire ; sans cette option, "
                   "le catalogue d'AIDENUM_HOME.")
@click.option("--reel", "real_file", type=click.Path(dir_okay=False), default=None,
              help="Évaluer aussi sur ce jeu de projets réellement financés (par ex. data/eval/reel.jsonl, "
                   "construit par « python -m aidenum.matcher.devset build ») : R@3, top-1 et nDCG@10 par "
                   "partie et par thème, à côté du jeu annoté.")
@user_errors
def eval_command(gold, top, fmt, catalogue_file, real_file):
    """Mesurer la qualité des correspondances sur un jeu d'évaluation annoté.

    \b
    Pour chaque action du jeu GOLD (par ex. data/eval/gold.yaml), compare les dispositifs
    proposés aux notes de pertinence écrites à la main (2 = finance directement l'action,
    1 = en partie, 0 = non pertinent ou non accessible) et affiche :
      nDCG@10, rappel@10, MRR, et les violations des filtres (dispositif proposé alors que
      la collectivité ne peut pas y prétendre : bénéficiaire, territoire, date limite),
    pour le moteur complet ET pour une référence naïve (sans racinisation, sans thésaurus,
    sans filtres), avec le gain du premier sur la seconde.

    Les échéances sont jugées à la date « today » du jeu, pour des chiffres reproductibles.

    Avec --reel : chaque projet financé du jeu réel (DGCL 2023, FEDER Kohesio, Conseiller
    numérique) est une requête (son intitulé, son vrai bénéficiaire) dont la réponse attendue
    est le dispositif qui l'a financé.
    """
    import tempfile
    from pathlib import Path

    from aidenum.catalogue import territory
    from aidenum.catalogue.importers import import_file
    from aidenum.catalogue.store import Catalogue
    from aidenum.matcher.evaluate import evaluate, load_gold, report_json, report_table, unknown_labels

    referential = territory.load()
    gold_set = load_gold(gold, referential=referential)
    with tempfile.TemporaryDirectory(prefix="aidenum-eval-") as temporary:
        home = None
        if catalogue_file:
            home = Path(temporary)
            with Catalogue(home / "catalogue.sqlite") as catalogue:
                loaded = import_file(catalogue_file, catalogue, strict=True, referential=referential)
            if loaded.error:
                raise UserError(loaded.summary_fr())
        with Catalogue(home / "catalogue.sqlite" if home else None) as catalogue:
            known = {scheme.id for scheme in catalogue.all()}
            if not known:
                raise UserError("catalogue vide : chargez d'abord les dispositifs "
                                "(aidenum catalogue import data/catalogue.jsonl) ou utilisez "
                                "--catalogue data/catalogue.jsonl")
            unknown = unknown_labels(gold_set, known)
            if unknown:
                raise UserError(f"{len(unknown)} dispositif(s) noté(s) dans {Path(gold).name} absent(s) du "
                                f"catalogue évalué : {', '.join(unknown[:8])}{' …' if len(unknown) > 8 else ''} ; "
                                "le jeu d'évaluation et le catalogue ne correspondent pas")
            from aidenum.matcher.engine import Matcher
            reports = []
            for mode in ("full", "naive"):
                matcher = Matcher(home=home, mode=mode)
                matcher.ensure_index()
                # the gold set measures the product as shipped: with the funded-projects evidence
                matcher.ensure_laureates(notify=lambda message: click.echo(message, err=True))
                reports.append(evaluate(gold_set, matcher, catalogue.get, referential, top=top, mode=mode))
            real_reports = None
            if real_file:
                from aidenum.matcher import devset
                real_set = devset.load(real_file)
                shipped_laureates = Path(real_file).with_name("laureates-dgcl.jsonl.gz")
                if not shipped_laureates.exists():
                    shipped_laureates = Path(real_file).parent.parent / "laureates-dgcl.jsonl.gz"
                real_reports = devset.run(real_set, catalogue.all(), referential, gold_set.today,
                                          laureates=shipped_laureates if shipped_laureates.exists() else None)
    if fmt == "json":
        text = report_json(gold_set, reports, top)
        if real_reports:
            import json
            payload = json.loads(text)
            payload["reel"] = devset.report_payload(real_reports)
            text = json.dumps(payload, ensure_ascii=False, indent=2)
        click.echo(text)
    else:
        click.echo(report_table(gold_set, reports, top))
        if real_reports:
            click.echo("")
            click.echo(devset.report_table(real_set, real_reports))
