"""Similar funded projects: « did it fund projects like mine, near me, and how much? »

``SimilarProjects.open()`` reads the laureates store (``catalogue/laureates.py``) and keeps a
derived full-text index in the same SQLite file: an FTS5 table of analysed title terms, rebuilt
when the store changed (its ``generation``) or the analysis did (``INDEX_VERSION``). Opening
costs a connection and two small queries, so ``aidenum match`` starts as fast as before; the
vocabulary's document frequencies are read on the first search.

Text: the matcher's French analysis (``matcher/analysis.py``) after a normalisation step for the
way préfectures type titles — capitals, no accents, abbreviations and split compounds
(« VIDEO PROTECTION », « video-protection », « TNI », « amgt »): everything is folded to lower
case first (both sides alike, so an all-capital title stems like a typed one), then the variants
in ``_VARIANTS`` are rewritten to one form.

Scoring of a funded project for a query: cosine of the query's weighted term vector and the
project's binary tf-idf vector (``similarity``, 0..1), times a proximity weight (same commune >
same EPCI > département > région > France) and a recency weight. FTS5 only picks candidates
(best bm25 nationally, in the applicant's département and in its région); the scoring is done on
those in Python.

Evidence per dispositif counts the *comparable* projects (similarity ≥ ``COMPARABLE``) in the
narrowest scope holding at least ``MIN_EVIDENCE`` of them: the département, else the région,
else France; the sentence names that scope.

Threads: one ``SimilarProjects`` may serve the web app's threads. Each thread reads through its
own SQLite connection (a connection is not shared between threads); the in-memory caches are
guarded by a lock.
"""
from __future__ import annotations

import re
import sqlite3
import statistics
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from math import log, sqrt
from pathlib import Path

from aidenum.catalogue import laureates as store_module
from aidenum.catalogue.formatting import NBSP, amount_fr, percent_fr
from aidenum.catalogue.vocabularies import fold
from .analysis import ANALYZER_VERSION, analyze

NORMALISATION_VERSION = 1
INDEX_SCHEMA_VERSION = 5       # 4: DGCL rows never merged with each other; 5: evidence facts in the index
INDEX_VERSION = f"{ANALYZER_VERSION}.{NORMALISATION_VERSION}.{INDEX_SCHEMA_VERSION}"

# Variants seen in the DGCL titles (2018, 2019, 2023), on folded lower-case text.
_VARIANTS = [
    (re.compile(r"\bvideo[\s-]*(?:protection|surveill?ance)s?\b"), "videoprotection"),
    (re.compile(r"\bvideo[\s-]*projecteur(s?)\b"), r"videoprojecteur\1"),
    (re.compile(r"\bvideo[\s-]*projection\b"), "videoprojection"),
    (re.compile(r"\bwi[\s-]fi\b"), "wifi"),
    (re.compile(r"\btni\b"), "tableau numerique interactif"),
    (re.compile(r"\btbi\b"), "tableau blanc interactif"),
    (re.compile(r"\bvpi\b"), "videoprojecteur interactif"),
    (re.compile(r"\bamgt\b|\bamenagt\b"), "amenagement"),
    (re.compile(r"\bequipt\b|\bequip\b"), "equipement"),
    (re.compile(r"\bnumeriq\b|\bnum\."), "numerique"),
    (re.compile(r"\binform\.|\binfo\b"), "informatique"),
    (re.compile(r"\bacq\."), "acquisition"),
    (re.compile(r"\bsite web\b"), "site internet"),
    (re.compile(r"\bcyber[\s-]securite\b"), "cybersecurite"),
]

# Weights (see module doc). Proximity: a project of the applicant's own commune is the best
# evidence, its EPCI's nearly as good; national figures still say something.
PROXIMITY = {"commune": 1.0, "intercommunalité": 0.9, "département": 0.8, "région": 0.6, "France": 0.45}
RECENCY_PER_YEAR = 0.92       # weight of a project one year older
COMPARABLE = 0.30             # similarity for a project to count as evidence
MIN_SIMILARITY = 0.15         # below this a project is not shown at all
MIN_EVIDENCE = 3              # comparable projects needed before a scope is used
GENERIC_SHARE = 0.03          # a term in more than 3 % of the projects (« travaux ») weighs little and
                              # does not fetch candidates…
