"""The national DETR/DSIL form (Démarches simplifiées n° 131016), answered field by field.

The form's fields, in its order, come from the shipped copy ``data/forms/detr-dsil-form.json``
(see data/forms/README.md). Each answer is what the plan, the referential, the financing plan
or the catalogue says, or a « à compléter » marker; a guess (a priority category matched on
words, the DSIL category of a digital project) is marked « à vérifier ». The same answers fill
the Word file's summary sheet and the ``--format ds`` JSON/CSV files.
"""
from __future__ import annotations

import csv
import functools
import json
import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from aidenum.catalogue.paths import shipped

from .markers import FORM_URL, MARKER_RE, clean, marker
from aidenum.catalogue.formatting import MONTHS_FR, parse_month

from .financing import FinancingPlan, format_rate

FORM_PATH = shipped("data", "forms", "detr-dsil-form.json")
CATEGORIES_PATH = shipped("data", "forms", "detr-categories-prioritaires.csv")
CATEGORIES_CAVEAT = ("catégories 2025-2026 d'après le formulaire national — à vérifier auprès de votre "
                     "préfecture (règlement DETR de l'année)")

NATURES = {"commune": "Commune", "epci": "EPCI à fiscalité propre"}
FUNCTIONS = {"commune": "Maire", "epci": "Président de l'EPCI"}
# Other aids of the form (question 3.b) by dispositif label or funder kind of our financing lines.
OTHER_AIDS = [("Fonds vert", re.compile(r"fonds vert", re.I)),
              ("Dotation politique de la ville (DPV)", re.compile(r"\bDPV\b|politique de la ville", re.I)),
              ("Fonds National d'Aménagement et de Développement du Territoire (FNADT)", re.compile(r"FNADT", re.I)),
              ("Aide de l'Union Européenne", re.compile(r"FEDER|FSE|europ|LEADER", re.I)),
              ("Aide du Conseil régional", re.compile(r"r[ée]gion", re.I)),
              ("Aide du Conseil départemental", re.compile(r"d[ée]partement", re.I)),
              ("Aide d'un EPCI", re.compile(r"\bEPCI\b|communaut[ée]|agglom", re.I))]
AMOUNT_FIELDS = {"Fonds vert": "Fonds vert - Précisez le montant sollicité ou obtenu",
                 "Dotation politique de la ville (DPV)": "DPV - Précisez le montant sollicité ou obtenu",
                 "Fonds National d'Aménagement et de Développement du Territoire (FNADT)":
                     "FNADT - Précisez le montant sollicité ou obtenu",
                 "Aide du Conseil régional": "Aide du Conseil régional - Précisez le montant sollicité ou obtenu",
                 "Aide du Conseil départemental":
                     "Aide du Conseil départemental  - Précisez le montant sollicité ou obtenu",
                 "Aide d'un EPCI": "Aide d'un EPCI - Précisez le montant sollicité ou obtenu",
                 "Aide de l'Union Européenne": "Aide de l'Union européenne - Précisez le montant sollicité ou obtenu",
                 "Autre dispositif de financement":
                     "Autre dispositif de financement - Précisez le montant sollicité ou obtenu"}
# Fields left out of the answers: the renewal path, French Polynesia's currency, free uploads.
SKIPPED = {"Précisez le numéro du dossier déposé antérieurement", "Coût total de l'opération (en XPF HT)",
           "Montant de l'aide demandée (en XPF)", "Pièces complémentaires",
           "Engagement n°5 – en cas de renouvellement de la demande"}
# Fields the form shows only after a given answer: left empty, with the condition.
CONDITIONAL = {"Identification du maître d'ouvrage déléguée": "la maîtrise d'ouvrage est déléguée",
               "Autre zonage : précisez le nom du zonage": "« Autre zonage » est choisi",
               "Autre contrat : précisez le nom du contrat": "« Autre contrat » est choisi",
               "Si oui, indiquer quels sont les objectifs environnementaux impactés favorablement.":
                   "le projet concourt à la transition écologique",
               "Autre dispositif de financement - Précisez le dispositif concerné":
                   "« Autre dispositif de financement » est choisi"}
