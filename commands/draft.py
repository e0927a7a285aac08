"""`aidenum draft`: write the Word application file of an action for one or several schemes."""
from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, progress, user_errors
from .options import top_option

DEROGATIONS = ("renovation-urbaine", "patrimoine", "calamite", "renovation-energetique-ecoles")


@click.command("draft")
@click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--action", "-a", "action_id", metavar="ID", help="Action du plan à financer (par ex. A1).")
@click.option("--scheme", "-s", "scheme_ids", metavar="ID", multiple=True,
              help="Dispositif sollicité (identifiant du catalogue, par ex. dsil:…). Répétable : le "
                   "premier choisit le modèle de dossier, les suivants sont les cofinanceurs du plan "
                   "de financement.")
@click.option("--all", "all_actions", is_flag=True,
              help="Un dossier pour chaque action et chacun de ses meilleurs dispositifs (voir --top).")
@top_option(1, 20, help="Avec --all : nombre de dispositifs retenus par action.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Fichier .docx à écrire (ou dossier, avec --all : « dossiers » par défaut).")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Dossier de modèles personnalisés (mêmes noms de fichiers que templates/ : "
                   "dsil-detr.docx, feder.docx, bdt.docx, generique.docx, blocks/*.j2).")
@click.option("--chef-de-file", is_flag=True,
              help="La collectivité est chef de file : aides publiques plafonnées à 70 % au lieu de 80 %.")
@click.option("--derogation", type=click.Choice(DEROGATIONS),
              help="Exception documentée au plafond des aides (CGCT L1111-10) ; la dérogation "
                   "préfectorale s'ajoute aux pièces à fournir.")
@click.option("--taux", "rates", metavar="FINANCEUR=TAUX", multiple=True,
              help="Taux demandé à un financeur, en % du coût HT (par ex. --taux DETR=35). Répétable ; "
                   "l'emporte sur le plan (financement) et sur le taux maximal publié.")
@click.option("--montant", "amounts", metavar="FINANCEUR=MONTANT", multiple=True,
              help="Montant demandé à un financeur, en euros (par ex. --montant Région=36000). Répétable.")
@click.option("--forcer", is_flag=True,
              help="Rédiger même pour un dispositif auquel la collectivité n'a pas accès (territoire, "
                   "bénéficiaires, clôture) : le document porte alors un avertissement en tête.")
@click.option("--format", "output_format", type=click.Choice(["docx", "ds"]), default="docx", show_default=True,
              help="docx : le dossier Word ; ds : les réponses au formulaire national DETR/DSIL "
                   "(Démarches simplifiées), en JSON et en CSV, dans l'ordre du formulaire.")
@click.option("--ecraser", is_flag=True, help="Remplacer un dossier déjà présent (sinon : refus).")
@click.help_option("-h", "--help", help="Afficher cette aide et quitter.")
@user_errors
def draft(plan, action_id, scheme_ids, all_actions, top, output, templates_dir, chef_de_file,
          derogation, rates, amounts, forcer, output_format, ecraser):
    """Rédiger le dossier de demande d'aide (Word) d'une action du plan.

    \b
    Exemples :
      aidenum draft plan.yaml --action A1                (le meilleur dispositif accessible)
      aidenum draft plan.yaml --action A1 --scheme detr:22 --taux DETR=35
      aidenum draft plan.yaml -a A1 -s feder:53 -s detr:22 -o dossier.docx
      aidenum draft plan.yaml -a A1 -s detr:22 --format ds -o formulaire.json
      aidenum draft plan.yaml --all --top 2 -o dossiers/

    Le modèle dépend du dispositif : DSIL/DETR, FEDER, Banque des Territoires ou générique.
    Un dispositif auquel la collectivité n'a pas accès (territoire, bénéficiaires, clôture,
    aide réservée aux entreprises) est refusé, sauf avec --forcer. Les taux et montants
    indiqués (plan ou --taux/--montant) l'emportent ; sinon le taux maximal publié, ou un taux
    observé sur des projets comparables, présenté comme une proposition.
    Le plan de financement respecte le plafond légal des aides publiques (80 %, 70 % pour un
    chef de file, article L1111-10 du CGCT) ; un prêt compte dans l'autofinancement. Rien
    n'est inventé : ce que seule la collectivité sait (signataire, dates du conseil, devis…)
    est surligné « à compléter » et listé à la fin du document.

    Code de sortie : 0 si tous les dossiers sont écrits, 1 sinon (message en français).
    """
    from aidenum.drafting.render import Templates

    if all_actions and (action_id or scheme_ids):
        raise UserError("--all rédige un dossier par action et dispositif : ne le combinez pas avec "
                        "--action ou --scheme")
    if not all_actions and not action_id:
        raise UserError("indiquez --action (et, si vous le souhaitez, un ou plusieurs --scheme), ou --all "
                        "pour tout le plan ; voir « aidenum draft --help »")
    if all_actions and (rates or amounts):
        raise UserError("--taux et --montant valent pour une action : utilisez « financement » dans le plan "
                        "avec --all")
    loaded = _load_plan(plan)
    templates = Templates(templates_dir)
    options = {"templates": templates, "chef_de_file": True if chef_de_file else None,
               "exception": derogation, "overwrite": ecraser, "referential": _referential(),
               "force": forcer, "proposals": _proposer()}
    if all_actions:
        _draft_all(loaded, top, output or Path("dossiers"), options, output_format)
    else:
        _draft_one(loaded, action_id, scheme_ids, output, options, output_format, rates, amounts)


