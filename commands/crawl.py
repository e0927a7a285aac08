"""`aidenum crawl [SOURCE…]`: run the spiders, land what they find in the catalogue, tell the truth.

Scrapy is imported inside the command only. All spiders run in ONE AsyncCrawlerProcess; the
Aides-territoires spider runs after the others so that its items can be merged into the
records the sources' own sites just gave (see ``spiders/pipelines.py``).
"""
from __future__ import annotations

import datetime as dt
import signal
import sys
from pathlib import Path

import click

from .common import UserError, user_errors

# Spiders of this source run last: the aggregator's items are merged into the sources' own records.
AGGREGATOR_SOURCE = "at"
# Settings a developer may change with --set; obeying robots.txt is not negotiable.
FORBIDDEN_OVERRIDES = {"ROBOTSTXT_OBEY", "ITEM_PIPELINES", "AIDENUM_HOME"}


def _parse_overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--set attend NOM=VALEUR, reçu « {pair} »")
        if name.strip() in FORBIDDEN_OVERRIDES:
            raise UserError(f"le réglage {name.strip()} ne peut pas être modifié par --set")
        overrides[name.strip()] = value
    return overrides


def build_settings(home: Path, cache: bool, overrides: dict[str, str]):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("aidenum.spiders.settings", priority="project")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (home / "logs").mkdir(parents=True, exist_ok=True)
    settings.set("AIDENUM_HOME", str(home), priority="cmdline")
    settings.set("LOG_FILE", str(home / "logs" / f"crawl-{stamp}.log"), priority="cmdline")
    settings.set("LOG_LEVEL", "INFO", priority="cmdline")
    if cache:
        settings.set("HTTPCACHE_ENABLED", True, priority="cmdline")
        settings.set("HTTPCACHE_DIR", str(home / "httpcache"), priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


# A crawl stopped by a signal exits 128 + its number, as shells report it: 130 after a Ctrl-C
# (SIGINT), 143 after SIGTERM (systemd stopping the weekly job).
SIGNAL_EXIT_BASE = 128
STOPPING_FR = ("Interruption demandée : arrêt après les pages en cours, qui seront enregistrées "
               "(Ctrl-C une seconde fois pour quitter sans enregistrer).")


def run_crawl(names: list[str], aggregators: set[str], settings, spider_args: dict) -> list[int]:
    """Run every spider in one process: the sources together, then the aggregators.

    Returns the signals received (Ctrl-C is SIGINT; SIGTERM too), in order. The first one
    stops every spider gracefully (each stores the pages it read as a partial run, the aggregators
    not yet started do not start); the second stops the reactor at once (a source not yet stored
    leaves its catalogue unchanged: a store is one transaction).
    """
    import asyncio

    from scrapy.crawler import AsyncCrawlerProcess
    from scrapy.utils.defer import deferred_from_coro

    process = AsyncCrawlerProcess(settings)
    from twisted.internet import reactor

    first = [n for n in names if n not in aggregators]
    last = [n for n in names if n in aggregators]
    interrupts: list[int] = []

    async def crawl_all():
        if first:
            await asyncio.gather(*(process.crawl(n, **spider_args) for n in first), return_exceptions=True)
        for name in last:
            if interrupts:
                break
            try:
                await process.crawl(name, **spider_args)
            except Exception:  # already logged by Scrapy; the missing status file tells the user
                pass

    def stop(_=None):
        from twisted.internet.error import ReactorNotRunning
        try:
            reactor.stop()
        except ReactorNotRunning:  # already stopping: a second stop is not an error
            pass

    def graceful_stop():
        click.echo(STOPPING_FR, err=True)
        deferred_from_coro(process.stop())

    def on_signal(signum, _frame):
        # no I/O here (the interrupted code may be writing to the same stream): the reactor does it
        interrupts.append(signum)
        reactor.callFromThread(graceful_stop if len(interrupts) == 1 else stop)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        reactor.callWhenRunning(lambda: deferred_from_coro(crawl_all()).addBoth(stop))
        # Scrapy's own handlers would stop the reactor behind our back; ours above do the same job
        process.start(stop_after_crawl=False, install_signal_handlers=False)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return interrupts


@click.command("crawl")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--start-url", metavar="URL",
              help="Adresse de départ (miroir, copie locale) ; une seule source à la fois.")
@click.option("--cache", is_flag=True,
              help="Cache HTTP de développement (dans AIDENUM_HOME/httpcache) : relancer sans re-télécharger.")
