"""The Flask application: security hooks, French error pages, the pages and the JSON API.

``create_app(home, password_required)`` is what ``aidenum web`` serves with waitress and what
the tests drive with Flask's test client.
"""
from __future__ import annotations

from .errors import fail  # noqa: F401 (re-exported for the views)

import logging
import secrets
from pathlib import Path

from flask import Flask, abort, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from aidenum.catalogue.paths import shipped

from . import security
from .services import Services

LOG = logging.getLogger("aidenum.web")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024   # a plan of hundreds of actions is well under 1 MiB
MAX_FORM_FIELDS = 2000               # the biggest edit form (a plan of ~200 actions) stays below this
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
OPEN_ENDPOINTS = {"static", "pages.login", "pages.calendar_feed"}

ERROR_TEXTS = {
    400: ("Requête invalide", "La demande envoyée n'a pas pu être comprise."),
    401: ("Connexion nécessaire", "Identifiez-vous pour accéder à aidenum."),
    403: ("Accès refusé", "Cette action n'est pas autorisée."),
    404: ("Page introuvable", "Cette page n'existe pas (ou plus). Vérifiez l'adresse ou revenez à l'accueil."),
    405: ("Méthode non acceptée", "Cette adresse ne s'utilise pas ainsi."),
    413: ("Fichier trop volumineux", f"Le fichier envoyé dépasse la taille acceptée "
                                     f"({MAX_UPLOAD_BYTES // (1024 * 1024)} Mo). Un plan numérique tient en "
                                     "quelques dizaines de kilo-octets : vérifiez le fichier choisi."),
    415: ("Type de contenu non accepté", "Envoyez du JSON (Content-Type: application/json)."),
    422: ("Données refusées", "Les données envoyées ne sont pas valides."),
    500: ("Erreur interne", "Une erreur inattendue est survenue. Elle a été consignée dans le journal du "
                            "serveur ; réessayez ou signalez-la à votre administrateur."),
}


def create_app(home: str | Path | None = None, password_required: bool = False,
               secret_key: bytes | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(shipped("web", "templates")),
                static_folder=str(shipped("web", "static")))
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_bytes(32),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        MAX_FORM_PARTS=MAX_FORM_FIELDS,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="aidenum_session",
        JSON_SORT_KEYS=False,
        TRAP_HTTP_EXCEPTIONS=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    app.json.ensure_ascii = False
    app.extensions["aidenum"] = Services(home)
    app.config["PASSWORD_REQUIRED"] = password_required
    app.jinja_env.autoescape = True  # every template, whatever its extension: scheme texts come from the web
    from . import filters as template_filters
    template_filters.install(app)

    from .api import api
    from .views import pages
    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api")

    @app.before_request
    def _guard():
        g.services = app.extensions["aidenum"]
        if "csrf" not in session:
            session["csrf"] = security.new_token()
        if app.config["PASSWORD_REQUIRED"] and not session.get("auth") \
                and request.endpoint not in OPEN_ENDPOINTS:
            if request.blueprint == "api" and _basic_auth_ok():
                return None
            if request.blueprint == "api":
                abort(401)
            return redirect(url_for("pages.login", suite=request.full_path if request.method == "GET" else "/"))
        if request.method in SAFE_METHODS:
            return None
        if request.blueprint == "api":
            if request.method in ("POST", "PUT", "PATCH") and not request.is_json:
                abort(415)
            return None
        if not security.same_token(request.form.get("csrf"), session.get("csrf")):
            LOG.warning("POST refusé sans jeton CSRF valide : %s", request.path)
            return _error_page(400, "Formulaire expiré ou envoyé depuis un autre site",
                               "Ce formulaire n'a pas été reconnu (jeton de sécurité absent ou périmé). "
                               "Rechargez la page et recommencez.")
        return None

    @app.context_processor
    def _territory_label():
        return {"territory_label": lambda code: app.extensions["aidenum"].referential.label(code) if code else ""}

    @app.after_request
    def _headers(response):
        for name, value in security.HEADERS.items():
            response.headers.setdefault(name, value)
        if request.blueprint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = error.code or 500
        title, text = ERROR_TEXTS.get(code, (error.name, ""))
        description = getattr(error, "aidenum_message", None) or text
        if request.blueprint == "api":
            return {"erreur": title, "detail": description}, code
        return _error_page(code, title, description)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        LOG.exception("erreur interne sur %s %s", request.method, request.path)
        title, text = ERROR_TEXTS[500]
        if request.blueprint == "api":
            return {"erreur": title, "detail": text}, 500
        return _error_page(500, title, text)

    return app


def _basic_auth_ok() -> bool:
    auth = request.authorization
    stored = security.stored_password(g.services.home)
    return bool(auth and auth.password and stored and security.verify_password(auth.password, stored))


def _error_page(code: int, title: str, text: str):
    return render_template("erreur.html", code=code, titre=title, texte=text), code