def _load_plan(path):
    try:
        from aidenum.matcher.plans import load_plan
    except ImportError:  # the plans package lands with the input branch
        from aidenum.matcher.plan import load_plan
    return load_plan(path)


def _proposer():
    from aidenum.drafting.proposals import RateProposer
    return RateProposer.open()


def _referential():
    from aidenum.catalogue import territory
    return territory.load()


def _draft_one(plan, action_id, scheme_ids, output, options, output_format, rates, amounts) -> None:
    from aidenum.catalogue.store import Catalogue
    from aidenum.drafting.financing import stated_from
    from aidenum.drafting.render import safe_filename
    action = plan.action(action_id)
    stated = stated_from(action, rates, amounts)
    if scheme_ids:
        with Catalogue() as cat:
            schemes = [_scheme(cat, scheme_id) for scheme_id in scheme_ids]
    else:
        schemes = [_best_scheme(plan, action, options["referential"])]
        click.echo(f"Dispositif retenu pour {action.id} : {schemes[0].title} ({schemes[0].id}), le mieux classé "
                   f"des dispositifs accessibles")
    suffix = ".docx" if output_format == "docx" else ".json"
    name = safe_filename("dossier" if output_format == "docx" else "formulaire", action.id, schemes[0].id) + suffix
    if output is None:
        output = Path(name)
    elif output.is_dir() or str(output).endswith(("/", "\\")):
        output = output / name
    elif output.suffix.lower() != suffix:
        raise UserError(f"{output} : " + ("le dossier doit être un fichier .docx" if suffix == ".docx" else
                                          "avec --format ds, indiquez un fichier .json (le .csv est écrit à côté)"))
    if output_format == "ds":
        _write_form(plan, action, schemes, output, options, stated)
        return
    result = _render(plan, action, schemes, output, options, stated)
    _report(result, action.id, schemes[0].id)


def _render(plan, action, schemes, output, options, stated):
    from aidenum.drafting.render import render_draft
    proposals = _proposals(options, plan, action, schemes)
    settings = {k: v for k, v in options.items() if k != "proposals"}
    return render_draft(plan, action, schemes, output, stated=stated, proposals=proposals, **settings)


def _proposals(options, plan, action, schemes) -> dict:
    """Observed rates of comparable funded projects, when the laureates are imported."""
    if not options["proposals"]:
        return {}
    return options["proposals"].for_schemes(plan, action, schemes, chef_de_file=options["chef_de_file"])


