"""Converters for the real aid feeds and facts shipped in ``shared/data`` (offline catalogue).

Each converter reads one publisher's own JSON shape and returns ``Scheme`` records that keep
the raw payload and a licence/source mention. Only what the feed says is used; what a feed
does not say stays empty (no default beneficiaries, no guessed deadline).

The Manche sample is staging data (``test.manche.fr``), useful for its shape only, so it is
not converted.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Iterator

import yaml

from .model import Scheme
from .normalise import clean_text, find_amounts, parse_french_date
from .vocabularies import label_to_slug

FEED_MENTION = "Flux de données publié par {publisher}, échantillon diffusé par Aides-territoires (Licence Ouverte)"
FACTS_MENTION = "Faits relevés sur {url} (page publique, paraphrasés)"


def _url(value: str | None) -> str:
    """Feeds carry noise such as 'https: //www…' — repair it, drop what is not a URL."""
    value = re.sub(r"^(https?):\s*//", r"\1://", (value or "").strip())
    return value if re.match(r"^https?://\S+$", value) else ""


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    text = str(value)
    if re.match(r"^\d{8}$", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text[:10])
    return parse_french_date(text)


def _deadline(value: Any) -> dt.date | None:
    """A deadline; one given to the month (« 2024-10 », a last selection wave) is that month's last day."""
    match = re.match(r"^(\d{4})-(\d{2})$", str(value or ""))
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return _date(value)


def _slugs(field: str, labels: list[str]) -> list[str]:
    return sorted({slug for label in labels if (slug := label_to_slug(field, label.strip()))})


# -- ADEME « Agir pour la transition » ------------------------------------------------------
def ademe_agir(path: Path) -> Iterator[Scheme]:
    data = json.loads(path.read_text(encoding="utf-8"))
    fetched = _date(data.get("timestamp"))  # when the feed was served
    for item in data["ListeDispositifs"]:
        url = _url(item.get("url_agir"))
        national = (item.get("couverture_geo") or {}).get("libelle") == "National"
        yield Scheme(
            id=f"ademe:{item['id']}", source="ademe", title=item["titre"].strip(), url=url,
            description=clean_text(item.get("description_longue")),
            funders=["ADEME"],
            # the Agir catalogue lists these under /entreprises/: aids for businesses
            beneficiaries=["private-sector"] if "/entreprises/" in url else [],
            aid_types=["grant"] if item.get("type") in ("GAG", "AAP") else [],
            is_call_for_project=item.get("type") == "AAP",
            perimeter="FR" if national else "FR", perimeter_label="" if national else "couverture non précisée",
            start_date=_date(item.get("date_debut")), deadline=_date(item.get("date_fin")),
            licence=FEED_MENTION.format(publisher="l'ADEME"), raw=item,
            data_date=fetched.isoformat() if fetched else "",
        ).validate()


# -- Région Île-de-France, guide des aides ----------------------------------------------------
def ile_de_france(path: Path) -> Iterator[Scheme]:
    for item in json.loads(path.read_text(encoding="utf-8")):
        audiences = [p["title"] for p in item.get("publicsBeneficiaire") or []]
        text = "\n".join(clean_text(item.get(key)) for key in ("entete", "objectif", "modalite"))
        yield Scheme(
            id=f"idf:{item['reference']}", source="idf", title=item["title"].strip(),
            url=f"https://www.iledefrance.fr/aides-et-appels-a-projets",
            description=text.strip(), eligibility=clean_text(item.get("publicsBeneficiairePrecision")),
            contact=clean_text(item.get("contact")),
            funders=["Région Île-de-France"], beneficiaries=_slugs("beneficiaries", audiences),
            themes=[t["title"] for t in item.get("competences") or []],
            keywords=[t["title"] for t in item.get("tags") or []],
            perimeter="REG:11", perimeter_label="Île-de-France",
            deadline=_date(item.get("dateFinCampagne")),
            licence=FEED_MENTION.format(publisher="la Région Île-de-France"), raw=item,
        ).validate()


# -- Ministère de la Culture -------------------------------------------------------------------
def culture(path: Path, referential) -> Iterator[Scheme]:
    for item in json.loads(path.read_text(encoding="utf-8")):
        regions = [r for r in item.get("eztag_region") or [] if r]
        perimeter = referential.resolve(regions[0]) if regions else "FR"
        amount_text = item.get("amount") or ""
        amounts = find_amounts(amount_text)
        yield Scheme(
            id=f"culture:{item['id']}", source="culture", title=item["title"].strip(),
            url=_url(item.get("url")), application_url=_url((item.get("link") or {}).get("link")),
            description=clean_text(item.get("summary")) + "\n" + clean_text(item.get("body")),
            contact=clean_text(item.get("contact")), funders=["Ministère de la Culture"],
            beneficiaries=_slugs("beneficiaries", re.split(r",\s*", item.get("public") or "")),
            themes=item.get("eztag_theme") or [],
            is_call_for_project=any("appel" in t.lower() for t in item.get("type") or []),
            perimeter=perimeter, perimeter_label=regions[0] if regions else "",
            deadline=_date(item.get("deadline")),
            amount_min=amounts[0] if amounts and amount_text.lower().startswith("min") else None,
            rate_comment=amount_text,
            licence=FEED_MENTION.format(publisher="le ministère de la Culture"), raw=item,
        ).validate()


