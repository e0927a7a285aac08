"""The pages. Each view parses the request, calls the packages through ``Services`` and renders
a template; no matching, eligibility or drafting rule lives here."""
from __future__ import annotations

import datetime as dt
import logging
import re

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for

from aidenum.catalogue.vocabularies import AID_TYPES
from aidenum.drafting.render import safe_filename

from . import planio, security
from .errors import fail
from .services import FAMILY_LABELS, MatchFilters, has_module

LOG = logging.getLogger("aidenum.web")
pages = Blueprint("pages", __name__)

TERRITORY_TYPES = {"COM": "commune", "EPCI": "epci", "DEP": "departement", "REG": "region"}
PLAN_TYPES = [("commune", "Commune"), ("epci", "Intercommunalité (EPCI)"), ("departement", "Département"),
              ("region", "Région"), ("association", "Association"), ("etablissement public", "Établissement public"),
              ("sem", "SEM"), ("spl", "SPL")]
DEROGATIONS = {"renovation-urbaine": "Rénovation urbaine", "patrimoine": "Patrimoine protégé",
               "calamite": "Réparation après calamité", "renovation-energetique-ecoles": "Rénovation énergétique des écoles"}
ACTION_FORM_FIELDS = ("id", "axe", "titre", "description", "budget_ht", "debut", "fin")
FIRST_ACTION_ID = "A1"  # proposed for a new plan's first action, as in the example plan
COLLECTIVITE_FORM_FIELDS = ("nom", "type", "code", "departement", "region", "population")
DRAFT_FORMATS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "ds": "text/csv"}  # ds: the national DETR/DSIL form's answers
REMINDER_DAYS = 14
CATALOGUE_PAGE = 50
MAX_QUERY_CHARS = 300  # a search box, not a document


