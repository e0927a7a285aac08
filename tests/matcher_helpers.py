"""A small catalogue of real-shaped schemes for the matcher tests.

Texts paraphrase real pages (addresses in ``url``); amounts and dates are as printed there.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from aidenum.catalogue import store
from aidenum.catalogue.model import Scheme
from aidenum.matcher.plan import Action, Collectivite, Plan

TODAY = dt.date(2026, 11, 22)

SCHEMES = [
    {"id": "bdt:cnfs", "source": "bdt", "title": "Conseiller numérique France Services (CnFS)",
     "url": "https://pqn-a.fr/fr/ressources/guides-et-outils/collectivites-quels-financements-pour-les-projets-d-inclusion-numerique",
     "description": "Subvention de l'État pour le recrutement de conseillers numériques qui accompagnent les "
                    "habitants éloignés du numérique : médiation numérique, démarches en ligne, usages du "
                    "quotidien. 50 000 € par poste sur deux ans, convention rédigée par la Banque des Territoires.",
     "funders": ["État (ANCT)", "Banque des Territoires"], "beneficiaries": ["commune", "epci", "department", "association"],
     "aid_types": ["grant"], "themes": ["Inclusion numérique"], "perimeter": "FR", "amount_max": 50000,
     "recurrence": "ongoing"},
    {"id": "at:fipd-video", "source": "at", "title": "Financer l'installation de la vidéoprotection (FIPD)",
     "url": "https://aides-territoires.beta.gouv.fr/aides/fipd-videoprotection/",
     "description": "Le fonds interministériel de prévention de la délinquance finance les caméras de "
                    "vidéosurveillance sur la voie publique et les centres de supervision urbains.",
     "funders": ["Préfecture des Côtes-d'Armor"], "beneficiaries": ["commune", "epci"], "aid_types": ["grant"],
     "perimeter": "DEP:22", "rate_max": 50, "deadline": "2027-03-31", "recurrence": "recurring"},
    {"id": "at:nievre-numerique", "source": "at", "title": "Conseiller et accompagner la transformation numérique",
     "url": "https://aides-territoires.beta.gouv.fr/aides/833a-conseiller-et-accompagner-la-transformation-n/",
     "description": "Le département de la Nièvre accompagne la dématérialisation des démarches et le "
                    "guichet numérique des communes nivernaises.",
     "funders": ["Conseil départemental de la Nièvre"], "beneficiaries": ["commune", "epci"],
     "aid_types": ["technical-engineering"], "perimeter": "DEP:58", "recurrence": "ongoing"},
    {"id": "francenum:garantie-pret", "source": "francenum", "title": "Garantie de prêt France Num (Bpifrance)",
     "url": "https://www.francenum.gouv.fr/aides-financieres/obtenir-un-credit-bancaire-pour-financer-la-transformation-numerique-de-sa-tpe",
     "description": "Un prêt bancaire de 5 000 à 50 000 € garanti à 80 % pour financer la transformation "
                    "numérique des TPE et PME : site marchand, vente en ligne, logiciels de gestion.",
     "funders": ["Bpifrance"], "beneficiaries": ["private-sector"], "aid_types": ["loan"], "perimeter": "FR",
     "amount_min": 5000, "amount_max": 50000, "recurrence": "ongoing"},
    {"id": "facts:anssi-relance-cyber", "source": "facts",
     "title": "France Relance : cybersécurité mutualisée des collectivités (ANSSI)",
     "url": "https://www.weka.fr/actualite/administration/article/un-nouveau-dispositif-france-relance-financera-la-cybersecurite-des-petites-communes-149249/",
     "description": "Parcours de cybersécurité pour les structures mutualisées de gestion numérique au profit "
                    "des communes et communautés de communes.",
     "funders": ["ANSSI"], "beneficiaries": ["epci", "public-org"], "aid_types": ["grant"], "perimeter": "FR",
     "deadline": "2022-06-30", "recurrence": "oneoff"},
    {"id": "feder:feder-bzh-131", "source": "feder", "title": "Numérique pour toutes et tous (FEDER Bretagne 2021-2027)",
     "url": "https://europe.bzh/aides/fiches/numerique-pour-toutes-et-tous",
     "description": "Objectif spécifique 1.3.1 - Assurer le développement d'un numérique inclusif : tiers-lieux, "
                    "médiation numérique, fablabs et espaces publics numériques en Bretagne.",
     "funders": ["Union européenne (FEDER)", "Région Bretagne"], "programmes": ["Programme Bretagne FEDER-FSE+ 2021-2027"],
     "perimeter": "REG:53", "aid_types": ["grant"], "rate_max": 60},
    {"id": "at:velo", "source": "at", "title": "Développer les itinéraires cyclables",
     "url": "https://aides-territoires.beta.gouv.fr/aides/e342-velo/",
     "description": "Soutien aux pistes cyclables, voies vertes et stationnements vélo des communes.",
     "funders": ["Conseil départemental du Morbihan"], "beneficiaries": ["commune", "epci"],
     "aid_types": ["grant"], "perimeter": "FR", "recurrence": "ongoing"},
]

LOUDEAC = dict(nom="Loudéac Communauté - Bretagne Centre", type="epci", code="200067460",
               territory="EPCI:200067460", departement="22", region="53")


def schemes() -> list[Scheme]:
    return [Scheme.from_dict(dict(record)) for record in SCHEMES]


def fill_catalogue(home: Path, records=None) -> None:
    with store.Catalogue(home / store.DB_NAME) as cat:
        store.upsert_all(cat, "test", records if records is not None else schemes())


def collectivite(**changes) -> Collectivite:
    return Collectivite(**{**LOUDEAC, **changes})


def action(titre: str, description: str = "", id: str = "A1") -> Action:
    return Action(id=id, titre=titre, description=description)


def plan_yaml(path: Path) -> Path:
    path.write_text("""collectivite:
  nom: Loudéac Communauté - Bretagne Centre
  type: epci
  code: "200067460"
actions:
  - id: A1
    titre: Recruter deux conseillers numériques
    description: Médiation numérique pour les habitants éloignés du numérique.
  - id: A2
    titre: Déployer la vidéoprotection aux abords des écoles
  - id: A3
    titre: Rénover la toiture du gymnase
""", encoding="utf-8")
    return path


def plan() -> Plan:
    return Plan(collectivite(), [action("Recruter deux conseillers numériques", id="A1"),
                                 action("Déployer la vidéoprotection", id="A2")])
