"""The values a template may use, as plain French strings, with « à compléter » markers.

A marker is ``MARK_OPEN + text + MARK_SEP + label + MARK_CLOSE`` (private-use characters that
cannot come from user data: ``clean`` strips them). The renderer turns markers into
highlighted runs and lists their labels at the end of the document, for the variables the
template really uses. Nothing the user alone knows is ever filled in: signatory,
arrondissement, addresses, council dates, the need, the expected effects, indicators' targets…
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from aidenum.catalogue.formatting import long_date_fr
from aidenum.catalogue.vocabularies import fold

from .markers import (FORM_URL, MARK_CLOSE, MARK_OPEN, MARK_SEP, MARKER_RE, PARAGRAPH,  # noqa: F401
                      clean, marker)
from .grammar import name_of
from .financing import (ORIGINS, FinancingPlan, format_eur, format_pct, format_rate, month_label,
                        schedule)

COLLECTIVITE_KINDS = {
    "commune": "commune",
    "epci": "établissement public de coopération intercommunale (EPCI)",
    "department": "département",
    "region": "région",
    "association": "association",
    "public-org": "établissement public",
    "public-cies": "entreprise publique locale",
}
# The deliberative body and the executive who signs, by kind of applicant (« Le conseil municipal
# de… », « autorise le maire… »). Syndicats and PETR are typed « epci » in plans but deliberate in a
# comité syndical, métropoles in a conseil métropolitain: their name says which (council_of).
COUNCILS = {"commune": ("conseil municipal", "le maire"), "epci": ("conseil communautaire", "le président"),
            "department": ("conseil départemental", "le président du conseil départemental"),
            "region": ("conseil régional", "le président du conseil régional"),
            "association": ("conseil d'administration", "le président"),
            "public-org": ("conseil d'administration", "le président"),
            "public-cies": ("conseil d'administration", "le président-directeur général")}
_SYNDICATE_RE = re.compile(r"^(syndicat|sivom|sivu|sivos|petr|pole d'equilibre|pays)\b")
_METROPOLE_RE = re.compile(r"metropole")


def council_of(collectivite) -> tuple[str, str]:
    """(organe délibérant, exécutif): every body starts with a consonant (« Le comité syndical »)."""
    name = fold(collectivite.nom or "")
    if collectivite.type in ("epci", "public-org") and _SYNDICATE_RE.match(name):
        return "comité syndical", "le président"
    if collectivite.type == "epci" and _METROPOLE_RE.search(name):
        return "conseil métropolitain", "le président"
    return COUNCILS.get(collectivite.type, ("conseil d'administration", "son représentant légal"))


KIND_LABELS = {"grant": "Subvention", "loan": "Prêt"}
COST_LABEL = "coût total HT de l'opération (budget absent du plan)"


def labels_in(value) -> list[str]:
    """Marker labels inside a context value (strings, lists, dicts), in order."""
    if isinstance(value, str):
        return [m.group(2) for m in MARKER_RE.finditer(value)]
    if isinstance(value, dict):
        return [label for v in value.values() for label in labels_in(v)]
    if isinstance(value, (list, tuple)):
        return [label for v in value for label in labels_in(v)]
    return []


french_date = long_date_fr


def _department_code(collectivite, referential) -> str | None:
    code = collectivite.departement
    if not code and collectivite.territory and referential is not None:
        dep = referential.department_of(collectivite.territory)
        code = dep.split(":", 1)[1] if dep else None
    return code.upper() if code else None


def _name(referential, code: str) -> str:
    territory = referential.territories.get(code) if referential is not None else None
    return territory.name if territory else ""


def territory_facts(collectivite, referential) -> dict:
    """What the referential (Etalab découpage administratif) says about the collectivité."""
    from .ds_form import form
    code = _department_code(collectivite, referential)
    dep_name = _name(referential, f"DEP:{code}") if code else ""
    facts: dict = {"departement_code": code}
    if not code:
        facts["departement"] = marker("département")
    else:
        facts["departement"] = f"{dep_name} ({code})" if dep_name else clean(code)
        if dep_name:
            facts["departement_option"] = f"{code} - {dep_name}"
    region = collectivite.region
    if not region and collectivite.territory and referential is not None:
        found = referential.region_of(collectivite.territory)
        region = found.split(":", 1)[1] if found else None
    if not region and code and referential is not None:
        found = referential.region_of(f"DEP:{code}")
        region = found.split(":", 1)[1] if found else None
    facts["region"] = _name(referential, f"REG:{region}") if region else ""
    territory = collectivite.territory or ""
    kind = territory.split(":", 1)[0]
    identifier = territory.split(":", 1)[1] if ":" in territory else (collectivite.code or "")
    if kind == "COM":
        facts["identifiant"] = identifier
        facts["identifiant_texte"] = f"code INSEE {identifier}"
    elif kind == "EPCI" or (collectivite.code and re.fullmatch(r"\d{9}", collectivite.code)):
        facts["identifiant"] = identifier
        facts["identifiant_texte"] = f"SIREN {identifier}"
    else:
        facts["identifiant_texte"] = marker("numéro SIREN de la collectivité")
    facts["epci"] = ""
    if kind == "COM" and referential is not None:
        epci = next((p for p in referential.parents.get(territory, ()) if p.startswith("EPCI:")), None)
        if epci:
            facts["epci"] = f"{_name(referential, epci)} (SIREN {epci[5:]})"
            facts["epci_option"] = f"{epci[5:]} - {_name(referential, epci)}"
    population = collectivite.population
    found = referential.territories.get(territory) if referential is not None and territory else None
    if population is None and found is not None:
        population = found.population
    facts["population"] = (f"{population:,} habitants".replace(",", "\u00a0") if population
                           else marker("population (habitants)"))
    choices = [re.sub(r"^arrondissement de ", "", c) for c in form()["arrondissements"].get(code or "", [])]
    hint = f" (choix du formulaire : {', '.join(choices)})" if choices else ""
    facts["arrondissement"] = marker(f"arrondissement{hint}")
    return facts


def build_context(plan, action, schemes, financing: FinancingPlan, *, family: str,
                  today: dt.date, referential=None, warnings: list[str] | None = None) -> dict:
    """Every variable the shipped templates use; a user template may use any subset."""
    collectivite, main = plan.collectivite, schemes[0]
    facts = territory_facts(collectivite, referential)
    name = name_of(collectivite.nom, collectivite.type)
    budget_text = format_eur(financing.budget) if financing.budget is not None else marker(COST_LABEL)
    first_grant = next((line for line in financing.grants if line.scheme_id == main.id), None)
    ctx = {
        "collectivite": clean(collectivite.nom) or marker("nom de la collectivité"),
        # the name in a sentence: « la Communauté de communes… », « de la… », « du Département… »
        "la_collectivite": clean(name.plain),
        "La_collectivite": clean(name.subject),
        "de_la_collectivite": clean(name.of),
        "a_la_collectivite": clean(name.to),
        "avertissements": [clean(w) for w in warnings or []],
        "type_collectivite": COLLECTIVITE_KINDS.get(collectivite.type, clean(collectivite.type)),
        "organe_deliberant": council_of(collectivite)[0],
        "executif": council_of(collectivite)[1],
        "departement": facts["departement"],
        "arrondissement": facts["arrondissement"],
        "region": clean(facts["region"]) or marker("région"),
        "siret": facts["identifiant_texte"],
        "epci": clean(facts["epci"]) or "sans objet",
        "population": facts["population"],
        "_facts": facts,
        "adresse_collectivite": marker("adresse postale de la collectivité"),
        "signataire": marker("nom et qualité du signataire (maire ou président)"),
        "maitrise_ouvrage_deleguee": marker("maîtrise d'ouvrage déléguée : oui / non (et à qui)"),
        "action_id": clean(action.id),
        "projet": clean(action.titre) or marker("intitulé du projet"),
        "axe": clean(action.axe) or marker("axe du plan numérique"),
        "description": clean(action.description) or marker("description détaillée de l'opération"),
        "famille_code": family,
        "objectifs": marker("objectifs de l'opération"),
        "besoin": marker("besoin auquel répond le projet (situation actuelle, difficultés constatées)"),
        "effets_attendus": marker("effets attendus (usagers concernés, services rendus, gains mesurables)"),
        "public_vise": marker("public visé par l'opération"),
        "adresse_projet": marker("adresse ou lieu de réalisation du projet"),
        "travaux": marker("le projet comporte-t-il des travaux : oui / non"),
        "contrats_etat": marker("contrat avec l'État concerné (CRTE, Petites villes de demain…) ou « aucun »"),
        "contribution_environnementale": marker("contribution du projet à la transition écologique"),
        "debut": month_label(action.debut) or marker("date de début de l'opération"),
        "fin": month_label(action.fin) or marker("date d'achèvement de l'opération"),
        "cout_total": budget_text,
        "recettes": marker("l'opération génère-t-elle des recettes : oui / non, et leur montant"),
        "dispositif": clean(main.title),
        "dispositif_id": clean(main.id),
        "dispositif_url": clean(main.url) or marker("adresse de la fiche du dispositif"),
        "financeur": clean(", ".join(main.funders)) or marker("financeur sollicité"),
        # « de l'État (ANCT) et de la Banque des Territoires »: each funder with its article
        "du_financeur": clean(" et ".join(name_of(f).of for f in main.funders if f.strip()))
        or f"du financeur {marker('financeur sollicité')}",
        "programme": clean(", ".join(main.programmes)) or "—",
        "categorie_eligibilite": marker("catégorie d'éligibilité retenue (thématique du dispositif)"),
        "montant_sollicite": _amount_text(first_grant, financing),
        "taux_sollicite": _share_text(first_grant),
        # « 64 750,00 €, soit 35,00 % du coût HT », or one marker when the amount is to complete
        "montant_et_part": (f"{format_eur(first_grant.amount)}, soit {format_pct(first_grant.share)} du coût HT"
                            if first_grant is not None and first_grant.amount is not None
                            and first_grant.share is not None else _amount_text(first_grant, financing)),
        "autres_aides": _other_aids(financing, main.id),
        "rang_priorite": marker("rang de priorité parmi les demandes de l'année"),
        "date_deliberation": marker("date de la délibération du conseil"),
        "numero_deliberation": marker("numéro de la délibération"),
        "fait_a": marker("lieu de signature"),
        "date_signature": marker("date de signature"),
        "date_generation": french_date(today),
        "plafond_aides": financing.cap_label,
        "plafond_montant": format_eur(financing.cap_amount) if financing.budget is not None
        else marker(COST_LABEL, short=True),
        "plan_financement": _financing_rows(financing),
        "total_montant": budget_text if financing.budget is not None else marker(COST_LABEL, short=True),
        "total_part": "100,00\u00a0%" if financing.complete else "",
        "notes_financement": _financing_notes(financing),
        "alertes": [clean(w) for w in financing.warnings],
        "echeancier": _schedule_rows(financing.budget, action),
        "indicateur_realisation": marker("indicateur de réalisation du programme retenu"),
        "cible_realisation": marker("valeur cible de l'indicateur de réalisation"),
        "indicateur_resultat": marker("indicateur de résultat du programme retenu"),
        "cible_resultat": marker("valeur cible de l'indicateur de résultat"),
        "recettes_prevues": marker("montant des recettes nettes prévues (0 si aucune)"),
        "emprunt": _loan_text(financing),
        "artificialisation": marker("le projet implique-t-il une artificialisation des sols : oui / non"),
        "adresse_formulaire": FORM_URL,
        "offre": _offer(main),
        "nature_offre": {"pret": "prêt", "subvention": "subvention",
                         "ingenierie": "accompagnement en ingénierie (sans versement)"}[_offer(main)],
        "categories_avertissement": "",
        "formulaire": [],
        "categories_detr": [],
    }
    if family == "dsil-detr":
        from .ds_form import CATEGORIES_CAVEAT, STATUS_PROPOSAL, answers, detr_categories, dispositif_label
        rows, section = [], None
        for answer in answers(plan, action, schemes, financing, facts):
            if answer.kind in ("PieceJustificative", "Checkbox") or answer.label.startswith("Engagement"):
                continue  # listed in their own parts of the document
            if not answer.value:
                continue  # « sans objet »
            if answer.section != section:
                section = answer.section
                if section:
                    rows.append({"titre": section, "libelle": "", "valeur": ""})
            value = answer.value
            if answer.status == STATUS_PROPOSAL:  # an observed rate, never shown as the user's figure
                value = f"{value} (proposition à confirmer : voir le plan de financement)"
            rows.append({"titre": "", "libelle": answer.display_label, "valeur": value})
        ctx["formulaire"] = rows
        if dispositif_label(main) == "DETR":
            ctx["categories_detr"] = [clean(f"{wording} (rubrique « {group.capitalize()} »)" if group else wording)
                                      for group, wording in detr_categories(facts["departement_code"], main)]
        ctx["categories_avertissement"] = (f"Catégorie prioritaire DETR et catégorie DSIL : {CATEGORIES_CAVEAT}. "
                                           f"Les dates du formulaire sont au jour près : précisez le jour.")
    return ctx


def _offer(scheme) -> str:
    """pret / subvention / ingenierie: which Banque des Territoires documents the draft needs."""
    from .financing import kind_of
    kind = kind_of(scheme.aid_types)
    return {"loan": "pret", "grant": "subvention"}.get(kind or "", "ingenierie")


def _amount_text(line, financing: FinancingPlan) -> str:
    if line is None:
        return marker("montant sollicité", short=False)
    if line.amount is None:
        return marker(_missing_for(financing, line.funder) or "montant sollicité", short=True)
    return format_eur(line.amount)


def _share_text(line) -> str:
    if line is None or line.share is None:
        return marker("taux sollicité (part du coût HT)", short=True)
    return format_pct(line.share)


def _missing_for(financing: FinancingPlan, funder: str) -> str | None:
    return next((m for m in financing.missing if funder in m), None)


def _other_aids(financing: FinancingPlan, main_id: str) -> str:
    others = [line for line in financing.grants + financing.loans if line.scheme_id != main_id]
    if not others:
        return marker("autres aides publiques sollicitées pour ce projet, ou « aucune »")
    parts = []
    for line in others:
        amount = format_eur(line.amount) if line.amount is not None else "montant à compléter"
        parts.append(f"{clean(line.funder)} — {clean(line.scheme_title)} ({KIND_LABELS[line.kind].lower()}, {amount})")
    return " ; ".join(parts)


def _financing_rows(financing: FinancingPlan) -> list[dict]:
    rows = []
    for line in financing.grants:
        amount = (format_eur(line.amount) if line.amount is not None
                  else marker(_missing_for(financing, line.funder) or f"montant sollicité auprès {name_of(line.funder).of}",
                              short=True))
        rows.append({"financeur": clean(line.funder), "dispositif": clean(line.scheme_title),
                     "nature": KIND_LABELS[line.kind],
                     "taux_max": _rate_cell(line),
                     "montant": amount, "part": format_pct(line.share)})
    if financing.self_financing is not None:
        self_amount = format_eur(financing.self_financing)
    elif financing.budget is None:
        self_amount = marker(COST_LABEL, short=True)
    else:
        self_amount = marker(_missing_for(financing, "autofinancement") or "autofinancement", short=True)
    rows.append({"financeur": "Autofinancement (maître d'ouvrage)", "dispositif": "fonds propres et emprunt",
                 "nature": "Fonds propres", "taux_max": "—", "montant": self_amount,
                 "part": format_pct(financing.self_financing_share)})
    for line in financing.loans:
        rows.append({"financeur": f"dont emprunt : {clean(line.funder)}", "dispositif": clean(line.scheme_title),
                     "nature": KIND_LABELS[line.kind], "taux_max": "—",
                     "montant": marker(_missing_for(financing, line.funder) or "montant de l'emprunt", short=True),
                     "part": ""})
    return rows


def _rate_cell(line) -> str:
    """« 35 % demandé », « 50 % max. publié », « 30 % proposé », or « non publié »."""
    if line.applied_rate is not None:
        rate = format_rate(line.applied_rate.quantize(Decimal("0.01")).normalize())
        return f"{rate} {ORIGINS.get(line.origin, '')}".strip()
    if line.origin == "stated":
        return "montant demandé"
    return format_rate(line.rate) + " max." if line.rate is not None else "non publié"


def _financing_notes(financing: FinancingPlan) -> list[str]:
    notes = [f"Plafond des aides publiques : {clean(financing.cap_label)}."]
    if financing.budget is not None:
        notes.append(f"Participation minimale du maître d'ouvrage : {format_eur(financing.min_self_financing)}.")
    notes.extend(f"{clean(note)}." for note in financing.notes)
    for line in financing.grants + financing.loans:
        for note in line.notes:
            notes.append(f"{clean(line.funder)} : {clean(note)}.")
    notes.append("Montants calculés sur le coût total HT, en supposant toute la dépense éligible : "
                 "à vérifier avec chaque financeur.")
    return notes


def _schedule_rows(budget: Decimal | None, action) -> list[dict]:
    periods = schedule(budget, action.debut, action.fin)
    if periods is None:
        return [{"periode": marker("échéancier des dépenses (dates de début et de fin absentes du plan)"),
                 "montant": marker("montants par période", short=True)}]
    return [{"periode": f"{p.label} ({p.months} mois)",
             "montant": format_eur(p.amount) if p.amount is not None else marker(COST_LABEL, short=True)}
            for p in periods]


def _loan_text(financing: FinancingPlan) -> str:
    if not financing.loans:
        return marker("montant de l'emprunt")
    line = financing.loans[0]
    return marker(_missing_for(financing, line.funder) or "montant de l'emprunt")
