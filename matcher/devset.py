"""The real development set: funded projects nobody on the team labelled, as matcher queries.

Built once by ``python -m aidenum.matcher.devset build SHARED_DATA`` from the open data under
``shared/data/`` (never read at evaluation or test time), it ships as two files:

- ``data/eval/reel.jsonl``: one query per line — a real funded project's title as the préfecture
  or the managing authority typed it, its real beneficiary (type, code, territory resolved through
  the territory referential), the dispositif that funded it (an ``INTERFACES.md`` label: DETR,
  DSIL, DSID, DPV, FEDER, Conseiller numérique), its topic, its split and its source;
- ``data/eval/reel-substituts.jsonl``: **stand-in** core records (``detr:<dep>``, ``dsil:<reg>``,
  ``dsid:<reg>``, ``dpv:national``, ``feder:<reg>``), written from the same facts the real core
  records of issue 12 use (the per-département DETR priority categories of the national form,
  the DSIL categories of CGCT L2334-42 as the form lists them, the FEDER 2021-2027 regional
  priorities); each has ``source = "substitut-eval"``. At evaluation a stand-in is added only when
  the evaluated catalogue has no record with its id, so the real core records replace them.

Where the queries come from (deterministic sample, ``SEED``):

- DGCL 2023 (« Projets financés par les dotations de soutien à l'investissement local »):
  ``DIGITAL_SAMPLE`` digital projects and ``OTHER_SAMPLE`` others. Digital = the folded title
  matches ``DIGITAL_RE``, a keyword list written from the README of the data (« vidéoprotection,
  écoles numériques, informatique, logiciels, wifi, téléphonie mobile, espaces numériques ») and
  never changed after looking at a ranking. Other topics: ``TOPICS``, first match wins.
- Kohesio FEDER 2021-2027 operations (``feder_fse_2021_2027_operations_sample.csv``): the FEDER
  rows of a regional programme (Interreg and FSE+ rows left out); the sample names no
  beneficiary type, so the query's applicant is an « établissement public » located at the
  operation's commune (the territory filter still applies).
- Conseiller numérique France Services structures (2021 selection committees): public structures
  whose name says commune, intercommunalité or département; the file holds no project title, so
  the query is one fixed sentence (``CNFS_TITLE``) — the label is real, the wording is not.

Relevant schemes of a query: the catalogue's records of the funding dispositif (the label in
``programmes``, or as a word of the title) that the beneficiary may apply to (``filters.check`` at
the evaluation date). Split: ``reglage`` for odd département numbers (overseas by its three
digits), ``controle`` for even ones (2A and 2B count as 2) — rankings are only ever inspected on ``reglage``.

Evidence years: DGCL 2018 and 2019 are the years the laureate signal may learn from
(``before_year=2023``); no 2018/2019 row is a query.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from aidenum.catalogue.model import Scheme
from aidenum.catalogue.vocabularies import fold

SEED = 2023
QUERY_YEAR = 2023
DIGITAL_SAMPLE = 320
OTHER_SAMPLE = 200
CNFS_SAMPLE = 60
STANDIN_SOURCE = "substitut-eval"
CNFS_TITLE = "Recrutement d'un médiateur numérique pour accompagner les habitants"
DOTATIONS = ("DETR", "DSIL", "DSID", "DPV")

# Folded titles. Written from the data's README before any ranking was looked at; not tuned.
DIGITAL_RE = re.compile(
    r"\b(numeri\w*|informati\w*|video ?protection|video ?surveillance|videoprot\w*|cameras?|wifi|wi-fi"
    r"|fibre optique|tres haut debit|thd|telephonie|logiciels?|site (internet|web)|internet|ent|tni|vpi"
    r"|tableaux? (numeriques?|interactifs?|blancs? interactifs?)|ecrans? (numeriques?|interactifs?)"
    r"|ordinateurs?|tablettes?|serveurs?|dematerialis\w*|cybersecurite|visio\w*|connecte\w*|digital\w*)\b")
TOPICS = (
    ("numerique", DIGITAL_RE),
    ("energie", re.compile(r"\b(energeti\w*|thermique|chaudiere|chauffage|photovolta\w*|solaire|isolation"
                           r"|led|eclairage|geotherm\w*|pompe a chaleur|menuiseries?)\b")),
    ("ecoles-enfance", re.compile(r"\b(ecoles?|scolaires?|groupe scolaire|cantine|periscolaire|creche"
                                  r"|petite enfance|college|classes?|restauration scolaire)\b")),
    ("voirie-mobilite", re.compile(r"\b(voirie|voies?|routes?|chemins?|trottoirs?|pistes? cyclables?|parking"
                                   r"|stationnement|pont|carrefour|ralentisseurs?|mobilite|cheminements?)\b")),
    ("eau-assainissement", re.compile(r"\b(eau potable|assainissement|pluvial\w*|eaux|station d'epuration"
                                      r"|reseaux? d'eau|reservoir|captage)\b")),
    ("securite-accessibilite", re.compile(r"\b(accessibilite|pmr|mise aux normes|securisation|securite"
                                          r"|defense incendie|incendie)\b")),
    ("sport-culture-patrimoine", re.compile(r"\b(sport\w*|gymnase|stade|salle des fetes|salle polyvalente"
                                            r"|bibliotheque|mediatheque|culturel\w*|eglise|patrimoine|lavoir"
                                            r"|monument)\b")),
)
OTHER_TOPIC = "autre"
SPLITS = ("reglage", "controle")
SPLIT_LABELS = {"reglage": "réglage (départements impairs)", "controle": "contrôle (départements pairs)"}
_DGCL_TYPES = {"commune": "commune", "epci": "epci", "departement": "department"}
_CNFS_TYPES = (("department", re.compile(r"^(departement|conseil departemental)\b")),
               ("epci", re.compile(r"^(communaute|cc|ca|cu|metropole)\b")),
               ("commune", re.compile(r"^(commune|mairie|ville)\b")))


def topic_of(title: str) -> str:
    folded = fold(title)
    for name, pattern in TOPICS:
        if pattern.search(folded):
            return name
    return OTHER_TOPIC


def split_of(departement: str) -> str:
    digits = re.sub(r"\D", "", departement) or "1"
    return "reglage" if int(digits) % 2 else "controle"


# -- the queries ---------------------------------------------------------------------------------
@dataclass
class Query:
    id: str
    title: str
    dispositif: str
    applicant: dict            # nom, type, code, territory, departement, region
    topic: str
    split: str
    source: str
    year: int

    def collectivite(self):
        from .plan import Collectivite
        a = self.applicant
        return Collectivite(nom=a["nom"], type=a["type"], code=a.get("code"), territory=a.get("territory"),
                            departement=a.get("departement"), region=a.get("region"))


def _place(referential, territory: str) -> tuple[str | None, str | None]:
    dep = referential.department_of(territory)
    reg = referential.region_of(territory)
    return (dep.split(":")[1] if dep else None), (reg.split(":")[1] if reg else None)


def _dgcl_queries(path: Path, referential) -> list[Query]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    out = []
    for number, row in enumerate(rows, start=2):
        kind = _DGCL_TYPES.get(row["beneficiaire_type"].strip())
        title = " ".join(row["intitule"].split())
        dep = row["beneficiaire_dep"].strip().lstrip("0").rjust(2, "0")
        if not kind or not title or row["dispositif"] not in DOTATIONS:
            continue
        code = {"commune": row["beneficiaire_code_insee"].strip(), "epci": row["beneficiaire_siren"].strip(),
                "department": dep}[kind]
        territory = {"commune": f"COM:{code}", "epci": f"EPCI:{code}", "department": f"DEP:{code}"}[kind]
        if territory not in referential.territories:
            territory = f"DEP:{dep}" if f"DEP:{dep}" in referential.territories else None
        if territory is None:
            continue
        departement, region = _place(referential, territory)
        applicant = {"nom": row["beneficiaire_nom"].strip(), "type": kind, "code": code,
                     "territory": territory, "departement": departement, "region": region}
        out.append(Query(f"dgcl{QUERY_YEAR}-{number}", title, row["dispositif"], applicant, topic_of(title),
                         split_of(departement or dep), "dgcl", QUERY_YEAR))
    return out


def _kohesio_queries(path: Path, referential) -> list[Query]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        if row["fund"] != "FEDER" or not row["programme"].startswith("Programme "):
            continue
        territory = f"COM:{row['commune_insee']}"
        if territory not in referential.territories:
            continue
        departement, region = _place(referential, territory)
        title = " ".join(row["operation_name"].split()).rstrip("…")
        applicant = {"nom": referential.territories[territory].name, "type": "public-org", "code": None,
                     "territory": territory, "departement": departement, "region": region}
        out.append(Query(f"kohesio-{row['kohesio_id']}", title, "FEDER", applicant, topic_of(title),
                         split_of(departement or ""), "kohesio", int(row["start_date"][:4] or 0)))
    return out


def _cnfs_queries(path: Path, referential) -> list[Query]:
    out = []
    for row in json.loads(path.read_text(encoding="utf-8")):
        if row.get("type") != "publique":
            continue
        name = " ".join(str(row.get("raison_sociale", "")).split())
        folded = fold(name)
        kind = next((k for k, pattern in _CNFS_TYPES if pattern.search(folded)), None)
        if kind is None:
            continue
        siren = str(row.get("siret", ""))[:9]
        insee = str(row.get("insee_com") or "")
        territory = {"epci": f"EPCI:{siren}", "commune": f"COM:{insee}",
                     "department": f"DEP:{row.get('insee_dep', '')}"}[kind]
        if territory not in referential.territories:
            continue
        departement, region = _place(referential, territory)
        applicant = {"nom": name, "type": kind, "code": territory.split(":")[1], "territory": territory,
                     "departement": departement, "region": region}
        out.append(Query(f"cnfs-{row['id']}", CNFS_TITLE, "Conseiller numérique", applicant, "numerique",
                         split_of(departement or ""), "cnfs", 2021))
    return out


def build_queries(shared: Path, referential) -> list[Query]:
    rng = random.Random(SEED)
    dgcl = _dgcl_queries(shared / "laureates" / f"dgcl-liste-projets-dotations-investissement-local-{QUERY_YEAR}.csv",
                         referential)
    digital = [q for q in dgcl if q.topic == "numerique"]
    other = [q for q in dgcl if q.topic != "numerique"]
    chosen = rng.sample(digital, min(DIGITAL_SAMPLE, len(digital))) + rng.sample(other, min(OTHER_SAMPLE, len(other)))
    chosen += _kohesio_queries(shared / "funded-projects" / "feder_fse_2021_2027_operations_sample.csv", referential)
    cnfs = _cnfs_queries(shared / "laureates" / "anct_cnfs_structures_2021.json", referential)
    chosen += rng.sample(cnfs, min(CNFS_SAMPLE, len(cnfs)))
    return sorted(chosen, key=lambda q: q.id)


# -- stand-in core records -----------------------------------------------------------------------
_DSIL_CATEGORIES_LABEL = "DSIL · Éligibilité de l'opération"
_FEDER_PRIORITIES = ("très haut débit", "usages numériques de la population et des entreprises",
                     "inclusion numérique", "valorisation et sécurisation de la donnée")


def _form_options(form: dict, label: str) -> list[str]:
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("label") == label and node.get("options"):
                found.extend(node["options"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(form)
    return found


def _clean_option(text: str) -> str:
    return re.sub(r"\s*TEST\s*!+", "", text).strip(" -;.")


def build_standins(shared: Path, referential) -> list[Scheme]:
    """Minimal core records from the same facts as issue 12's real ones (see module doc)."""
    forms = shared / "forms"
    categories: dict[str, list[tuple[str, str]]] = defaultdict(list)
    names: dict[str, str] = {}
    with open(forms / "detr_categories_prioritaires_par_departement_ds131016.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            dep = row["departement"].strip()
            names[dep] = row["nom_departement"].strip()
            categories[dep].append((row["groupe"].strip(), _clean_option(row["categorie"])))
    form = json.loads((forms / "ds_demarche_detr_dsil_131016_gsl_fixture.json").read_text(encoding="utf-8"))
    dsil_categories = [_clean_option(o) for o in _form_options(form, _DSIL_CATEGORIES_LABEL)]
    common = dict(source=STANDIN_SOURCE, aid_types=["grant"], destinations=["investment"], recurrence="recurring",
                  licence="Substitut du jeu d'évaluation (issue 10), en attendant les fiches de l'issue 12")
    out = []
    deps = sorted(c.split(":")[1] for c in referential.territories if c.startswith("DEP:"))
    for dep in deps:
        label = referential.territories[f"DEP:{dep}"].name
        lines = [f"{group.capitalize()} : {cat}" for group, cat in categories.get(dep, [])]
        description = ("Dotation d'équipement des territoires ruraux : subventions d'investissement de l'État "
                       "aux communes et EPCI éligibles, attribuées par le préfet de département après avis de la "
                       "commission d'élus.")
        if lines:
            description += " Catégories prioritaires 2025-2026 (formulaire national, à vérifier) :\n- " + "\n- ".join(lines)
        out.append(Scheme(id=f"detr:{dep}", title=f"DETR {label} — dotation d'équipement des territoires ruraux",
                          description=description, programmes=["DETR"], beneficiaries=["commune", "epci"],
                          funders=[f"État — préfecture ({label})"], perimeter=f"DEP:{dep}", **common))
    regions = sorted(c.split(":")[1] for c in referential.territories if re.fullmatch(r"REG:\d\d", c))
    for reg in regions:
        label = referential.territories[f"REG:{reg}"].name
        out.append(Scheme(
            id=f"dsil:{reg}", title=f"DSIL {label} — dotation de soutien à l'investissement local",
            description="Dotation de soutien à l'investissement local (article L2334-42 du CGCT), décidée par le "
                        "préfet de région. Catégories d'opérations éligibles :\n- " + "\n- ".join(dsil_categories),
            programmes=["DSIL"], beneficiaries=["commune", "epci"], funders=[f"État — préfecture de région ({label})"],
            perimeter=f"REG:{reg}", **common))
        out.append(Scheme(
            id=f"dsid:{reg}", title=f"DSID {label} — dotation de soutien à l'investissement des départements",
            description="Dotation de soutien à l'investissement des départements : subventions de l'État aux "
                        "projets d'investissement des départements, attribuées par le préfet de région.",
            programmes=["DSID"], beneficiaries=["department"], funders=[f"État — préfecture de région ({label})"],
            perimeter=f"REG:{reg}", **common))
        out.append(Scheme(
            id=f"feder:{reg}", title=f"FEDER {label} 2021-2027 — programme régional",
            description="Fonds européen de développement régional, programme 2021-2027 géré par la région. "
                        "Priorités numériques régionales :\n- " + "\n- ".join(_FEDER_PRIORITIES),
            programmes=["FEDER"], beneficiaries=["commune", "epci", "department", "region", "public-org",
                                                 "association", "private-sector"],
            funders=[f"Union européenne — région ({label})"], perimeter=f"REG:{reg}", **common))
    out.append(Scheme(
        id="dpv:national", title="DPV — dotation politique de la ville",
        description="Dotation politique de la ville : subventions de l'État aux communes ayant des quartiers "
                    "prioritaires de la politique de la ville, pour leurs projets d'investissement et d'actions.",
        programmes=["DPV"], beneficiaries=["commune", "epci"], funders=["État"], perimeter="FR", **common))
    return out


# -- reading the shipped files -------------------------------------------------------------------
@dataclass
class DevSet:
    queries: list[Query]
    standins: list[Scheme] = field(default_factory=list)
    source: str = ""


def load(path: str | Path) -> DevSet:
    from .plan import PlanError
    path = Path(path)
    if not path.exists():
        raise PlanError(f"jeu réel introuvable : {path}")
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            queries.append(Query(**json.loads(line)))
    standins_path = path.with_name(path.stem + "-substituts.jsonl")
    standins = []
    if standins_path.exists():
        standins = [Scheme.from_dict(json.loads(line)) for line in
                    standins_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return DevSet(queries, standins, path.name)


def is_of(scheme: Scheme, label: str) -> bool:
    """The scheme belongs to the dispositif ``label``: in its programmes, or a word of its title."""
    if label in scheme.programmes:
        return True
    title = fold(" ".join((scheme.title, scheme.name_initial)))
    return re.search(rf"(?<![\w-]){re.escape(fold(label))}(?![\w-])", title) is not None


# -- evaluation ----------------------------------------------------------------------------------
@dataclass
class QueryResult:
    query: Query
    ranked: list[str]
    relevant: set[str]
    dotations: frozenset = frozenset()   # the general dotations (DETR, DSIL, DSID, DPV) open to the applicant

    @property
    def hit3(self) -> float:
        return float(bool(self.relevant.intersection(self.ranked[:3])))

    @property
    def top1(self) -> float:
        return float(bool(self.ranked) and self.ranked[0] in self.relevant)

    @property
    def ndcg(self) -> float:
        gains = sum(1 / math.log2(r + 1) for r, s in enumerate(self.ranked[:10], start=1) if s in self.relevant)
        ideal = sum(1 / math.log2(r + 1) for r in range(1, min(len(self.relevant), 10) + 1))
        return gains / ideal if ideal else 0.0


@dataclass
class RealReport:
    mode: str
    results: list[QueryResult]
    unanswerable: int = 0

    def rows(self, split=None, topic=None, source=None):
        return [r for r in self.results if (split is None or r.query.split == split)
                and (topic is None or r.query.topic == topic) and (source is None or r.query.source == source)]

    def summary(self, **selection) -> dict:
        rows = self.rows(**selection)
        dgcl = [r for r in rows if r.query.source == "dgcl"]
        return {"queries": len(rows),
                "r3": mean(r.hit3 for r in rows) if rows else 0.0,
                "top1": mean(r.top1 for r in rows) if rows else 0.0,
                "ndcg": mean(r.ndcg for r in rows) if rows else 0.0,
                "empty": mean(not r.ranked for r in rows) if rows else 0.0,
                "dotation3": mean(bool(r.dotations.intersection(r.ranked[:3])) for r in dgcl) if dgcl else 0.0}


def with_standins(schemes: dict[str, Scheme], devset: DevSet) -> list[Scheme]:
    """The stand-ins the catalogue lacks (by id)."""
    return [s for s in devset.standins if s.id not in schemes]


def evaluate(devset: DevSet, matcher, schemes: dict[str, Scheme], referential, today: dt.date,
             mode: str = "full") -> RealReport:
    from . import filters
    from .plan import Action
    by_label = {label: [s for s in schemes.values() if is_of(s, label)]
                for label in {q.dispositif for q in devset.queries}}
    dotations = [s for s in schemes.values() if any(is_of(s, d) for d in DOTATIONS)]
    results, unanswerable = [], 0
    for query in devset.queries:
        matcher.before_year = query.year   # evidence from earlier years only
        collectivite = query.collectivite()
        applicant = filters.Applicant.from_collectivite(collectivite)
        relevant = {s.id for s in by_label[query.dispositif]
                    if filters.check(s, applicant, referential, today).ok}
        if not relevant:
            unanswerable += 1
            continue
        matches = matcher.match_action(collectivite, Action(id=query.id, titre=query.title), top=10, today=today)
        open_dotations = frozenset(s.id for s in dotations if filters.check(s, applicant, referential, today).ok)
        results.append(QueryResult(query, [m.scheme.id for m in matches], relevant, open_dotations))
    return RealReport(mode, results, unanswerable)


def run(devset: DevSet, schemes: list[Scheme], referential, today: dt.date, modes=("full", "naive"),
        laureates: Path | None = None) -> list[RealReport]:
    """Evaluate on ``schemes`` plus the stand-ins they lack, in a temporary catalogue (the user's
    catalogue never receives a stand-in). ``laureates`` (a file ``aidenum laureats import`` reads,
    e.g. ``data/laureates-dgcl.jsonl.gz``) feeds the funded-projects signal, each query seeing only
    the years before its own (``Matcher.before_year``)."""
    import tempfile

    from aidenum.catalogue import store
    from aidenum.catalogue import laureates as laureate_store

    from .engine import Matcher
    with tempfile.TemporaryDirectory(prefix="aidenum-reel-") as temporary:
        home = Path(temporary)
        schemes = list(schemes)
        by_id = {s.id: s for s in schemes}
        added = with_standins(by_id, devset)
        with store.Catalogue(home / store.DB_NAME) as catalogue:
            store.upsert_all(catalogue, "eval", [*schemes, *added])
            every = {s.id: s for s in catalogue.all()}
        if laureates:
            with laureate_store.LaureateStore(home / laureate_store.DB_NAME) as projects:
                projects.import_file(laureates)
        reports = []
        for mode in modes:
            matcher = Matcher(home=home, mode=mode, referential=referential)
            matcher.ensure_index()
            reports.append(evaluate(devset, matcher, every, referential, today, mode))
            matcher.index.close()
        return reports


def _num(value: float) -> str:
    return f"{value:.3f}".replace(".", ",")


def report_table(devset: DevSet, reports: list[RealReport]) -> str:
    names = {"full": "aidenum (complet)", "naive": "référence naïve"}
    first = reports[0]
    sources = Counter(r.query.source for r in first.results)
    lines = [f"Jeu réel {devset.source} : {len(first.results)} projets financés ({sources.get('dgcl', 0)} DGCL "
             f"{QUERY_YEAR}, {sources.get('kohesio', 0)} opérations FEDER Kohesio, {sources.get('cnfs', 0)} structures "
             f"Conseiller numérique){f', {first.unanswerable} sans dispositif accessible écartés' if first.unanswerable else ''}",
             "Réponse attendue : le dispositif qui a financé le projet, parmi les fiches du catalogue évalué.",
             "Source : DGCL, projets financés par les dotations de soutien à l'investissement local (Licence "
             "Ouverte) ; Kohesio ; ANCT Conseillers numériques.", ""]
    header = f"{'':44} {'mode':18} {'requêtes':>8} {'R@3':>6} {'top-1':>6} {'nDCG@10':>8} {'vide':>6} {'dotation@3':>10}"
    lines.append(header)

    def row(label, **selection):
        for report in reports:
            s = report.summary(**selection)
            if not s["queries"]:
                continue
            lines.append(f"{label[:44]:44} {names.get(report.mode, report.mode)[:18]:18} {s['queries']:>8} "
                         f"{_num(s['r3']):>6} {_num(s['top1']):>6} {_num(s['ndcg']):>8} {_num(s['empty']):>6} "
                         f"{_num(s['dotation3']):>10}")
    row("tout")
    for split in SPLITS:
        row(SPLIT_LABELS[split], split=split)
    lines += ["", "Par thème (DGCL, Kohesio et CnFS confondus) :"]
    for topic in [t for t, _ in TOPICS] + [OTHER_TOPIC]:
        for split in SPLITS:
            row(f"{topic} — {split}", topic=topic, split=split)
    lines += ["", "Par source :"]
    for source in ("dgcl", "kohesio", "cnfs"):
        row(source, source=source)
    return "\n".join(lines)


def report_payload(reports: list[RealReport]) -> dict:
    topics = [t for t, _ in TOPICS] + [OTHER_TOPIC]
    return {report.mode: {"summary": report.summary(),
                          "splits": {s: report.summary(split=s) for s in SPLITS},
                          "topics": {t: {s: report.summary(topic=t, split=s) for s in SPLITS} for t in topics},
                          "sources": {s: report.summary(source=s) for s in ("dgcl", "kohesio", "cnfs")},
                          "unanswerable": report.unanswerable}
            for report in reports}


# -- building the shipped files ------------------------------------------------------------------
def write(shared: Path, out: Path) -> tuple[int, int]:
    from aidenum.catalogue import territory
    referential = territory.load()
    queries = build_queries(shared, referential)
    standins = build_standins(shared, referential)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(q.__dict__, ensure_ascii=False) + "\n" for q in queries), encoding="utf-8")
    out.with_name(out.stem + "-substituts.jsonl").write_text(
        "".join(json.dumps(s.to_dict(with_raw=False), ensure_ascii=False, default=str) + "\n" for s in standins),
        encoding="utf-8")
    return len(queries), len(standins)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "build":
        print("usage : python -m aidenum.matcher.devset build SHARED_DATA [SORTIE.jsonl]", file=sys.stderr)
        return 2
    from .evaluate import __file__ as here
    out = Path(argv[2]) if len(argv) > 2 else Path(here).resolve().parent.parent / "data" / "eval" / "reel.jsonl"
    count, standins = write(Path(argv[1]), out)
    print(f"{out} : {count} requêtes, {standins} fiches de substitution")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