# -- Welcome Europe (EU calls) ---------------------------------------------------------------
_WE_BENEFICIARIES = {
    "collectivite territoriale": ["commune", "epci", "department", "region"],
    "administration etat": ["public-org"],
    "association": ["association"],
    "pme": ["private-sector"],
    "grande entreprise": ["private-sector"],
}


def welcome_europe(path: Path) -> Iterator[Scheme]:
    from .vocabularies import fold
    for item in json.loads(path.read_text(encoding="utf-8")):
        labels = clean_text(item.get("filtres_beneficiaries")).split(";")
        beneficiaries = sorted({slug for label in labels for key, slugs in _WE_BENEFICIARIES.items()
                                if fold(label).startswith(key) for slug in slugs})
        yield Scheme(
            id=f"welcomeurope:{item['ID']}", source="welcomeurope", title=clean_text(item["post_title"]),
            url=_url(item.get("permalink")),
            description=clean_text(item.get("banner_chapeau")) + "\n" + clean_text(item.get("info_priories")),
            eligibility=clean_text(item.get("info_info-regions")),
            funders=[clean_text(item.get("info_responsible")) or "Commission européenne"],
            programmes=[clean_text(item.get("relations_programmes"))] if item.get("relations_programmes") else [],
            beneficiaries=beneficiaries, aid_types=["grant"],
            themes=[t for t in clean_text(item.get("filtres_sectors")).split(";") if t],
            is_call_for_project=True, perimeter="EU", perimeter_label="Union européenne",
            start_date=_date(item.get("dates_open-1")), deadline=_date(item.get("deadline1")),
            rate_comment=clean_text(item.get("info_amount")),
            licence=FEED_MENTION.format(publisher="Welcome Europe"), raw=item,
        ).validate()


# -- scheme-facts.json ---------------------------------------------------------------------------
_FACT_LABELS = {
    "legal_basis": "Base légale", "decision_by": "Décision", "created_year": "Créé en",
    "also_funds": "Finance aussi", "priorities_reference": "Priorités", "regional_split": "Répartition",
    "status_banner": "Statut", "extra_budget": "Enveloppe supplémentaire", "where_to_apply": "Dépôt",
    "committee": "Comité", "envelope_eur": "Enveloppe (€)", "year": "Année", "structure": "Structure de la page",
    "updated": "Mise à jour", "since_2016_subsidies_meur": "Subventions depuis 2016 (M€)",
    "since_2016_works_bn_eur_ht": "Travaux soutenus depuis 2016 (Md€ HT)",
    "since_2016_projects": "Projets soutenus depuis 2016", "latest_instruction": "Dernière instruction",
    "submission_window": "Fenêtre de dépôt", "channel": "Dépôt", "rules": "Règles",
    "specific_objective_code": "Objectif spécifique", "specific_objective_label": "Intitulé de l'objectif",
    "call_type": "Type d'appel", "managing_authority": "Autorité de gestion", "context_facts": "Contexte",
    "actions": "Actions", "domains": "Domaines", "service": "Service", "published": "Publié le",
    "instruments": "Instruments", "access": "Accès", "themes": "Thèmes", "envelope_meur": "Enveloppe (M€)",
    "grant_per_hub_eur": "Subvention par hub (€)", "bonus_eur": "Bonus (€)", "bonus_condition": "Condition du bonus",
    "applicants": "Candidats", "window": "Fenêtre", "opened": "Ouverture", "target": "Objectif",
    "envelope_meur_first_two_years": "Enveloppe des deux premières années (M€)",
    "selection_dates": "Dates de sélection", "priority_beneficiaries": "Bénéficiaires prioritaires",
    "context": "Contexte", "carrier": "Porteur", "posts": "Postes", "grant_per_post_eur": "Subvention par poste (€)",
    "grant_duration": "Durée de la subvention", "first_wave_durations": "Durées de la première vague",
    "renewal_duration": "Renouvellement", "launched": "Lancement", "closes": "Clôture", "waves": "Vagues",
    "operator": "Opérateur", "conflicting_info": "Information divergente", "total_bn_eur": "Total (Md€)",
    "available_until": "Disponible jusqu'en", "products": "Produits", "pricing": "Tarification",
    "durations": "Durées", "beneficiaries": "Bénéficiaires", "loan_amount_eur": "Montant du prêt (€)",
    "loan_duration_years": "Durée du prêt (ans)", "deferral_months": "Différé (mois)",
    "guarantee_pct": "Garantie (%)", "collateral": "Sûretés", "other_sources_say": "Autres sources",
    "amount_eur": "Montant (€)", "deadline": "Date limite", "status": "Statut", "selection": "Sélection",
    "target_companies_2021": "Entreprises visées en 2021", "aid_type": "Type d'aide", "max_aid_eur": "Aide maximale (€)",
    "max_eligible_expenses_eur": "Dépenses éligibles maximales (€)",
    "min_expenses_digital_eur_ht": "Dépenses numériques minimales (€ HT)", "rate_pct": "Taux (%)",
    "cofinancers": "Cofinanceurs", "digital_component_open_until": "Volet numérique ouvert jusqu'au",
    "cyber_envelope_france_relance_meur": "Enveloppe cybersécurité France Relance (M€)",
    "framework": "Cadre", "grant_per_project_eur": "Subvention par projet (€)", "eligible_themes": "Thèmes éligibles",
}
_SKIPPED_FACT_KEYS = {"id", "source_family", "scheme", "page_url", "page_kind", "title_on_page", "name_initial",
                      "faq_url", "also_source", "also_sources", "eligible_themes_same_as", "routing",
                      "dsil_priorities_count", "includes_priority", "measures", "operations", "labelled_fields"}


