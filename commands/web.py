"""`aidenum web`: the local web application, served by waitress (a production WSGI server)."""
from __future__ import annotations

import ipaddress
import logging
import sys

import click

from .common import UserError, user_errors

LOOPBACK = "127.0.0.1"
THREADS = 8  # waitress worker threads: 20 concurrent users on 2 cores queue briefly, never fail


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("web")
@click.option("--host", default=LOOPBACK, show_default=True,
              help="Adresse d'écoute. Toute adresse autre que la boucle locale ouvre l'application au "
                   "réseau : un mot de passe est alors exigé.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port d'écoute.")
@click.option("--definir-mot-de-passe", "set_password", is_flag=True,
              help="Définir (ou changer) le mot de passe d'accès, puis quitter.")
@user_errors
def web(host, port, set_password):
    """Lancer l'application web d'aidenum (navigateur) sur http://127.0.0.1:8000.

    Mêmes catalogue, index et règles que la ligne de commande : plans, dispositifs de chaque
    action, dossiers, échéances, veille, catalogue et collectes, plus une API JSON (/api).

    \b
    Exemples :
      aidenum web                          puis ouvrir http://127.0.0.1:8000
      aidenum web --port 8080
      aidenum web --host 0.0.0.0           accessible depuis le réseau (mot de passe exigé)
      aidenum web --definir-mot-de-passe
    """
    from aidenum.catalogue import store
    from aidenum.web import security

    home = store.home()
    if set_password:
        _ask_password(home)
        return
    remote = not _is_loopback(host)
    if remote and security.stored_password(home) is None:
        if not sys.stdin.isatty():
            raise UserError("--host ouvre l'application au réseau : définissez d'abord un mot de passe avec "
                            "« aidenum web --definir-mot-de-passe »")
        click.echo("L'application sera accessible depuis le réseau : choisissez un mot de passe d'accès.", err=True)
        _ask_password(home)
    from waitress import create_server

    from aidenum.web.app import create_app
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s : %(message)s")
    app = create_app(home, password_required=remote)
    click.echo("Préparation de l'index et du référentiel…", err=True)
    app.extensions["aidenum"].warm()
    try:
        server = create_server(app, host=host, port=port, threads=THREADS, ident="aidenum")
    except OSError as error:
        raise UserError(f"impossible d'écouter sur {host}:{port} : {error.strerror or error} "
                        f"(port déjà utilisé ? essayez --port {port + 1})") from None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"aidenum web : ouvrez http://{shown}:{port} dans votre navigateur (Ctrl-C pour arrêter).", err=True)
    if remote:
        click.echo("Accès réseau : mot de passe exigé à la connexion.", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Application web arrêtée.", err=True)
    finally:
        server.close()


def _ask_password(home) -> None:
    from aidenum.web import security
    password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt="Confirmez le mot de passe",
                            err=True)
    try:
        path = security.set_password(home, password)
    except security.PasswordError as error:
        raise UserError(str(error)) from None
    click.echo(f"Mot de passe enregistré (empreinte scrypt dans {path}).", err=True)
