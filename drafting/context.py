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

from .financing import (FinancingPlan, format_eur, format_pct, format_rate, month_label,
                        schedule)

MARK_OPEN, MARK_SEP, MARK_CLOSE = "\ue000", "\ue002", "\ue001"
MARKER_RE = re.compile(f"{MARK_OPEN}([^{MARK_SEP}{MARK_CLOSE}]*){MARK_SEP}([^{MARK_CLOSE}]*){MARK_CLOSE}")
PARAGRAPH = "\a"  # docxtpl turns it into a new paragraph with the same paragraph style
# "{{", "{%", "%}"… in user data would read as a leftover template tag in the checked output:
# a zero-width space between the two characters keeps the text visibly intact.
_TAG_PAIR = re.compile(r"(?<=\{)(?=[{%#])|(?<=[%#}])(?=\})")
# XML 1.0 forbids most control characters; one of them in a plan cell would corrupt the .docx.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff"
                          f"{MARK_OPEN}{MARK_SEP}{MARK_CLOSE}]")

COLLECTIVITE_KINDS = {
    "commune": "commune",
    "epci": "établissement public de coopération intercommunale (EPCI)",
    "department": "département",
    "region": "région",
    "association": "association",
    "public-org": "établissement public",
    "public-cies": "entreprise publique locale",
}
COUNCILS = {"commune": ("conseil municipal", "le maire"), "epci": ("conseil communautaire", "le président"),
            "department": ("conseil départemental", "le président du conseil départemental"),
            "region": ("conseil régional", "le président du conseil régional")}
KIND_LABELS = {"grant": "Subvention", "loan": "Prêt"}
COST_LABEL = "coût total HT de l'opération (budget absent du plan)"


def marker(label: str, short: bool = False) -> str:
    """A visible « à compléter » marker; ``short`` shows only « à compléter » in the text."""
    label = clean(label).replace("\a", " ")
    text = "« à compléter »" if short else f"« à compléter : {label} »"
    return f"{MARK_OPEN}{text}{MARK_SEP}{label}{MARK_CLOSE}"


def clean(text) -> str:
    """User text made safe for a .docx: no control characters; blank lines become paragraphs."""
    if text is None:
        return ""
    text = _INVALID_XML.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    text = _TAG_PAIR.sub("\u200b", text)
    return re.sub(r"\n\s*\n\s*", PARAGRAPH, text.strip())


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


def _department(collectivite, referential) -> str:
    code = collectivite.departement
    if not code and collectivite.territory and referential is not None:
        dep = referential.department_of(collectivite.territory)
        code = dep.split(":", 1)[1] if dep else None
    if not code:
        return marker("département")
    name = referential.label(f"DEP:{code}") if referential is not None else ""
    name = re.sub(r"\s*\(département\)$", "", name)
    return f"{name} ({code})" if name and not name.startswith("DEP:") else clean(code)


def build_context(plan, action, schemes, financing: FinancingPlan, *, family: str,
                  today: dt.date, referential=None) -> dict:
    """Every variable the shipped templates use; a user template may use any subset."""
    collectivite, main = plan.collectivite, schemes[0]
    budget_text = format_eur(financing.budget) if financing.budget is not None else marker(COST_LABEL)
    first_grant = next((line for line in financing.grants if line.scheme_id == main.id), None)
    ctx = {
        "collectivite": clean(collectivite.nom) or marker("nom de la collectivité"),
        "type_collectivite": COLLECTIVITE_KINDS.get(collectivite.type, clean(collectivite.type)),
        "organe_deliberant": COUNCILS.get(collectivite.type, ("organe délibérant",))[0],
        "executif": COUNCILS.get(collectivite.type, ("", "son représentant légal"))[1],
        "departement": _department(collectivite, referential),
        "arrondissement": marker("arrondissement"),
        "siret": marker("numéro SIRET de la collectivité"),
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
        "programme": clean(", ".join(main.programmes)) or "—",
        "categorie_eligibilite": marker("catégorie d'éligibilité retenue (thématique du dispositif)"),
        "montant_sollicite": _amount_text(first_grant, financing),
        "taux_sollicite": _share_text(first_grant),
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
    }
    return ctx


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
                  else marker(_missing_for(financing, line.funder) or f"montant sollicité auprès de {line.funder}",
                              short=True))
        rows.append({"financeur": clean(line.funder), "dispositif": clean(line.scheme_title),
                     "nature": KIND_LABELS[line.kind],
                     "taux_max": format_rate(line.rate) if line.rate is not None else "non publié",
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