def _fact_text(value: Any) -> str:
    if isinstance(value, list):
        return " ; ".join(_fact_text(v) for v in value)
    if isinstance(value, dict):
        return " ; ".join(f"{k} : {_fact_text(v)}" for k, v in value.items())
    return str(value)


def _pick(record: dict, dotted: str | None) -> Any:
    if not dotted:
        return None
    value: Any = record
    for part in dotted.split("."):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def scheme_facts(path: Path, curation_path: Path) -> tuple[list[Scheme], dict[str, str]]:
    """Schemes from the facts file, following the curation file; returns (schemes, skipped)."""
    records = json.loads(path.read_text(encoding="utf-8"))["records"]
    curation = yaml.safe_load(curation_path.read_text(encoding="utf-8"))
    schemes, skipped = [], {}
    for record in records:
        rule = curation.get(record["id"])
        if rule is None or rule.get("skip"):
            skipped[record["id"]] = (rule or {}).get("skip", "absent du fichier de curation")
            continue
        lines = [f"{_FACT_LABELS.get(key, key)} : {_fact_text(value)}" for key, value in record.items()
                 if key not in _SKIPPED_FACT_KEYS]
        ended = rule.get("ended") or {}
        if ended:  # a later public page says the scheme ended: the record says it, with that page
            lines.append(f"Fin : {ended['says']} (d'après {ended['page']}, lue le {_date(ended['read_on']):%d/%m/%Y})")
        window = _pick(record, rule.get("window_key")) or {}
        themes = _pick(record, rule.get("themes_key")) or []
        schemes.append(Scheme(
            id=f"{rule['source']}:{record['id']}", source="facts",
            title=record.get("title_on_page") or record["scheme"], name_initial=record.get("name_initial", record["scheme"]),
            url=record["page_url"], description="\n".join(lines),
            funders=rule.get("funders", []), programmes=rule.get("programmes", []),
            beneficiaries=rule.get("beneficiaries", []), aid_types=rule.get("aid_types", []),
            themes=themes if isinstance(themes, list) else [str(themes)],
            perimeter=rule["perimeter"], perimeter_label=rule.get("perimeter_label", ""),
            start_date=_date(_pick(record, rule.get("start_key")) or window.get("open")),
            deadline=_date(ended.get("date")) or _deadline(_pick(record, rule.get("deadline_key")) or window.get("close")),
            recurrence=rule.get("recurrence", ""), is_call_for_project=bool(rule.get("call_for_project")),
            archived=bool(rule.get("archived")),
            amount_min=_number(_pick(record, rule.get("amount_min_key"))),
            amount_max=_number(_pick(record, rule.get("amount_max_key"))),
            rate_max=_number(_pick(record, rule.get("rate_max_key"))),
            licence=FACTS_MENTION.format(url=record["page_url"]), raw=record,
            data_date=_page_date(record),
        ).validate())
    return schemes, skipped


def _page_date(record: dict) -> str:
    """The page's own date (last update, else publication) when the facts give one."""
    day = _date(record.get("updated") or record.get("published"))
    return day.isoformat() if day else ""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