FETCH_ALWAYS = 1000           # …unless it is in fewer projects than this: fetching them is cheap, and in a
                              # small store (one département) 3 % is a handful of projects
GENERIC_FACTOR = 0.3
MAX_QUERY_TERMS = 16
CONCEPT_BOOST = 2.0           # a term of a thesaurus concept found in the action
SYNONYM_WEIGHT = 0.5          # a synonym brought by the thesaurus
CANDIDATES = {"FR": 200, "REG": 150, "DEP": 150}
MATCH_TERMS = 6               # the strongest query terms fetch candidates; all of them score
SHOWN_MAX = 100               # search() results available beyond the comparable projects
CACHE_SIZE = 64               # search, evidence and rate_proposal of one action share one scoring
PUBLIC_CAP_DEFAULT = Decimal(80)

_ARTICLES = {"FEDER": "le FEDER", "FSE+": "le FSE+", "FNADT": "le FNADT", "FIPD": "le FIPD",
             "Conseiller numérique": "le dispositif Conseiller numérique",
             "France services": "le programme France services", "Banque des Territoires": "la Banque des Territoires",
             "France Num": "France Num"}


def normalise(text: str) -> str:
    """Fold case and accents, then rewrite the title variants to one form."""
    text = fold(text or "")
    for pattern, replacement in _VARIANTS:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=200_000)
def _chunk_terms(chunk: str) -> tuple[str, ...]:
    return tuple(analyze(chunk, mode="query"))


def terms(text: str) -> list[str]:
    """Analysed terms of a title or an action text. Words never span whitespace in the
    analyzer's tokenizer, so analysing chunk by chunk (cached) gives the same terms, fast."""
    return [t for chunk in normalise(text).split() for t in _chunk_terms(chunk)]


# -- results -------------------------------------------------------------------------------------

@dataclass
class FundedProject:
    title: str
    dispositif: str
    year: int
    beneficiary: str
    place: str                    # « Bourg-en-Bresse (01) »
    insee: str | None
    siren: str | None
    departement: str | None
    region: str | None
    cost: float | None            # euros HT
    grant: float | None           # euros
    rate: float | None            # percent
    score: float                  # similarity × proximity × recency
    proximity: str                # commune, intercommunalité, département, région, France
    similarity: float = 0.0
    source: str = ""
    id: int = 0

    def as_dict(self) -> dict:
        return {**{name: getattr(self, name) for name in _STORED_FIELDS}, "score": round(self.score, 4),
                "similarity": round(self.similarity, 4), "proximity": self.proximity, "source": self.source}


# What a FundedProject takes from its laureates row, in the order of its JSON (``as_dict``).
_STORED_FIELDS = ("title", "dispositif", "year", "beneficiary", "place", "insee", "siren", "departement", "region",
                  "cost", "grant", "rate")
# Of these, what scoring and evidence need is kept in the term index (read with the candidates);
# the rest is read from the laureates for the projects shown only (a cold process pays a disk
# read per row: ~13 ms an action when every candidate's row was read).
_INDEX_FACTS = ("dispositif", "year", "departement", "region", "rate", "grant")
_DETAIL_FIELDS = ("title", "beneficiary", "place", "insee", "siren", "cost", "source")


@dataclass
class DispositifEvidence:
    dispositif: str
    count: int
    median_rate: float | None
    q1_rate: float | None
    q3_rate: float | None
    median_grant: float | None
    q1_grant: float | None
    q3_grant: float | None
    scope: str                    # DEP:01, REG:84, FR
    place_label: str              # « dans l'Ain »
    years: list[int]
    sentence: str
    weight: float = 0.0           # sum of the comparable projects' scores (ranks dispositifs)
    rates_count: int = 0          # projects with a known rate (the cost may be missing)
    examples: list[FundedProject] = field(default_factory=list)

    def as_dict(self) -> dict:
        keys = ("dispositif", "count", "median_rate", "q1_rate", "q3_rate", "median_grant", "q1_grant",
                "q3_grant", "scope", "place_label", "years", "sentence")
        return {key: getattr(self, key) for key in keys}


@dataclass
class RateProposal:
    rate: Decimal                 # percent, e.g. Decimal("30")
    basis: str                    # « proposition : 30 %, taux médian de 23 projets … — à confirmer »
    dispositif: str
    evidence: DispositifEvidence
    observed: float               # the observed median rate, before any cap
    capped_by: str | None = None  # "plafond du dispositif" or the CGCT cap sentence


