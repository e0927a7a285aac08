"""The JSON API: plans, an action's matches, schemes, similar funded projects, territories.

Same packages as the pages; documented by ``/api/openapi.json`` (OpenAPI 3.1) and the page
``/api``. Writes take ``application/json`` only (see ``security``). Errors are
``{"erreur": …, "detail": …}`` with the HTTP status.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, g, render_template, request, url_for

from aidenum.matcher.report import match_dict

from . import planio
from .errors import fail
from .services import MatchFilters

api = Blueprint("api", __name__)
MAX_TOP = 100


def _plan_json(stored) -> dict:
    return {"id": stored.id, "nom": stored.name, "source": stored.source, "cree_le": stored.created_at,
            "modifie_le": stored.updated_at, "plan": stored.document,
            "liens": {"page": url_for("pages.plan_page", plan_id=stored.id),
                      "yaml": url_for("pages.download_plan", plan_id=stored.id, fmt="yaml"),
                      "xlsx": url_for("pages.download_plan", plan_id=stored.id, fmt="xlsx")}}


def _stored(plan_id: int):
    stored = g.services.web.get(plan_id)
    if stored is None:
        fail(404, f"plan n° {plan_id} introuvable")
    return stored


def _document_from_request(source: str):
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # thousands of « [ » or « { »: the parser gives up, silent or not
        fail(400, "corps JSON imbriqué trop profondément pour être un plan")
    if body is None:
        fail(400, "corps JSON illisible")
    document = body.get("plan", body) if isinstance(body, dict) else body
    try:
        plan = planio.plan_of(document, source, g.services.referential)
    except ValueError as error:
        fail(422, str(error))
    return plan


@api.get("/plans")
def plans():
    return {"plans": [_plan_json(p) for p in g.services.web.plans()]}


@api.post("/plans")
def create_plan():
    plan = _document_from_request("plan envoyé")
    plan_id = g.services.web.add(plan.collectivite.nom, planio.document_of(plan), source="api")
    return _plan_json(g.services.web.get(plan_id)), 201


@api.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    return _plan_json(_stored(plan_id))


@api.put("/plans/<int:plan_id>")
def replace_plan(plan_id: int):
    _stored(plan_id)
    plan = _document_from_request(f"plan n° {plan_id}")
    g.services.web.update(plan_id, planio.document_of(plan), name=plan.collectivite.nom)
    return _plan_json(g.services.web.get(plan_id))


@api.delete("/plans/<int:plan_id>")
def delete_plan(plan_id: int):
    _stored(plan_id)
    g.services.web.delete(plan_id)
    return "", 204


def _plan_action(plan_id: int, action_id: str):
    stored = _stored(plan_id)
    plan = g.services.plan(stored)
    action = next((a for a in plan.actions if a.id == action_id), None)
    if action is None:
        fail(404, f"action « {action_id} » absente du plan n° {plan_id}")
    return plan, action


@api.get("/plans/<int:plan_id>/actions/<path:action_id>/correspondances")
def matches(plan_id: int, action_id: str):
    from .views import match_filters  # noqa: the views module registers pages at import
    plan, action = _plan_action(plan_id, action_id)
    today = dt.date.today()
    top = min(max(request.args.get("top", 15, type=int) or 15, 1), MAX_TOP)
    result = g.services.action_matches(plan, action, match_filters(), today,
                                       with_exclusions=request.args.get("exclusions") == "1", top=top)
    return {"action": {"id": action.id, "titre": action.titre}, "date": today.isoformat(), "total": result.total,
            "correspondances": [match_dict(m, today) for m in result.matches],
            "exclusions": [{"scheme_id": e.scheme.id, "title": e.scheme.title, "reason": e.reason}
                           for e in result.exclusions]}


@api.get("/plans/<int:plan_id>/actions/<path:action_id>/laureats")
def laureates(plan_id: int, action_id: str):
    plan, action = _plan_action(plan_id, action_id)
    found = g.services.similar(plan, action, top=min(request.args.get("top", 10, type=int) or 10, MAX_TOP))
    if found is None:
        return {"disponible": False, "projets": [], "indices": {},
                "detail": "aucun projet financé chargé (aidenum laureats import)"}
    projects, evidence = found
    return {"disponible": True, "projets": [p.as_dict() for p in projects],
            "indices": {k: v.as_dict() for k, v in evidence.items()}}


@api.get("/dispositifs")
def schemes():
    from aidenum.catalogue.importers import Filters, select
    today = dt.date.today()
    text = request.args.get("q", "").strip()[:300]
    wanted = Filters(source=request.args.get("source") or None, funder=request.args.get("financeur") or None,
                     beneficiary=request.args.get("beneficiaire") or None, aid_type=request.args.get("type") or None,
                     status=request.args.get("statut") or None, today=today)
    territory = request.args.get("territoire", "").strip()
    if territory:
        from aidenum.catalogue.territory import TerritoryError
        try:
            wanted.territory = g.services.referential.resolve(territory)
        except TerritoryError as error:
            fail(400, str(error))
    limit = min(max(request.args.get("limite", 50, type=int) or 50, 1), 500)
    if text:
        ranked = [m.scheme.id for m in g.services.search(text, top=200, include_closed=True, today=today)]
        with g.services.catalogue() as cat:
            full = cat.get_many(ranked)
        found = [full[i] for i in ranked if i in full and wanted.match(full[i], g.services.referential)]
    else:
        with g.services.catalogue() as cat:
            found = list(select(cat, wanted, g.services.referential, without=("raw",)))
    return {"total": len(found), "dispositifs": [_scheme_json(s, today) for s in found[:limit]]}


def _scheme_json(scheme, today) -> dict:
    item = scheme.to_dict(with_raw=False)
    status = scheme.status_detail(today)
    item["status"], item["status_reason"] = status.code, status.reason
    return item


@api.get("/dispositifs/<path:scheme_id>")
def scheme(scheme_id: str):
    with g.services.catalogue() as cat:
        found = cat.get(scheme_id)
        versions = cat.versions(scheme_id) if found else []
    if found is None:
        fail(404, f"dispositif inconnu « {scheme_id} »")
    item = _scheme_json(found, dt.date.today())
    item["versions"] = [{k: v for k, v in version.items() if k != "data"} for version in versions]
    return item


@api.get("/territoires")
def territories():
    text = request.args.get("q", "").strip()[:100]
    found = g.services.referential.search(text, limit=15) if text else []
    return {"territoires": [{"code": t.code, "nom": t.name, "libelle": t.label, "population": t.population}
                            for t in found]}


@api.get("/openapi.json")
def openapi():
    return OPENAPI


@api.get("")
def documentation():
    return render_template("api.html", spec=OPENAPI)


def _op(summary: str, parameters=(), body=False, responses=None) -> dict:
    operation = {"summary": summary, "parameters": [
        {"name": n, "in": where, "required": where == "path", "schema": {"type": t}, "description": d}
        for n, where, t, d in parameters],
        "responses": responses or {"200": {"description": "succès"}, "404": {"description": "introuvable"}}}
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Plan"}}}}
    return operation


_PLAN_ID = ("plan_id", "path", "integer", "numéro du plan")
_ACTION_ID = ("action_id", "path", "string", "identifiant de l'action (A1…)")
_MATCH_PARAMS = (_PLAN_ID, _ACTION_ID,
                 ("famille", "query", "string", "DETR, DSIL, FEDER… (programmes du dispositif)"),
                 ("type", "query", "string", "type d'aide : grant, loan, technical-engineering…"),
                 ("ouverts", "query", "string", "1 (défaut) : dispositifs ouverts seulement ; 0 : tous"),
                 ("avant", "query", "string", "date limite au plus tard le AAAA-MM-JJ"),
                 ("exclusions", "query", "string", "1 : lister aussi les dispositifs écartés et pourquoi"),
                 ("top", "query", "integer", "nombre de correspondances (1 à 100, défaut 15)"))
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "aidenum — API", "version": "1",
             "description": "Plans numériques, dispositifs auxquels chaque action peut prétendre, catalogue des "
                            "aides et projets comparables financés. Mêmes règles que la ligne de commande."},
    "paths": {
        "/api/plans": {"get": _op("Lister les plans enregistrés"),
                       "post": _op("Enregistrer un plan (document au format du plan YAML)", body=True,
                                   responses={"201": {"description": "plan créé"},
                                              "422": {"description": "plan invalide (message en français)"}})},
        "/api/plans/{plan_id}": {"get": _op("Un plan", (_PLAN_ID,)),
                                 "put": _op("Remplacer un plan", (_PLAN_ID,), body=True),
                                 "delete": _op("Supprimer un plan", (_PLAN_ID,),
                                               responses={"204": {"description": "supprimé"}})},
        "/api/plans/{plan_id}/actions/{action_id}/correspondances": {
            "get": _op("Dispositifs classés pour une action, avec leur explication", _MATCH_PARAMS)},
        "/api/plans/{plan_id}/actions/{action_id}/laureats": {
            "get": _op("Projets comparables financés près de la collectivité", (_PLAN_ID, _ACTION_ID))},
        "/api/dispositifs": {"get": _op("Chercher dans le catalogue", (
            ("q", "query", "string", "texte libre"), ("source", "query", "string", "at, dsil, feder…"),
            ("financeur", "query", "string", "nom du financeur (partie)"),
            ("beneficiaire", "query", "string", "commune, epci, department…"),
            ("territoire", "query", "string", "nom ou code d'un territoire"),
            ("type", "query", "string", "type d'aide"), ("statut", "query", "string", "open, closing-soon, stale, closed"),
            ("limite", "query", "integer", "nombre maximal de résultats (défaut 50)")))},
        "/api/dispositifs/{scheme_id}": {"get": _op("Fiche d'un dispositif et historique de ses versions", (
            ("scheme_id", "path", "string", "identifiant (at:123, dsil:…)"),))},
        "/api/territoires": {"get": _op("Chercher un territoire du référentiel",
                                        (("q", "query", "string", "début du nom ou du code"),))},
    },
    "components": {"schemas": {"Plan": {
        "type": "object", "required": ["collectivite", "actions"],
        "properties": {
            "collectivite": {"type": "object", "required": ["type"], "properties": {
                "nom": {"type": "string"}, "type": {"type": "string"}, "code": {"type": "string"},
                "departement": {"type": "string"}, "region": {"type": "string"}, "population": {"type": "integer"}}},
            "actions": {"type": "array", "items": {"type": "object", "required": ["titre"], "properties": {
                "id": {"type": "string"}, "axe": {"type": "string"}, "titre": {"type": "string"},
                "description": {"type": "string"}, "budget_ht": {"type": "number"},
                "calendrier": {"type": "object", "properties": {"debut": {"type": "string"},
                                                                "fin": {"type": "string"}}}}}}}}}},
}