def display_name(filename: str) -> str:
    """The uploaded file's name as shown on the page: its last component, no control characters."""
    last = re.split(r"[\\/]", filename or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", last).strip()[:200]


def _today() -> dt.date:
    return dt.date.today()


def _services():
    return g.services


def _stored(plan_id: int):
    stored = _services().web.get(plan_id)
    if stored is None:
        fail(404, "Ce plan n'existe pas (ou a été supprimé). Retrouvez vos plans sur la page Plans.")
    return stored


def _plan_and_action(plan_id: int, action_id: str):
    stored = _stored(plan_id)
    plan = _services().plan(stored)
    action = next((a for a in plan.actions if a.id == action_id), None)
    if action is None:
        fail(404, f"L'action « {action_id} » n'existe pas dans ce plan.")
    return stored, plan, action


def _attachment(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _redirect_to(endpoint: str, **values):
    return redirect(url_for(endpoint, **values), code=303)


def _date_arg(name: str) -> dt.date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(400, f"Date invalide « {value} » : attendu AAAA-MM-JJ (par exemple 2027-03-31).")


# -- session -------------------------------------------------------------------------------------
def _local_path(target: str) -> str:
    """Where to go after signing in: a path of this site, else the home page. « //site » and
    « /\\site » are other sites to a browser (it reads a backslash as a slash)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target \
            or re.search(r"[\x00-\x1f\x7f]", target):
        return "/"
    return target


@pages.route("/connexion", methods=["GET", "POST"])
def login():
    error = ""
    target = _local_path(request.values.get("suite", "/"))
    if request.method == "POST":
        stored = security.stored_password(_services().home)
        if stored and security.verify_password(request.form.get("mot_de_passe", ""), stored):
            session.clear()
            session["auth"] = True
            session["csrf"] = security.new_token()
            return redirect(target, code=303)
        LOG.warning("échec de connexion depuis %s", request.remote_addr)
        error = "Mot de passe incorrect."
    return render_template("connexion.html", erreur=error, suite=target), (401 if error else 200)


@pages.route("/deconnexion", methods=["POST"])
def logout():
    session.clear()
    return _redirect_to("pages.login")


# -- home ----------------------------------------------------------------------------------------
@pages.route("/")
def home():
    services = _services()
    state = services.catalogue_state()
    plans = services.web.plans()
    coverage = None
    if plans:
        try:
            plan = services.plan(plans[0])
            coverage = {"plan": plans[0], "collectivite": plan.collectivite, "counts": services.coverage(plan, _today())}
        except ValueError as error:
            LOG.warning("plan %s illisible : %s", plans[0].id, error)
    return render_template("accueil.html", state=state, plans=plans, coverage=coverage)


# -- plans ---------------------------------------------------------------------------------------
@pages.route("/plans")
def plans():
    return render_template("plans.html", plans=_services().web.plans(), erreur="")


@pages.route("/plans/importer", methods=["POST"])
def upload_plan():
    upload = request.files.get("fichier")
    if upload is None or not upload.filename:
        return render_template("plans.html", plans=_services().web.plans(),
                               erreur="Choisissez un fichier de plan (YAML, CSV, XLSX ou DOCX)."), 400
    data = upload.read()
    try:
        plan = planio.read_upload(upload.filename, data)
    except planio.UploadError as error:
        return render_template("plans.html", plans=_services().web.plans(), erreur=f"Fichier refusé : {error}."), 415
    except ValueError as error:  # PlanError and the readers' own French messages
        return render_template("plans.html", plans=_services().web.plans(), erreur=f"Plan illisible : {error}"), 422
    document = planio.document_of(plan)
    plan_id = _services().web.add(plan.collectivite.nom, document, source=display_name(upload.filename))
    return _redirect_to("pages.plan_page", plan_id=plan_id)


def _collectivite_form() -> dict:
    data = {name: request.form.get(name, "").strip() for name in COLLECTIVITE_FORM_FIELDS}
    data["chef_de_file"] = request.form.get("chef_de_file") == "oui"
    return {k: v for k, v in data.items() if v not in ("", None, False)}


def _territory_choice(values: dict) -> tuple[dict, list]:
    """The territory look-up of the collectivité form: ?recherche=… lists, ?choix=CODE fills."""
    services = _services()
    found = []
    query = request.args.get("recherche", "").strip()[:MAX_QUERY_CHARS]
    if query:
        found = services.referential.search(query, limit=15)
    choice = request.args.get("choix", "").strip()
    if choice and choice in services.referential.territories and choice.split(":")[0] in TERRITORY_TYPES:
        place = services.referential.territories[choice]
        scale, code = choice.split(":", 1)
        values = dict(values, nom=values.get("nom") or place.name, type=TERRITORY_TYPES[scale], code=code)
    return values, found


@pages.route("/plans/nouveau", methods=["GET", "POST"])
def new_plan():
    values: dict = {}
    error = ""
    if request.method == "POST":
        values = _collectivite_form()
        action = {name: request.form.get(f"action_{name}", "").strip() for name in ACTION_FORM_FIELDS}
        document = {"collectivite": values, "actions": [_action_document(action)]}
        try:
            plan = planio.plan_of(document, "nouveau plan", _services().referential)
        except ValueError as error_:
            error = str(error_)
        else:
            plan_id = _services().web.add(plan.collectivite.nom, planio.document_of(plan), source="formulaire")
            return _redirect_to("pages.plan_page", plan_id=plan_id)
        action_values = action
    else:
        action_values = {"id": FIRST_ACTION_ID}
    values, found = _territory_choice(values)
    return render_template("plan_nouveau.html", values=values, action=action_values, found=found, erreur=error,
                           types=PLAN_TYPES, recherche=request.args.get("recherche", "")), (422 if error else 200)


@pages.route("/plans/<int:plan_id>")
def plan_page(plan_id: int):
    stored = _stored(plan_id)
    try:
        plan = _services().plan(stored)
    except ValueError as error:
        return render_template("plan.html", stored=stored, plan=None, erreur=str(error)), 200
    return render_template("plan.html", stored=stored, plan=plan, erreur="")


@pages.route("/plans/<int:plan_id>/collectivite", methods=["GET", "POST"])
def edit_collectivite(plan_id: int):
    stored = _stored(plan_id)
    values = dict(stored.document["collectivite"])
    error = ""
    if request.method == "POST":
        values = _collectivite_form()
        try:
            _change_plan(stored, lambda document: dict(document, collectivite=values))
        except ValueError as error_:
            error = str(error_)
        else:
            return _redirect_to("pages.plan_page", plan_id=plan_id)
    values, found = _territory_choice(values)
    return render_template("collectivite.html", stored=stored, values=values, found=found, erreur=error,
                           types=PLAN_TYPES, recherche=request.args.get("recherche", "")), (422 if error else 200)


def _action_document(form: dict) -> dict:
    action = {k: form.get(k, "") for k in ("id", "axe", "titre", "description", "budget_ht")}
    if form.get("debut") or form.get("fin"):
        action["calendrier"] = {k: form[k] for k in ("debut", "fin") if form.get(k)}
    return {k: v for k, v in action.items() if v not in ("", None)}


def _edited_action(current: dict, form: dict) -> dict:
    """``current`` (the stored action, keeping keys the form does not show) with the form's values."""
    edited = {**{k: v for k, v in current.items() if k not in ("calendrier", "debut", "fin")},
              **{k: "" for k in ("axe", "description", "budget_ht")}, **_action_document(form)}
    return {k: v for k, v in edited.items() if v not in ("", None)}


def _action_position(actions: list[dict], action_id: str | None) -> int | None:
    return next((i for i, a in enumerate(actions) if str(a.get("id")) == action_id), None)


def _change_plan(stored, transform) -> None:
    """Store ``transform(document)``, validated by the plan reader, applied to the plan as stored
    at the moment of writing (``WebStore.change``): a colleague's change made since this page was
    read is kept. A ValueError names what is invalid; a plan deleted meanwhile is a 404."""
    def edit(document: dict) -> tuple[dict, str]:
        plan = planio.plan_of(transform(document), stored.name, _services().referential)
        return planio.document_of(plan), plan.collectivite.nom
    if not _services().web.change(stored.id, edit):
        fail(404, "Ce plan n'existe plus (il a été supprimé entre-temps). Retrouvez vos plans sur la page Plans.")


def _missing_action(action_id: str):
    fail(404, f"L'action « {action_id} » n'existe pas dans ce plan.")


@pages.route("/plans/<int:plan_id>/actions/nouvelle", methods=["GET", "POST"])
@pages.route("/plans/<int:plan_id>/actions/<path:action_id>/modifier", methods=["GET", "POST"])
def edit_action(plan_id: int, action_id: str | None = None):
    stored = _stored(plan_id)
    actions = stored.document["actions"]
    position = _action_position(actions, action_id)
    if action_id is not None and position is None:
        _missing_action(action_id)
    current = actions[position] if position is not None else {"id": f"A{len(actions) + 1}"}
    values = {**{k: current.get(k, "") for k in ("id", "axe", "titre", "description", "budget_ht")},
              **(current.get("calendrier") or {})}
    error = ""
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in ACTION_FORM_FIELDS}
        saved: dict = {}

        def apply(document: dict) -> dict:
            fresh = list(document["actions"])
            at = _action_position(fresh, action_id)
            if action_id is None:
                fresh.append(saved.setdefault("action", _edited_action({}, values)))
            elif at is None:
                _missing_action(action_id)  # removed by a colleague meanwhile
            else:
                fresh[at] = saved.setdefault("action", _edited_action(fresh[at], values))
            return dict(document, actions=fresh)
        try:
            _change_plan(stored, apply)
        except ValueError as error_:
            error = str(error_)
        else:
            return _redirect_to("pages.matches", plan_id=plan_id, action_id=saved["action"].get("id") or values["id"])
    return render_template("action_form.html", stored=stored, values=values, action_id=action_id,
                           erreur=error), (422 if error else 200)


@pages.route("/plans/<int:plan_id>/actions/<path:action_id>/supprimer", methods=["POST"])
def delete_action(plan_id: int, action_id: str):
    stored = _stored(plan_id)

    def remove(document: dict) -> dict:
        kept = [a for a in document["actions"] if str(a.get("id")) != action_id]
        if len(kept) == len(document["actions"]):
            _missing_action(action_id)
        if not kept:
            fail(422, "Un plan garde au moins une action : supprimez plutôt le plan entier.")
        return dict(document, actions=kept)
    _change_plan(stored, remove)
    return _redirect_to("pages.plan_page", plan_id=plan_id)


@pages.route("/plans/<int:plan_id>/supprimer", methods=["POST"])
def delete_plan(plan_id: int):
    _stored(plan_id)
    _services().web.delete(plan_id)
    return _redirect_to("pages.plans")


@pages.route("/plans/<int:plan_id>/plan.<any(yaml, xlsx):fmt>")
def download_plan(plan_id: int, fmt: str):
    stored = _stored(plan_id)
    name = safe_filename("plan", stored.name)
    if fmt == "yaml":
        return _attachment(planio.to_yaml(stored.document).encode("utf-8"), f"{name}.yaml",
                           "application/yaml; charset=utf-8")
    return _attachment(planio.to_xlsx(stored.document), f"{name}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# -- matches -------------------------------------------------------------------------------------
def match_filters() -> MatchFilters:
    family = request.args.get("famille", "")
    aid_type = request.args.get("type", "")
    if family and family not in FAMILY_LABELS:
        fail(400, f"Famille de dispositifs inconnue « {family} ».")
    if aid_type and aid_type not in AID_TYPES:
        fail(400, f"Type d'aide inconnu « {aid_type} ».")
    open_only = request.args.get("ouverts", "1") != "0"
    return MatchFilters(family, aid_type, open_only, _date_arg("avant"))


@pages.route("/plans/<int:plan_id>/actions/<path:action_id>")
def matches(plan_id: int, action_id: str):
    stored, plan, action = _plan_and_action(plan_id, action_id)
    filters = match_filters()
    today = _today()
    with_exclusions = request.args.get("exclusions") == "1"
    result = _services().action_matches(plan, action, filters, today, with_exclusions)
    verdicts = {m.scheme.id: _services().verdict(plan, action, m.scheme, today) for m in result.matches}
    similar = _services().similar(plan, action)
    return render_template("correspondances.html", stored=stored, plan=plan, action=action, result=result,
                           filters=filters, verdicts=verdicts, similar=similar, today=today,
                           with_exclusions=with_exclusions, families=FAMILY_LABELS,
                           laureates_available=has_module("aidenum.matcher.similar"),
                           exclusions_url=url_for("pages.matches", plan_id=plan_id, action_id=action_id,
                                                  **{**request.args.to_dict(), "exclusions": "1"}) + "#ecartes")


# -- drafting ------------------------------------------------------------------------------------
@pages.route("/plans/<int:plan_id>/actions/<path:action_id>/dossier", methods=["GET", "POST"])
def draft(plan_id: int, action_id: str):
    stored, plan, action = _plan_and_action(plan_id, action_id)
    today = _today()
    result = _services().action_matches(plan, action, MatchFilters(), today, top=10)
    error = ""
    if request.method == "POST":
        from aidenum.drafting.financing import FinancingError
        from aidenum.drafting.render import DraftError
        applied = request.form.get("dispositif", "")
        cofunders = [s for s in request.form.getlist("cofinanceur") if s != applied]
        derogation = request.form.get("derogation") or None
        output = request.form.get("format", "docx")
        if derogation and derogation not in DEROGATIONS:
            fail(400, "Dérogation inconnue.")
        if output not in DRAFT_FORMATS:
            fail(400, "Format de dossier inconnu.")
        with _services().catalogue() as cat:
            schemes = [cat.get(scheme_id) for scheme_id in [applied, *cofunders]]
        if not applied or any(s is None for s in schemes):
            error = "Choisissez le dispositif sollicité parmi ceux proposés."
        else:
            try:
                data, name = _services().draft(plan, action, schemes, output, today,
                                               chef_de_file=request.form.get("chef_de_file") == "oui" or None,
                                               exception=derogation)
            except (DraftError, FinancingError) as error_:
                error = str(error_)
            else:
                return _attachment(data, name, DRAFT_FORMATS[output])
    return render_template("dossier.html", stored=stored, plan=plan, action=action, result=result,
                           derogations=DEROGATIONS, erreur=error), (422 if error else 200)


# -- synthesis -----------------------------------------------------------------------------------
@pages.route("/plans/<int:plan_id>/synthese")
def synthesis(plan_id: int):
    from aidenum.drafting.synthesis_html import render_fragment
    stored = _stored(plan_id)
    plan = _services().plan(stored)
    result = _synthesis_of(plan)
    return render_template("synthese.html", stored=stored, plan=plan, total=result.budget_total,
                           fragment=render_fragment(result))


@pages.route("/plans/<int:plan_id>/synthese.<any(xlsx, docx):fmt>")
def synthesis_download(plan_id: int, fmt: str):
    stored = _stored(plan_id)
    result = _synthesis_of(_services().plan(stored))
    name = safe_filename("synthese", stored.name) + f".{fmt}"
    kind = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
            else "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    return _attachment(_services().synthesis_file(result, fmt, name), name, kind)


def _synthesis_of(plan):
    from aidenum.drafting.financing import FinancingError
    try:
        return _services().synthesis(plan, _today())
    except FinancingError as error:  # a « financement » line of the plan the arithmetic refuses
        fail(422, str(error))


# -- deadlines -----------------------------------------------------------------------------------
@pages.route("/plans/<int:plan_id>/echeances")
def deadlines(plan_id: int):
    stored = _stored(plan_id)
    plan = _services().plan(stored)
    dated, undated = _services().deadlines(plan, _today())
    feed = url_for("pages.calendar_feed", token=stored.token, _external=True)
    return render_template("echeances.html", stored=stored, plan=plan, dated=dated, undated=undated, feed=feed,
                           today=_today())


@pages.route("/plans/<int:plan_id>/echeances.ics")
def calendar_download(plan_id: int):
    stored = _stored(plan_id)
    return _calendar_response(stored)


@pages.route("/calendrier/<token>.ics")
def calendar_feed(token: str):
    stored = next((p for p in _services().web.plans() if security.same_token(token, p.token)), None)
    if stored is None:
        fail(404, "Adresse d'abonnement inconnue : recopiez-la depuis la page Échéances du plan.")
    return _calendar_response(stored)


def _calendar_response(stored):
    plan = _services().plan(stored)
    data = _services().calendar_bytes(plan, _today(), REMINDER_DAYS)
    if data is None:
        fail(404, "Aucun dispositif retenu pour ce plan n'a de date limite à venir : pas de calendrier à produire.")
    return _attachment(data, safe_filename("echeances", stored.name) + ".ics", "text/calendar; charset=utf-8")


# -- weekly digest -------------------------------------------------------------------------------
@pages.route("/plans/<int:plan_id>/veille", methods=["GET", "POST"])
def digest(plan_id: int):
    from aidenum.watch import mail
    stored = _stored(plan_id)
    plan = _services().plan(stored)
    message, error = "", ""
    if request.method == "POST":
        address = request.form.get("adresse", "").strip()
        try:
            mail.check_address(address, "adresse")
        except mail.MailError as error_:
            error = str(error_)
        else:
            if request.form.get("desabonner") == "oui":
                _services().web.unsubscribe(plan_id, address)
                message = f"{address} ne recevra plus le résumé de ce plan."
            elif _services().web.subscribe(plan_id, address):
                message = f"{address} est abonné(e) au résumé hebdomadaire de ce plan."
            else:
                message = f"{address} était déjà abonné(e)."
    preview = _services().digest_preview(plan, _today())
    return render_template("veille.html", stored=stored, plan=plan, preview=preview, message=message, erreur=error,
                           subscribers=_services().web.subscribers(plan_id),
                           home=_services().home), (422 if error else 200)


# -- catalogue -----------------------------------------------------------------------------------
FACETS = {"source": "Source", "financeur": "Financeur", "beneficiaire": "Bénéficiaire", "type": "Type d'aide",
          "statut": "Statut"}


@pages.route("/dispositifs")
def catalogue():
    from aidenum.catalogue.importers import Filters, select
    services = _services()
    today = _today()
    args = {name: request.args.get(name, "").strip()[:MAX_QUERY_CHARS] for name in (*FACETS, "q", "territoire")}
    territory_code, territory_error = None, ""
    if args["territoire"]:
        from aidenum.catalogue.territory import TerritoryError
        try:
            territory_code = services.referential.resolve(args["territoire"])
        except TerritoryError as error:
            territory_error = str(error)
    wanted = Filters(source=args["source"] or None, funder=args["financeur"] or None,
                     beneficiary=args["beneficiaire"] or None, territory=territory_code, today=today,
                     aid_type=args["type"] or None, status=args["statut"] or None)
    if args["q"]:
        ranked = [m.scheme for m in services.search(args["q"], top=200, include_closed=True, today=today)]
        with services.catalogue() as cat:
            full = cat.get_many(s.id for s in ranked)
        schemes = [full[s.id] for s in ranked if s.id in full and wanted.match(full[s.id], services.referential)]
    else:
        with services.catalogue() as cat:
            schemes = list(select(cat, wanted, services.referential, without=("raw", "description", "eligibility",
                                                                               "project_examples", "contact")))
    facets = _facet_counts(schemes, today)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    shown = schemes[(page - 1) * CATALOGUE_PAGE: page * CATALOGUE_PAGE]
    return render_template("dispositifs.html", schemes=shown, total=len(schemes), facets=facets, args=args,
                           facet_labels=FACETS, territory_code=territory_code, territory_error=territory_error,
                           page=page, pages=(len(schemes) + CATALOGUE_PAGE - 1) // CATALOGUE_PAGE, today=today)


def _facet_counts(schemes, today) -> dict[str, list[tuple[str, int]]]:
    from collections import Counter
    counters = {name: Counter() for name in FACETS}
    for scheme in schemes:
        counters["source"][scheme.source] += 1
        counters["financeur"].update(set(scheme.funders))
        counters["beneficiaire"].update(set(scheme.beneficiaries))
        counters["type"].update(set(scheme.aid_types))
        counters["statut"][scheme.status(today)] += 1
    return {name: counter.most_common(30) for name, counter in counters.items()}


@pages.route("/dispositifs/<path:scheme_id>")
def scheme_page(scheme_id: str):
    from aidenum.commands.catalogue import FIELD_LABELS, _changed_fields
    with _services().catalogue() as cat:
        scheme = cat.get(scheme_id)
        versions = cat.versions(scheme_id) if scheme else []
    if scheme is None:
        fail(404, f"Dispositif inconnu : « {scheme_id} ».")
    history, previous = [], None
    for version in versions:
        history.append({"seen_at": version["seen_at"], "run_id": version["run_id"],
                        "hash": version["content_hash"][:10],
                        "changed": _changed_fields(previous, version["data"]) if previous else None})
        previous = version["data"]
    perimeter = _services().referential.label(scheme.perimeter) if scheme.perimeter else ""
    return render_template("dispositif.html", scheme=scheme, history=history, labels=FIELD_LABELS,
                           perimeter=perimeter, today=_today())


# -- crawl status --------------------------------------------------------------------------------
@pages.route("/collectes")
def crawls():
    return render_template("collectes.html", state=_services().catalogue_state())
