"""Controlled vocabularies, aligned with Aides-territoires (slug -> French API label).

The API returns French labels; our records store slugs. ``label_to_slug`` maps any label
(case, accents and spacing ignored) back to its slug, plus a few aliases seen in real feeds
("EPCI à fiscalité propre", "Collectivités", …).
"""
from __future__ import annotations

from .formatting import fold  # noqa: F401  (re-exported: the spiders import it from here)

BENEFICIARIES = {
    "commune": "Communes",
    "epci": "Intercommunalités / Pays",
    "department": "Départements",
    "region": "Régions",
    "special": "Collectivités d'outre-mer à statuts particuliers",
    "association": "Associations",
    "private-person": "Particuliers",
    "farmer": "Agriculteurs",
    "private-sector": "Entreprises privées",
    "public-cies": "Entreprises publiques locales (Sem, Spl, SemOp)",
    "public-org": "Établissements publics (écoles, bibliothèques…) / Services de l'État",
    "researcher": "Recherche",
}

AID_TYPES = {
    "grant": "Subvention",
    "loan": "Prêt",
    "recoverable-advance": "Avance récupérable",
    "cee": "Certificat d'économie d'énergie (CEE)",
    "other": "Autre aide financière",
    "technical-engineering": "Ingénierie technique",
    "financial-engineering": "Ingénierie financière",
    "legal-engineering": "Ingénierie Juridique / administrative",
}
FINANCIAL_AID_TYPES = {"grant", "loan", "recoverable-advance", "cee", "other"}

STEPS = {"preop": "Réflexion / conception", "op": "Mise en œuvre / réalisation", "postop": "Usage / valorisation"}
DESTINATIONS = {"supply": "Dépenses de fonctionnement", "investment": "Dépenses d'investissement"}
RECURRENCES = {"oneoff": "Ponctuelle", "ongoing": "Permanente", "recurring": "Récurrente"}
STATUSES = {"open": "ouvert", "closing-soon": "clôture proche", "stale": "date dépassée — à vérifier",
            "closed": "clôturé"}
# Statuses a user calls « ouvert » (the --ouverts filters): a stale date is not one of them.
OPEN_STATUSES = ("open", "closing-soon")

# Collectivité types as written in a plan (French) -> beneficiary slug.
COLLECTIVITE_TYPES = {
    "commune": "commune",
    "epci": "epci",
    "intercommunalite": "epci",
    "communaute de communes": "epci",
    "communaute d'agglomeration": "epci",
    "communaute urbaine": "epci",
    "metropole": "epci",
    "petr": "epci",
    "pole d'equilibre territorial et rural": "epci",
    "pays": "epci",
    # groupings of collectivités; Aides-territoires files them under « Intercommunalités / Pays »
    "syndicat intercommunal": "epci",
    "syndicat mixte": "epci",
    "syndicat": "epci",
    "sivu": "epci",
    "sivom": "epci",
    "departement": "department",
    "region": "region",
    "association": "association",
    "etablissement public": "public-org",
    "sem": "public-cies",
    "spl": "public-cies",
    "entreprise": "private-sector",
}


_ALIASES = {
    "beneficiaries": {
        "epci a fiscalite propre": "epci",
        "intercommunalites": "epci",
        "epci": "epci",
        "pays": "epci",
        "collectivites d'outre-mer": "special",
        "etablissements publics": "public-org",
        "services de l'etat": "public-org",
        "entreprises": "private-sector",
        "entreprise": "private-sector",
        "tpe": "private-sector",
        "pme": "private-sector",
        "particulier": "private-person",
        "agriculteur": "farmer",
        "association": "association",
        "communes": "commune",
        "departement": "department",
        "region": "region",
    },
    "aid_types": {
        "ingenierie juridique / administrative": "legal-engineering",
        "ingenierie juridique": "legal-engineering",
        "avance recuperable": "recoverable-advance",
        "pret": "loan",
        "subvention": "grant",
        "autre aide financiere": "other",
    },
}

VOCABULARIES = {
    "beneficiaries": BENEFICIARIES,
    "aid_types": AID_TYPES,
    "steps": STEPS,
    "destinations": DESTINATIONS,
    "recurrence": RECURRENCES,
}

_LOOKUP: dict[str, dict[str, str]] = {}
for _field, _vocab in VOCABULARIES.items():
    table = {fold(slug): slug for slug in _vocab}
    table.update({fold(label): slug for slug, label in _vocab.items()})
    table.update(_ALIASES.get(_field, {}))
    _LOOKUP[_field] = table


def label_to_slug(field: str, value: str) -> str | None:
    """Return the slug for a French label or a slug of vocabulary ``field``; None if unknown."""
    return _LOOKUP[field].get(fold(value))


def slug_to_label(field: str, slug: str) -> str:
    return VOCABULARIES[field].get(slug, slug)