@dataclass(frozen=True)
class _Place:
    insee: str | None = None
    epci: str | None = None
    departement: str | None = None
    region: str | None = None


# -- the look-up ---------------------------------------------------------------------------------

INDEX_SCHEMA = """
CREATE VIRTUAL TABLE similar_terms USING fts5(terms, zone, norm UNINDEXED, dispositif UNINDEXED, year UNINDEXED,
                                              departement UNINDEXED, region UNINDEXED, rate UNINDEXED,
                                              grant UNINDEXED, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE similar_df (term TEXT PRIMARY KEY, df INTEGER) WITHOUT ROWID
"""
_ROW_COLUMNS = ("id", *_DETAIL_FIELDS)


class SimilarProjects:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self.db.executescript(store_module.SCHEMA + "CREATE TABLE IF NOT EXISTS similar_meta (key TEXT PRIMARY KEY, value TEXT);")
        self._df: dict[str, int] = {}
        self._docs = 0
        self._referential = None
        self._year_list: list[int] | None = None
        self._cache: dict[tuple, list[FundedProject]] = {}

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on its first use)."""
        connection = getattr(self._local, "db", None)
        if connection is None:
            # check_same_thread off only so that close() may close every thread's connection;
            # each is used by the thread that opened it.
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA cache_size = -65536")  # 64 MB: the FTS index stays in memory once read
            self._local.db = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @classmethod
    def open(cls, home: Path | str | None = None) -> "SimilarProjects | None":
        """The look-up over ``home``'s laureates, index rebuilt if stale; None when no laureates."""
        folder = Path(home) if home else store_module.home()
        path = folder / store_module.DB_NAME
        if not path.is_file():
            return None
        instance = cls(path)
        if instance.db.execute("SELECT 1 FROM laureates LIMIT 1").fetchone() is None:  # count(*) reads the table
            instance.close()
            return None
        instance.ensure_index()
        return instance

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    # -- index ------------------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM similar_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _generation(self) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return row[0] if row else "0"

    def ensure_index(self, force: bool = False) -> int | None:
        """Rebuild the term index when stale; returns the number of indexed projects if rebuilt."""
        stamp = f"{INDEX_VERSION}/{self._generation()}"
        if not force and self._meta("stamp") == stamp:
            return None
        return self._rebuild(stamp)

    def _rebuild(self, stamp: str) -> int:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in ("similar_vocab", "similar_terms", "similar_df"):
                db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in INDEX_SCHEMA.strip().split(";\n"):
                db.execute(statement)
            dgcl_keys: set[tuple] = set()
            docs: list[tuple] = []
            # DGCL lists first: the ANCT versions of the same years repeat their projects (an ANCT
            # row that matches a DGCL one is left out); two DGCL rows are two projects.
            cursor = db.execute("SELECT id, title, year, dispositif, departement, region, insee, epci, grant, "
                                "source, rate FROM laureates ORDER BY source <> 'dgcl', id")
            for id_, title, year, dispositif, dep, region, insee, epci, grant, source, rate in cursor:
                key = (year, dispositif, dep, round(grant or 0), re.sub(r"[^a-z0-9]", "", fold(title))[:30])
                if source == "dgcl":
                    dgcl_keys.add(key)
                elif key in dgcl_keys:
                    continue
                docs.append((id_, sorted(set(terms(title))), _zone(year, dep, region, insee, epci),
                             (dispositif, year, dep, region, rate, grant)))
            frequencies = Counter(t for _, doc_terms, _, _ in docs for t in doc_terms)
            self._df, self._docs = dict(frequencies), len(docs) or 1
            db.executemany("INSERT INTO similar_df VALUES (?, ?)", frequencies.items())
            db.executemany(f"INSERT INTO similar_terms (rowid, terms, zone, norm, {', '.join(_INDEX_FACTS)}) "
                           f"VALUES ({', '.join('?' * (4 + len(_INDEX_FACTS)))})",
                           ((id_, " ".join(doc_terms), zone, round(sqrt(sum(self._idf(t) ** 2 for t in doc_terms)), 6),
                             *facts) for id_, doc_terms, zone, facts in docs))
            db.execute("INSERT OR REPLACE INTO similar_meta VALUES ('docs', ?)", (str(len(docs)),))
            # the years, kept here: reading them from the laureates is a scan of the whole table
            years = sorted({facts[1] for _, _, _, facts in docs})
            db.execute("INSERT OR REPLACE INTO similar_meta VALUES ('years', ?)", (" ".join(map(str, years)),))
            db.execute("INSERT OR REPLACE INTO similar_meta VALUES ('stamp', ?)", (stamp,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        with self._lock:
            self._df, self._year_list = {}, None
            self._cache.clear()
        return len(docs)

    def _frequency(self, term: str) -> int:
        """Number of indexed projects holding ``term`` (read once per term)."""
        df = self._df.get(term)
        if df is None:
            if not self._docs:
                self._docs = int(self._meta("docs") or 1)
            row = self.db.execute("SELECT df FROM similar_df WHERE term = ?", (term,)).fetchone()
            df = self._df[term] = row[0] if row else 0
        return df

    def _generic(self, term: str) -> bool:
        return self._frequency(term) > self._docs * GENERIC_SHARE

    def _idf(self, term: str) -> float:
        df = self._frequency(term)
        weight = log(1 + self._docs / (df or 1))
        return weight * GENERIC_FACTOR if self._generic(term) else weight

    # -- applicant --------------------------------------------------------------------------------
    def _place(self, applicant) -> _Place | None:
        """Collectivite (plans), a territory code (« DEP:01 », « COM:01053 ») or None."""
        if applicant is None:
            return None
        code = applicant if isinstance(applicant, str) else getattr(applicant, "territory", None)
        if not code:
            dep = getattr(applicant, "departement", None)
            region = getattr(applicant, "region", None)
            return _Place(departement=dep, region=region) if dep or region else None
        ref = self._territories()
        if code not in ref.territories:
            return None
        dep = ref.department_of(code)
        region = ref.region_of(code)
        insee = code[4:] if code.startswith("COM:") else None
        epci = code[5:] if code.startswith("EPCI:") else next(
            (p[5:] for p in ref.parents.get(code, ()) if p.startswith("EPCI:")), None) if insee else None
        return _Place(insee, epci, dep[4:] if dep else None, region[4:] if region else None)

    # -- search -----------------------------------------------------------------------------------
    def _query(self, text: str) -> dict[str, float]:
        """Query term -> weight (idf). A term of a thesaurus concept found in the text weighs
        more than a passing word (« vidéoprotection » over « abords »); the single-word
        synonyms of an aidenum concept join the query at a lower weight (« guichet numérique »
        brings « dématérialisation », « téléservice »)."""
        stems = terms(text)
        weights: dict[str, float] = {}
        for term in stems:
            if term not in weights and self._frequency(term):
                weights[term] = self._idf(term)
        found, expansions = _thesaurus().expand(stems)
        boosted: set[str] = set()
        for phrase, concept in found:
            if not concept.weak:
                boosted.update(t for t in phrase.stems if t in weights)
        for term in boosted:
            weights[term] *= CONCEPT_BOOST
        for expansion in expansions:
            stems_ = expansion.phrase.stems
            if expansion.broader or expansion.concept.weak or not expansion.concept.group or len(stems_) != 1:
                continue
            if stems_[0] not in weights and self._frequency(stems_[0]):
                weights[stems_[0]] = self._idf(stems_[0]) * SYNONYM_WEIGHT
        best = sorted(weights.items(), key=lambda item: -item[1])[:MAX_QUERY_TERMS]
        return dict(best)

    def _candidates(self, query: dict[str, float], place: _Place | None,
                    before_year: int | None) -> dict[int, tuple]:
        """rowid -> (terms, zone, norm, *_INDEX_FACTS) of the best bm25 matches in France, the
        département, the région.
        Terms found in many projects are left out of the match expression when others remain
        (they still count in the similarity): matching « école » alone means thousands of rows."""
        by_rarity = sorted(query, key=self._frequency)
        specific = ([t for t in by_rarity if not self._generic(t) or self._frequency(t) <= FETCH_ALWAYS]
                    or by_rarity[:3])
        specific = sorted(specific, key=lambda t: -query[t])[:MATCH_TERMS]
        match = "terms : (" + " OR ".join(f'"{term}"' for term in specific) + ")"
        if before_year:
            years = [y for y in self._years() if y < before_year]
            if not years:
                return {}
            match += " AND zone : (" + " OR ".join(f"y{y}" for y in years) + ")"
        scopes = [("", CANDIDATES["FR"])]
        if place and place.departement:
            scopes.append((f" AND zone : d{place.departement.lower()}", CANDIDATES["DEP"]))
        if place and place.region:
            scopes.append((f" AND zone : r{place.region}", CANDIDATES["REG"]))
        found: dict[int, tuple] = {}
        for clause, limit in scopes:
            sql = (f"SELECT rowid, terms, zone, norm, {', '.join(_INDEX_FACTS)} FROM similar_terms "
                   f"WHERE similar_terms MATCH ? ORDER BY bm25(similar_terms, 1.0, 0.0) LIMIT {limit}")
            rows = self.db.execute(sql, (match + clause,)).fetchall()
            for rowid, *values in rows:
                found.setdefault(rowid, values)
            if not clause and len(rows) < limit:
                break   # France gave every matching project: the local scopes are subsets of it
        return found

    def _years(self) -> list[int]:
        if self._year_list is None:
            self._year_list = [int(year) for year in (self._meta("years") or "").split()]
        return self._year_list

    def _fill(self, projects: list[FundedProject]) -> list[FundedProject]:
        """Read the shown projects' remaining fields from the laureates (once per project)."""
        missing = {p.id: p for p in projects if not p.title}
        if missing:
            placeholders = ", ".join("?" for _ in missing)
            cursor = self.db.execute(f"SELECT {', '.join(_ROW_COLUMNS)} FROM laureates "
                                     f"WHERE id IN ({placeholders})", list(missing))
            for id_, *values in cursor:
                for name, value in zip(_DETAIL_FIELDS, values):
                    setattr(missing[id_], name, value)
        return projects

    def _reference_year(self, before_year: int | None) -> int:
        if before_year:
            return before_year - 1
        years = self._years()
        return years[-1] if years else 0

    def _scored(self, text: str, applicant, before_year: int | None) -> tuple[list[FundedProject], _Place | None]:
        place = self._place(applicant)
        key = (text, place, before_year)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached, place
        query = self._query(text)
        results: list[FundedProject] = []
        if query:
            query_norm = sqrt(sum(w * w for w in query.values()))
            # a project's vector is binary tf-idf: its term weighs the term's idf
            products = {term: weight * self._idf(term) for term, weight in query.items()}
            reference = self._reference_year(before_year)
            kept: list[tuple[float, int, float, str]] = []
            candidates = self._candidates(query, place, before_year)
            for rowid, (doc_terms, zone, norm, *_) in candidates.items():
                shared = sum(products[t] for t in doc_terms.split() if t in products)
                if not shared or not norm:
                    continue
                similarity = shared / (query_norm * norm)
                if similarity < MIN_SIMILARITY:
                    continue
                level, year = _proximity(zone, place)
                score = similarity * PROXIMITY[level] * RECENCY_PER_YEAR ** max(reference - year, 0)
                kept.append((score, rowid, similarity, level))
            kept.sort(key=lambda k: (-k[0], k[1]))
            # kept: what can be shown (the best) or counted (the comparable)
            kept = [k for rank, k in enumerate(kept) if rank < SHOWN_MAX or k[2] >= COMPARABLE]
            for score, rowid, similarity, level in kept:
                facts = dict(zip(_INDEX_FACTS, candidates[rowid][3:]))
                results.append(FundedProject(title="", beneficiary="", place="", insee=None, siren=None, cost=None,
                                             **facts, score=score, proximity=level, similarity=similarity,
                                             id=rowid))
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = results
        return results, place

    def search(self, text: str, applicant=None, top: int = 10, before_year: int | None = None) -> list[FundedProject]:
        """The closest funded projects, best first (similar, near, recent)."""
        return self._fill(self._scored(text, applicant, before_year)[0][:top])

    def evidence(self, text: str, applicant=None, before_year: int | None = None) -> dict[str, DispositifEvidence]:
        """Per dispositif label: how many comparable projects, rates and grants (see module doc);
        ordered by weight, strongest first."""
        projects, place = self._scored(text, applicant, before_year)
        comparable = [p for p in projects if p.similarity >= COMPARABLE]
        by_dispositif: dict[str, list[FundedProject]] = defaultdict(list)
        for project in comparable:
            by_dispositif[project.dispositif].append(project)
        result = {}
        for dispositif, group in by_dispositif.items():
            scope, chosen = _scope(group, place)
            result[dispositif] = _evidence(dispositif, chosen, scope, self._label_of(scope))
        self._fill([example for found in result.values() for example in found.examples])
        return dict(sorted(result.items(), key=lambda item: -item[1].weight))

    def rate_proposal(self, text: str, applicant, dispositif: str, ceiling: float | Decimal | None = None,
                      before_year: int | None = None) -> RateProposal | None:
        """The observed median rate of comparable projects for ``dispositif``, capped by the
        scheme's ceiling (percent) and the public-aid cap; None without rate evidence."""
        evidence = self.evidence(text, applicant, before_year).get(dispositif)
        if evidence is None or evidence.median_rate is None:
            return None
        observed = evidence.median_rate
        rate = Decimal(str(observed)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        capped_by = None
        if ceiling is not None and rate > Decimal(str(ceiling)):
            rate = Decimal(str(ceiling))
            capped_by = f"plafonné au taux maximal du dispositif ({percent_text(float(ceiling))})"
        cap_rate, cap_label = _public_cap(applicant)
        if rate > cap_rate:
            rate = cap_rate
            capped_by = f"plafonné à {percent_text(float(cap_rate))} : {cap_label}"
        basis = (f"proposition : {percent_text(float(rate))}, taux médian de {evidence.count} "
                 f"{_projects_phrase(evidence)}")
        if capped_by:
            basis += f" (taux médian observé {percent_text(observed)}, {capped_by})"
        basis += " — à confirmer"
        return RateProposal(rate=rate.normalize() if rate == rate.to_integral() else rate, basis=basis,
                            dispositif=dispositif, evidence=evidence, observed=observed, capped_by=capped_by)

    def _label_of(self, scope: str) -> str:
        if scope == "FR":
            return "en France"
        ref = self._territories()
        return place_phrase(scope, ref.territories[scope].name if scope in ref.territories else scope)

    def _territories(self):
        """The territory referential, loaded on first need (``aidenum match`` may never need it)."""
        if self._referential is None:
            from aidenum.catalogue import territory
            self._referential = territory.load()
        return self._referential


def _thesaurus():
    from .thesaurus import load
    return load()


def _public_cap(applicant) -> tuple[Decimal, str]:
    """The CGCT L1111-10 cap, from drafting's rule (one place for it)."""
    from aidenum.drafting.financing import cap_for
    return cap_for(bool(getattr(applicant, "chef_de_file", False)))


def _zone(year: int, dep: str | None, region: str | None, insee: str | None, epci: str | None) -> str:
    """The FTS5 « zone » column: y2023 d01 r84 c01053 e200071751 (département codes lower-cased
    because FTS5 folds the query's case)."""
    parts = [f"y{year}"]
    if dep:
        parts.append(f"d{dep.lower()}")
    if region:
        parts.append(f"r{region}")
    if insee:
        parts.append(f"c{insee.lower()}")
    if epci:
        parts.append(f"e{epci}")
    return " ".join(parts)


def _proximity(zone: str, place: _Place | None) -> tuple[str, int]:
    tokens = zone.split()
    year = int(tokens[0][1:])
    if place is None:
        return "France", year
    if place.insee and f"c{place.insee.lower()}" in tokens:
        return "commune", year
    if place.epci and f"e{place.epci}" in tokens:
        return "intercommunalité", year
    if place.departement and f"d{place.departement.lower()}" in tokens:
        return "département", year
    if place.region and f"r{place.region}" in tokens:
        return "région", year
    return "France", year


def _scope(group: list[FundedProject], place: _Place | None) -> tuple[str, list[FundedProject]]:
    if place:
        if place.departement:
            local = [p for p in group if p.departement == place.departement]
            if len(local) >= MIN_EVIDENCE:
                return f"DEP:{place.departement}", local
        if place.region:
            regional = [p for p in group if p.region == place.region]
            if len(regional) >= MIN_EVIDENCE:
                return f"REG:{place.region}", regional
    return "FR", group


def _quartiles(values: list[float]) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def _evidence(dispositif: str, projects: list[FundedProject], scope: str, place_label: str) -> DispositifEvidence:
    rates = sorted(p.rate for p in projects if p.rate is not None)
    grants = sorted(p.grant for p in projects if p.grant is not None)
    q1_rate, median_rate, q3_rate = _quartiles(rates)
    q1_grant, median_grant, q3_grant = _quartiles(grants)
    years = sorted({p.year for p in projects})
    evidence = DispositifEvidence(
        dispositif=dispositif, count=len(projects), median_rate=_round(median_rate), q1_rate=_round(q1_rate),
        q3_rate=_round(q3_rate), median_grant=_round(median_grant, 0), q1_grant=_round(q1_grant, 0),
        q3_grant=_round(q3_grant, 0), scope=scope, place_label=place_label, years=years, sentence="",
        weight=sum(p.score for p in projects), rates_count=len(rates),
        examples=sorted(projects, key=lambda p: -p.score)[:3])
    sentence = f"{evidence.count} {_projects_phrase(evidence)}"
    if median_rate is not None:
        sentence += f", taux médian {percent_text(median_rate)}"
    elif median_grant is not None:
        sentence += f", subvention médiane {_euros(median_grant)}"
    evidence.sentence = sentence
    return evidence


def _projects_phrase(evidence: DispositifEvidence) -> str:
    plural = evidence.count > 1
    return (f"projet{'s' if plural else ''} comparable{'s' if plural else ''} financé{'s' if plural else ''} "
            f"par {article(evidence.dispositif)} {evidence.place_label} {years_phrase(evidence.years)}")


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# -- French phrasing ------------------------------------------------------------------------------

def article(dispositif: str) -> str:
    return _ARTICLES.get(dispositif, f"la {dispositif}" if dispositif.isupper() else dispositif)


def years_phrase(years: list[int]) -> str:
    if not years:
        return ""
    if len(years) == 1:
        return f"en {years[0]}"
    return "en " + ", ".join(str(y) for y in years[:-1]) + f" et {years[-1]}"


def percent_text(value: float) -> str:
    """An observed rate to one decimal: 30.0 -> « 30 % », 37.46 -> « 37,5 % » (no-break space)."""
    return percent_fr(round(value, 1), unit_space=NBSP)


def _euros(value: float) -> str:
    return amount_fr(value, 0, unit_space=NBSP)


_REGION_PHRASES = {
    "44": "dans le Grand Est", "32": "dans les Hauts-de-France", "52": "dans les Pays de la Loire",
    "04": "à La Réunion", "06": "à Mayotte",
}
# Départements whose name is feminine singular (« en Gironde »); vowels take « dans l' », plurals
# « dans les », the others « dans le ».
_FEMININE = {
    "Charente", "Charente-Maritime", "Corrèze", "Corse-du-Sud", "Haute-Corse", "Côte-d'Or", "Creuse", "Dordogne",
    "Drôme", "Gironde", "Haute-Garonne", "Haute-Loire", "Haute-Marne", "Haute-Saône", "Haute-Savoie",
    "Haute-Vienne", "Loire", "Loire-Atlantique", "Lozère", "Manche", "Marne", "Mayenne", "Meurthe-et-Moselle",
    "Meuse", "Moselle", "Nièvre", "Sarthe", "Savoie", "Seine-Maritime", "Seine-et-Marne", "Seine-Saint-Denis",
    "Somme", "Vendée", "Vienne", "Guadeloupe", "Martinique", "Guyane",
}
_PLURAL_HEADS = {"Alpes", "Hautes", "Ardennes", "Bouches", "Côtes", "Deux", "Landes", "Pyrénées", "Vosges",
                 "Yvelines", "Hauts"}
_PLACE_EXCEPTIONS = {"Paris": "à Paris", "La Réunion": "à La Réunion", "Mayotte": "à Mayotte",
                     "Hérault": "dans l'Hérault", "Haut-Rhin": "dans le Haut-Rhin"}


def place_phrase(scope: str, name: str) -> str:
    """« dans l'Ain », « en Gironde », « dans les Landes », « en Bretagne »…"""
    if scope.startswith("REG:"):
        return _REGION_PHRASES.get(scope[4:], f"en {name}")
    if name in _PLACE_EXCEPTIONS:
        return _PLACE_EXCEPTIONS[name]
    if re.split(r"[-\s]", name)[0] in _PLURAL_HEADS:
        return f"dans les {name}"
    if fold(name[:1]) in "aeiouy":
        return f"dans l'{name}"
    if name in _FEMININE:
        return f"en {name}"
    return f"dans le {name}"