# Marker labels shared with the Word template's own markers, so that the list of missing pieces
# names each piece once.
TRANSITION_LABEL = "contribution du projet à la transition écologique"
ARTIFICIALISATION_LABEL = "le projet implique-t-il une artificialisation des sols : oui / non"
STATUS_FILLED, STATUS_MISSING, STATUS_CHECK, STATUS_PROPOSAL = "prérempli", "à compléter", "à vérifier", "proposition"
STATUS_NA = "sans objet"


@dataclass
class Answer:
    section: str
    label: str
    value: str                 # may hold « à compléter » markers (see context.marker)
    status: str = STATUS_FILLED
    kind: str = ""             # the form's field type (Text, YesNo, PieceJustificative…)
    source: str = ""           # where the value comes from
    options: list[str] = field(default_factory=list)

    @property
    def display_label(self) -> str:
        """The label without the form's dangling punctuation (« Code SIREN ou INSEE du demandeur - »)."""
        return re.sub(r"\s+-\s*$", "", self.label)

    @property
    def text(self) -> str:
        """The value without the Word markers, each spelt out: « à compléter : <what> »."""
        return MARKER_RE.sub(lambda m: f"« à compléter : {m.group(2)} »", self.value)


@functools.lru_cache(maxsize=1)
def form() -> dict:
    return json.loads(FORM_PATH.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _shipped_categories() -> dict[str, list[tuple[str, str]]]:
    table: dict[str, list[tuple[str, str]]] = {}
    with CATEGORIES_PATH.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            table.setdefault(row["departement"], []).append((row["groupe"], row["categorie"]))
    return table


def detr_categories(departement: str | None, scheme=None) -> list[tuple[str, str]]:
    """(group, wording) of the département's DETR priority categories.

    The ``detr:<dep>`` catalogue record carries them when the catalogue has them (``raw`` field
    ``categories_prioritaires``: strings or {groupe, categorie} dicts); else the shipped copy.
    """
    raw = getattr(scheme, "raw", None)
    if isinstance(raw, dict):
        items = raw.get("categories_prioritaires") or raw.get("categories")
        if isinstance(items, list) and items:
            out = []
            for item in items:
                if isinstance(item, dict) and item.get("categorie"):
                    out.append((str(item.get("groupe") or ""), str(item["categorie"])))
                elif isinstance(item, str) and item.strip():
                    out.append(("", item.strip()))
            if out:
                return out
    return list(_shipped_categories().get((departement or "").upper().zfill(2), []))


MIN_SHARED_TERMS = 2  # one shared word (« scolaires », « eau ») proved a coincidence more often than not
# Words of nearly every category (« public », « équipement », « bâtiment »…): sharing them says nothing.
GENERIC_TERMS = frozenset({"public", "publiqu", "equip", "equipement", "batiment", "projet", "commun",
                           "communal", "communaux", "intercommunal", "intercommunaux", "amenag", "amenagement",
                           "creation", "travaux", "install", "installation", "develop", "developp",
                           "territoir", "ecol", "ecole", "rural"})


def best_category(text: str, categories: list[tuple[str, str]], title: str = "") -> tuple[str, str] | None:
    """The category sharing the most informative words with the action (idf over the list,
    the action's title counting double); None below MIN_SHARED_TERMS distinct shared words or
    without a word of the title."""
    from aidenum.matcher.analysis import analyze
    if not categories:
        return None
    terms = [set(analyze(f"{group} {wording}")) for group, wording in categories]
    frequency: dict[str, int] = {}
    for words in terms:
        for word in words:
            frequency[word] = frequency.get(word, 0) + 1
    wanted, in_title = set(analyze(text)), set(analyze(title))
    scores = []
    for words in terms:
        shared = words & (wanted | in_title)
        weight = sum(math.log(1 + len(terms) / frequency[w]) * (2 if w in in_title else 1) for w in shared)
        # the title says what the project is: a category sharing only description words is a coincidence
        specific = {w for w in shared & in_title if w not in GENERIC_TERMS}
        scores.append(weight if len(shared) >= MIN_SHARED_TERMS and specific else 0)
    best = max(range(len(categories)), key=lambda i: scores[i])
    return categories[best] if scores[best] > 0 else None


def _integer_euros(value: Decimal | None) -> str:
    return "" if value is None else str(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _date_text(value) -> str:
    parsed = parse_month(value)
    if not parsed:
        return ""
    return f"{MONTHS_FR[parsed[1] - 1]} {parsed[0]} (jour à préciser)"


def dispositif_label(scheme) -> str:
    """« DETR », « DSIL » or "" (both or neither)."""
    from .family import dispositif_of
    label = dispositif_of(scheme)
    if label in ("DETR", "DSIL"):
        return label
    text = f"{scheme.id} {scheme.title}".lower()
    found = [name for name in ("DETR", "DSIL") if name.lower() in text]
    return found[0] if len(found) == 1 else ""


def answers(plan, action, schemes, financing: FinancingPlan, facts: dict) -> list[Answer]:
    """Every field of the form in its order. ``facts``: what context.build_context resolved
    from the referential (siren, departement_option, epci_option, …)."""
    collectivite, main = plan.collectivite, schemes[0]
    dispositif = dispositif_label(main)
    grant = next((line for line in financing.grants if line.scheme_id == main.id), None)
    dep = facts.get("departement_code")
    categories = detr_categories(dep, main if dispositif == "DETR" else None)
    category = best_category(action.text, categories, action.titre)
    others = _other_aids(financing, main.id)
    contracts = _listed(action, "contrats")
    zonages = _listed(action, "zonages")
    values = {
        "Souhaitez-vous effectuer une nouvelle demande ou renouveler une demande précédente ?":
            ("Déposer un nouveau dossier", STATUS_CHECK, "aidenum : première demande pour cette action"),
        "Nature du porteur de projet": _known(NATURES.get(collectivite.type), "nature du porteur de projet", "plan"),
        "Code SIREN ou INSEE du demandeur -": _known(facts.get("identifiant"), "code SIREN (ou INSEE pour une commune)",
                                                     "plan et découpage administratif"),
        "Département ou collectivité du demandeur": _known(facts.get("departement_option"), "département",
                                                           "découpage administratif"),
        "Arrondissement du demandeur": (facts["arrondissement"], STATUS_MISSING, ""),
        "EPCI à fiscalité propre dont est membre la commune": _known(
            facts.get("epci_option"), "EPCI dont la commune est membre", "découpage administratif"),
        "Fonction du porteur de projet": _known(FUNCTIONS.get(collectivite.type), "fonction du signataire", "plan"),
        "Intitulé du projet": _known(clean(action.titre), "intitulé du projet", "plan"),
        "Zonage spécifique : le projet est il situé dans l'une des zones suivantes ?":
            _known(zonages, "zonages (QPV, FRR…) ou « aucun »", "plan"),
        "Contractualisation : le projet est-il inscrit dans un ou plusieurs contrats avec l'Etat ?":
            _known(contracts, "contrats avec l'État (CRTE, ACV, PVD…) ou « aucun »", "plan"),
        "Date de commencement de l'opération": _known(_date_text(action.debut), "date de commencement", "plan"),
        "Date prévisionnelle d'achèvement de l'opération": _known(_date_text(action.fin), "date d'achèvement", "plan"),
        "Coût total de l'opération (en euros HT)": _known(_integer_euros(financing.budget), "coût total HT", "plan"),
        "Dispositif de financement sollicité": _known(dispositif, "DETR et/ou DSIL", "catalogue"),
        "DETR · Le projet s'inscrit-il dans une des catégories prioritaires définies par la commission "
        "départementale d'élus ?": _category_answer(dispositif, category, categories),
        "DSIL · Éligibilité de l'opération": _dsil_answer(dispositif),
        "Montant de l'aide demandée (en euros)": _amount_answer(grant, financing),
        "dont DETR": _amount_answer(grant, financing) if dispositif == "DETR" else ("", STATUS_NA, ""),
        "dont DSIL": _amount_answer(grant, financing) if dispositif == "DSIL" else ("", STATUS_NA, ""),
        "Comptez-vous solliciter d'autres aides publiques pour financer cette opération  ?":
            (" ; ".join(others) if others else marker("autres aides publiques sollicitées, ou « aucune »"),
             STATUS_FILLED if others else STATUS_MISSING, "plan de financement"),
        "La maîtrise d'ouvrage de l'opération sera-t-elle déléguée ?":
            (marker("maîtrise d'ouvrage déléguée : oui / non (et à qui)"), STATUS_MISSING, ""),
        "Le projet concourt-il aux enjeux de la transition écologique ?":
            (marker(TRANSITION_LABEL), STATUS_MISSING, ""),
        "Justifier en quelques mots.": (marker(TRANSITION_LABEL), STATUS_MISSING, ""),
        "Le projet implique-t-il une artificialisation des sols ?": (marker(ARTIFICIALISATION_LABEL), STATUS_MISSING, ""),
        "Si demandé par votre préfecture, précisez le niveau de priorité de ce dossier.":
            (marker("rang de priorité parmi les demandes de l'année"), STATUS_MISSING, ""),
        "Engagement n°1 - Non commencement de l'opération":
            ("Opération n'ayant pas connu de commencement d’exécution", STATUS_CHECK,
             "à confirmer par le signataire (article R2334-24 du CGCT)"),
    }
    other_names = [f"{line.funder} — {line.scheme_title}" for line in financing.grants
                   if line.scheme_id != main.id and _aid_label(line) == "Autre dispositif de financement"]
    if other_names:
        values["Autre dispositif de financement - Précisez le dispositif concerné"] = (
            clean(" ; ".join(other_names)), STATUS_FILLED, "plan de financement")
    for label, amount in others.items():
        values[AMOUNT_FIELDS[label]] = (amount, STATUS_FILLED if "à compléter" not in amount else STATUS_MISSING,
                                        "plan de financement")
    if collectivite.type == "epci":
        values["EPCI à fiscalité propre dont est membre la commune"] = ("", STATUS_NA, "le porteur est l'EPCI")
    # the signatory's identity, one field each (the form asks civilité, nom and prénom apart)
    signatory = {"Civilité du porteur de projet": "civilité du signataire (Madame / Monsieur)",
                 "Nom": "nom du signataire", "Prénom": "prénom du signataire"}
    out, seen_engagement = [], False
    for item in form()["fields"]:
        label = item["label"]
        if label in SKIPPED:
            continue
        conditional = _condition(label)
        if label.startswith("Engagement n°1"):
            if seen_engagement:
                continue  # the second variant is for renewed requests
            seen_engagement = True
        section = " — ".join(p for p in (item["section"], item["subsection"]) if p)
        if item["subsection"].startswith("1.a") and label in signatory:
            value, status, source = marker(signatory[label]), STATUS_MISSING, ""
        elif label in values:
            value, status, source = values[label]
        elif conditional:
            value, status, source = "", STATUS_NA, f"sauf si {conditional}"
        elif item["type"] == "PieceJustificative":
            value, status, source = marker(f"pièce à joindre : {label}", short=True), STATUS_MISSING, ""
        elif item["type"] == "Checkbox":
            value, status, source = ("à cocher par le signataire", STATUS_MISSING, item["description"])
        elif item["type"] in ("DossierLink",) or (label in AMOUNT_FIELDS.values()) or not item["required"]:
            value, status, source = ("", STATUS_NA, "") if not item["required"] else \
                (marker(label, short=True), STATUS_MISSING, "")
        else:
            where = re.sub(r"^\d\.\w\s+", "", item["subsection"]).lower()
            value, status, source = marker(f"{_short(label)} ({where})" if where else _short(label),
                                           short=True), STATUS_MISSING, ""
        if "à compléter" in value and status == STATUS_FILLED:
            status = STATUS_MISSING
        out.append(Answer(section, label, value, status, item["type"], source, list(item["options"])))
    return out


def _condition(label: str) -> str | None:
    if label in CONDITIONAL:
        return CONDITIONAL[label]
    if label == "Joindre la convention de délégation":
        return CONDITIONAL["Identification du maître d'ouvrage déléguée"]
    if label.startswith("Justificatif travaux"):
        return "le projet comprend des travaux"
    if label.startswith(("Joindre un plan de situation", "Si l’acquisition")):
        return "le projet comprend des acquisitions immobilières"
    return None


def _short(label: str) -> str:
    return re.sub(r"\s*[-?:]\s*$", "", label).strip()


def _known(value, label: str, source: str):
    if value:
        return clean(value), STATUS_FILLED, source
    return marker(label, short=True), STATUS_MISSING, ""


def _listed(action, key: str) -> str:
    value = (getattr(action, "extra", None) or {}).get(key)
    if isinstance(value, (list, tuple)):
        return " ; ".join(str(v) for v in value if str(v).strip())
    return str(value).strip() if value else ""


def _category_answer(dispositif: str, category, categories):
    if dispositif != "DETR":
        return "", STATUS_NA, "demande DSIL"
    if category is None:
        if not categories:
            return marker("catégorie prioritaire DETR du département (liste non disponible)"), STATUS_MISSING, ""
        return marker("catégorie prioritaire DETR du département (aucune ne correspond aux mots de l'action)"), \
            STATUS_MISSING, CATEGORIES_CAVEAT
    group, wording = category
    heading = f" (rubrique « {group.capitalize()} »)" if group else ""
    return (f"Oui, à vérifier : « {wording} »{heading}", STATUS_CHECK, CATEGORIES_CAVEAT)


def _dsil_answer(dispositif: str):
    if dispositif != "DSIL":
        return "", STATUS_NA, "demande DETR"
    return ("4° Développement du numérique et de la téléphonie mobile", STATUS_CHECK,
            "projet du plan numérique : à vérifier (article L2334-42 du CGCT)")


def _amount_answer(line, financing: FinancingPlan):
    if line is None or line.amount is None:
        label = next((m for m in financing.missing if line is not None and line.funder in m), "montant sollicité")
        return marker(label, short=True), STATUS_MISSING, ""
    status = STATUS_PROPOSAL if line.origin in ("proposal", "published") else STATUS_FILLED
    origin = {"stated": "taux ou montant indiqué par la collectivité",
              "published": f"taux maximal publié ({format_rate(line.rate)}) : à ajuster",
              "proposal": "taux observé sur des projets comparables : à confirmer"}.get(line.origin, "")
    return _integer_euros(line.amount), status, origin


def _aid_label(line) -> str:
    text = f"{line.funder} {line.scheme_title}"
    return next((name for name, pattern in OTHER_AIDS if pattern.search(text)), "Autre dispositif de financement")


def _other_aids(financing: FinancingPlan, main_id: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in financing.grants:
        if line.scheme_id == main_id:
            continue
        label = _aid_label(line)
        amount = _integer_euros(line.amount) if line.amount is not None else "« à compléter »"
        found[label] = amount if label not in found else f"{found[label]} + {amount}"
    return found


def json_text(items: list[Answer], meta: dict) -> str:
    data = {**meta, "formulaire": form()["source"], "adresse": FORM_URL,
            "champs": [{"section": a.section, "libelle": a.display_label, "valeur": a.text, "statut": a.status,
                        "source": a.source, **({"choix": a.options} if a.options else {})} for a in items]}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def csv_text(items: list[Answer]) -> str:
    import io
    buffer = io.StringIO()
    # ; and (at write time) a BOM: Excel in a French locale opens it in columns, accents intact
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Section", "Champ du formulaire", "Réponse", "Statut", "Source ou remarque"])
    for a in items:
        writer.writerow([a.section, a.display_label, a.text, a.status, a.source])
    return "\ufeff" + buffer.getvalue()


__all__ = ["Answer", "answers", "detr_categories", "best_category", "json_text", "csv_text", "write_form"]


def write_form(plan, action, schemes, output, *, stated=None, proposals=None, chef_de_file=None,
               exception=None, referential=None, force=False, overwrite=False, today=None):
    """Write ``output`` (.json) and the .csv beside it; [(path, fields, to complete)]."""
    from pathlib import Path

    from .render import DraftError, atomic_write_text, prepare
    output = Path(output)
    targets = [output, output.with_suffix(".csv")]
    for target in targets:
        if target.exists() and not overwrite:
            raise DraftError(f"{target} existe déjà : choisissez un autre nom avec -o ou ajoutez --ecraser")
    prepared = prepare(plan, action, schemes, chef_de_file=chef_de_file, exception=exception, today=today,
                       referential=referential, force=force, stated=stated, proposals=proposals)
    items = answers(plan, action, schemes, prepared.financing, prepared.context["_facts"])
    meta = {"collectivite": plan.collectivite.nom, "action": action.id, "projet": action.titre,
            "dispositif": schemes[0].id, "avertissements": [MARKER_RE.sub(lambda m: m.group(1), w)
                                                            for w in prepared.warnings]}
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output, json_text(items, meta))
    atomic_write_text(targets[1], csv_text(items))
    missing = sum(1 for a in items if a.status == STATUS_MISSING)
    return [(target, len(items), missing) for target in targets]