def _write_form(plan, action, schemes, output, options, stated) -> None:
    from aidenum.drafting.ds_form import write_form
    from aidenum.drafting.family import family_of
    if family_of(schemes[0]) != "dsil-detr":
        raise UserError(f"--format ds remplit le formulaire national DETR/DSIL : « {schemes[0].title} » "
                        f"n'est pas une dotation DETR ou DSIL")
    proposals = _proposals(options, plan, action, schemes)
    settings = {k: options[k] for k in ("chef_de_file", "exception", "referential", "force", "overwrite")}
    written = write_form(plan, action, schemes, output, stated=stated, proposals=proposals, **settings)
    for path, count, missing in written:
        click.echo(f"Formulaire écrit : {path} ({count} champ(s), dont {missing} à compléter)")


def _best_scheme(plan, action, referential):
    from aidenum.matcher.engine import Matcher
    matcher = Matcher(referential=referential)
    matcher.ensure_index()
    matches = matcher.match_action(plan.collectivite, action, top=1)
    if not matches:
        raise UserError(f"{action.id} : aucun dispositif accessible à la collectivité ne correspond à cette "
                        f"action ; indiquez-en un avec --scheme")
    return matches[0].scheme


def _scheme(cat, scheme_id: str):
    scheme = cat.get(scheme_id)
    if scheme is not None:
        return scheme
    import difflib
    ids = [s.id for s in cat.all()]
    if not ids:
        raise UserError(f"dispositif « {scheme_id} » introuvable : le catalogue est vide "
                        f"(importez-le avec « aidenum catalogue import FICHIER »)")
    close = difflib.get_close_matches(scheme_id, ids, n=3, cutoff=0.5)
    hint = f" ; vouliez-vous dire : {', '.join(close)} ?" if close else ""
    raise UserError(f"dispositif « {scheme_id} » absent du catalogue{hint}")


def _draft_all(plan, top: int, directory: Path, options, output_format: str = "docx") -> None:
    from aidenum.drafting.family import family_of
    from aidenum.drafting.render import DraftError, safe_filename
    from aidenum.drafting.financing import FinancingError, stated_from
    from aidenum.matcher.engine import Matcher
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory} existe et n'est pas un dossier : --all écrit un fichier par "
                        f"action et dispositif dans un dossier")
    matcher = Matcher(referential=options["referential"])
    matcher.ensure_index()
    written, failures, empty, taken = 0, [], [], set()
    with progress(plan.actions, "Rédaction des dossiers") as actions:
        for action in actions:
            matches = matcher.match_action(plan.collectivite, action, top=top)
            if not matches:
                empty.append(action.id)
            for match in matches:
                if output_format == "ds" and family_of(match.scheme) != "dsil-detr":
                    continue
                name = safe_filename(action.id, match.scheme.id)
                if name in taken:  # two ids slugged alike: keep both files
                    name = safe_filename(action.id, match.scheme.id, "bis")
                taken.add(name)
                try:
                    stated = stated_from(action)
                    if output_format == "ds":
                        _write_form(plan, action, [match.scheme], directory / f"{name}.json", options, stated)
                    else:
                        result = _render(plan, action, [match.scheme], directory / f"{name}.docx", options, stated)
                        _report(result, action.id, match.scheme.id)
                except (DraftError, FinancingError) as error:
                    failures.append(f"{action.id} / {match.scheme.id} : {error}")
                    continue
                written += 1
    for action_id in empty:
        click.echo(f"{action_id} : aucun dispositif accessible à la collectivité ne correspond à cette action, "
                   f"pas de dossier", err=True)
    click.echo(f"{written} dossier(s) écrit(s) dans {directory}")
    if not written and not failures:
        raise UserError("aucun dossier écrit : aucune action du plan n'a de dispositif accessible à la "
                        "collectivité dans le catalogue")
    if failures:
        raise UserError(f"{len(failures)} dossier(s) non écrit(s) :\n  " + "\n  ".join(failures))


def _report(result, action_id: str, scheme_id: str) -> None:
    from aidenum.drafting.family import FAMILIES
    click.echo(f"Dossier écrit : {result.path} (modèle {FAMILIES[result.family]}, "
               f"{len(result.missing)} élément(s) à compléter)")
    for warning in result.warnings:
        click.echo(f"Attention ({action_id}, {scheme_id}) : {warning}", err=True)