@click.option("--liste", "list_only", is_flag=True, help="Lister les sources disponibles et quitter.")
@click.option("--set", "overrides", multiple=True, hidden=True, metavar="NOM=VALEUR",
              help="Réglage Scrapy pour les développeurs (tests, mesures).")
@user_errors
def crawl(sources, start_url, cache, list_only, overrides):
    """Collecter les dispositifs sur les sites sources et mettre à jour le catalogue.

    \b
    Sans SOURCE, toutes les sources sont collectées (at, bdt, dsil, feder, francenum ; les
    noms longs comme aides_territoires ou banque_des_territoires sont acceptés). Pour chaque source, un compte rendu :
    fiches trouvées, nouvelles / modifiées / inchangées / clôturées, erreurs par champ et
    erreurs HTTP. Une source en échec ou partielle ne clôture aucune de ses fiches ; les
    autres sources sont enregistrées quand même. Code de sortie 1 si une source échoue.

    \b
    Chaque source a ses limites (pages, durée, profondeur) : une collecte arrêtée par
    l'une d'elles est partielle et le compte rendu nomme la limite. Un Ctrl-C arrête la
    collecte après les pages en cours, qui sont enregistrées comme collecte partielle
    (rien n'est clôturé) ; un second Ctrl-C quitte aussitôt sans enregistrer la source
    en cours. Code de sortie 130 après un Ctrl-C (143 après un arrêt par SIGTERM).

    \b
    Exemples :
      aidenum crawl
      aidenum crawl dsil feder
      aidenum crawl bdt --start-url http://127.0.0.1:8000/dispositifs-nationaux
    """
    from scrapy.spiderloader import get_spider_loader

    from aidenum.catalogue import store
    from aidenum.catalogue.sources import canonical, label
    from aidenum.spiders.report import CrawlReport, read_status, render_fr, status_dir

    home = store.home()
    settings = build_settings(home, cache, _parse_overrides(overrides))
    loader = get_spider_loader(settings)
    available = sorted(loader.list())
    if list_only:
        click.echo("Sources disponibles : " + ", ".join(f"{n} ({label(n)})" for n in available))
        return
    names = list(dict.fromkeys(canonical(s) for s in sources)) or available
    unknown = [n for n in names if n not in available]
    if unknown:
        raise UserError(f"source inconnue : {', '.join(unknown)} (sources disponibles : {', '.join(available)})")
    if start_url and len(names) != 1:
        raise UserError("--start-url s'utilise avec une seule source (par ex. "
                        "« aidenum crawl dsil --start-url URL »)")
    if start_url and not start_url.startswith(("http://", "https://", "file://")):
        raise UserError(f"--start-url : adresse web attendue, reçu « {start_url} »")
    for name in names:  # a crash must not leave last week's "ok" behind
        (status_dir(home) / f"{name}.json").unlink(missing_ok=True)

    click.echo(f"Collecte de {len(names)} source(s) : {', '.join(names)}…", err=True)
    aggregators = {n for n in names if getattr(loader.load(n), "source", "") == AGGREGATOR_SOURCE}
    interrupts = run_crawl(names, aggregators, settings, {"start_url": start_url} if start_url else {})
    stopped_by = "Ctrl-C" if interrupts[:1] == [signal.SIGINT] else "arrêt demandé par le système"

    failed, unrecorded = [], []
    for name in names:
        report = read_status(home, name)
        if report is None and interrupts:
            unrecorded.append(name)
            report = CrawlReport(spider=name, status="failed",
                                 message=f"non enregistrée : collecte interrompue ({stopped_by}) avant la fin "
                                         "de cette source ; le catalogue de cette source est inchangé.")
        elif report is None:
            report = CrawlReport(spider=name, status="failed",
                                 message="échec : la source n'a pas pu démarrer ou s'est arrêtée brutalement ; "
                                         "le catalogue de cette source est inchangé.")
        click.echo(render_fr(report))
        if not report.ok:
            failed.append(name)
    click.echo(f"Journal détaillé : {settings.get('LOG_FILE')}")
    sys.stdout.flush()
    if interrupts:
        if len(unrecorded) < len(names):
            click.echo(f"Collecte interrompue ({stopped_by}) : les pages déjà lues sont enregistrées comme "
                       "collecte partielle, aucune fiche n'a été clôturée.", err=True)
        if unrecorded:
            click.echo(f"Collecte arrêtée avant l'enregistrement de : {', '.join(unrecorded)} ; le catalogue "
                       "de ces sources est inchangé.", err=True)
        raise click.exceptions.Exit(SIGNAL_EXIT_BASE + interrupts[0])
    if failed:
        raise UserError(f"{len(failed)} source(s) en échec ou partielle(s) : {', '.join(failed)}")
