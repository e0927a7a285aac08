"""French text analysis for the matcher, built on Whoosh primitives.

Why not ``LanguageAnalyzer("fr")``: it does not fold accents, keeps « les », and its Snowball
stemmer is too aggressive for this vocabulary (« données » -> « don », « collectivités » ->
« collect »). The chain here is:

    FrenchTokenizer   words, digits and acronyms; hyphenated compounds also emitted joined
                      (« vidéo-protection » -> vidéo, protection, vidéoprotection), and only
                      joined at query time; elided articles cut (l', d', qu', j', n', s', c',
                      m', t', with ' or ’)
    LowercaseFilter   (Whoosh)
    AccentFoldFilter  é -> e, œ -> oe …
    StopFilter        (Whoosh) with a full French stop list, « les » included, min size 2
    LightFrenchStemFilter  plural and feminine forms and a few derivational suffixes
                      (-ation, -isation, -ement, -iser, -ité, -ique, -er; see _SUFFIXES); acronyms (THD, ENT,
                      TNI, SIG, FEDER…: at most MAX_ACRONYM capitals) and tokens with digits are never stemmed.

This module imports Whoosh's analysis package only (cheap); ``matcher/index.py`` is the only
module touching indexes and queries.
"""
from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, StopFilter, Token, Tokenizer

from aidenum.catalogue.formatting import strip_accents

# Bump when the terms produced for a text change: indexes built by another version are rebuilt.
ANALYZER_VERSION = 3

ELISIONS = frozenset({"l", "d", "qu", "j", "n", "s", "c", "m", "t", "lorsqu", "puisqu", "jusqu", "quoiqu"})

# Folded (no accents), lower-case. Function words only: domain words such as « numérique »
# or « projet » are handled by the matcher's weighting, not here.
FRENCH_STOP_WORDS = frozenset("""
a ai aie aient aies ait afin al alors as au aucun aucune aupres auquel aura aurai auraient aurais
aurait auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels avaient
avais avait avant avec avez aviez avions avoir avons ayant ayez ayons
c ca car ce ceci cela celle celles celui cependant certain certaine certaines certains ces cet
cette ceux chacun chacune chaque chez ci comme comment contre
d dans de des desquelles desquels deja depuis dont donc du duquel durant
elle elles en encore entre es est et etaient etais etait etant etc ete etes etiez etions etre eu
eue eues eumes eurent eus eusse eussent eusses eussiez eussions eut eutes eux
fai faire fais fait faites fum fumes furent fus fusse fussent fusses fussiez fussions fut futes
hormis hors ici il ils j je jusqu jusque l la laquelle le lequel les lesquelles lesquels leur
leurs lors lorsqu lorsque lui m ma mais me meme memes mes moi moins mon n ne ni non nos notre
nous nouveau nouvelle nouvelles nouveaux on ont ou où par parce parmi pas peu peut peuvent plus
pour pourquoi pourra pourront puis puisqu puisque qu quand que quel quelle quelles quels qui
quoi quoiqu s sa sans se sera serai seraient serais serait seras serez seriez serions serons
seront ses si sien sienne soi soient sois soit sommes son sont sous soyez soyons suis sur t ta
tandis te tel telle telles tels tes toi ton tous tout toute toutes tres trop tu un une unes uns
vers via voici voila vos votre vous y
""".split())

# Longer words in capitals are words typed in capitals (« RENOVATION ENERGETIQUE DE LA MAIRIE »,
# common in préfecture lists: « ECOLE », « MAIRIE »), stemmed like the others; acronyms are short
# (TNI, ENT, SIG, DETR, DSIL). Longer ones (FEDER, ADEME, LEADER) go through the stemmer on the
# index and query sides alike, so they still match each other.
MAX_ACRONYM = 4

_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*(?:-[^\W_]+(?:['’][^\W_]+)*)*")
_APOSTROPHES = re.compile(r"['’]")


class FrenchTokenizer(Tokenizer):
    """Words with positions; cuts elisions; handles hyphenated compounds (see module doc)."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost, t.acronym = 1.0, False
            if positions:
                t.pos = start_pos
            yield t
            return
        pos = start_pos
        query = mode == "query"
        for match in _WORD_RE.finditer(value):
            word = match.group()
            if "'" in word or "’" in word:
                head, rest = _APOSTROPHES.split(word, 1)
                if head.lower() in ELISIONS:
                    word = rest
                word = _APOSTROPHES.sub("", word)  # « aujourd'hui » is one word
            if "-" not in word:
                emitted = [(word, False)]
            else:
                parts = word.split("-")
                joined = "".join(parts)
                if len(parts[0]) == 1 or query:
                    # « e-administration », « e-santé »: one word; queries use the joined form
                    emitted = [(joined, False)]
                else:
                    emitted = [(part, False) for part in parts] + [(joined, True)]
            for text, same_position in emitted:
                t.text = t.original = text
                t.boost = 1.0
                t.stopped = False
                t.acronym = 2 <= len(text) <= MAX_ACRONYM and text.isupper()
                if positions:
                    # the joined form of a compound sits on its last part's position
                    t.pos = pos - 1 if same_position else pos
                if chars:
                    t.startchar, t.endchar = start_char + match.start(), start_char + match.end()
                yield t
                if not same_position:
                    pos += 1


class AccentFoldFilter(Filter):
    """é -> e, ç -> c, œ -> oe, ’ -> ' (lower-case input)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = _fold(t.text)
            yield t


@lru_cache(maxsize=200_000)
def _fold(text: str) -> str:
    return strip_accents(text)


class LightFrenchStemFilter(Filter):
    is_morph = True

    def __call__(self, tokens):
        for t in tokens:
            if not getattr(t, "acronym", False):
                t.text = light_stem(t.text)
            yield t


# (suffix, replacement), tried longest first after the plural/feminine step; the remaining
# stem must keep at least MIN_STEM letters so that « station » or « logement » stay whole.
# Verbs, their participles and their action nouns share a stem (« dématérialiser »,
# « dématérialisée », « dématérialisation »; « équiper », « équipement »), but a quality noun in
# -ité keeps its own (« mobilité » is not « mobile » nor « mobiliser »; « accessibilité » is not
# « accès »), and -ication nouns keep theirs so that « publication » is not « public » and
# « communication » not « commune ».
_SUFFIXES = sorted([
    ("isation", "is"), ("iser", "is"), ("ise", "is"),
    ("ication", "icat"), ("ation", ""), ("ement", ""),
    ("ite", "it"), ("ique", "ic"), ("er", ""), ("enne", "en"), ("elle", "el"), ("onne", "on"),
    ("ive", "if"),
], key=lambda pair: -len(pair[0]))
MIN_STEM = 4

# Lexicalised nouns that the verb rules above would fold into an unrelated verb (singular
# form, after the plural step): « données » is not « donner », « équipe » not « équiper »,
# « forme » not « former ».
_KEEP = {"donnee": "donnee", "equipe": "equipe", "forme": "forme", "fonds": "fonds"}


@lru_cache(maxsize=200_000)
def light_stem(word: str) -> str:
    """Light French stemmer on folded lower-case words (no accents)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word in _KEEP:
        return _KEEP[word]
    if word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux") and len(word) > 5:
        word = word[:-3] + "al"
    elif word[-1] in "sx" and not word.endswith("ss") and len(word) > 4:
        word = word[:-1]
    if word in _KEEP:
        return _KEEP[word]
    if word.endswith("ee"):
        word = word[:-1]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)] + replacement
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def french_analyzer():
    """The analyzer of the full mode (index and query side)."""
    return (FrenchTokenizer() | LowercaseFilter() | AccentFoldFilter()
            | StopFilter(stoplist=FRENCH_STOP_WORDS, minsize=2) | LightFrenchStemFilter())


def naive_analyzer():
    """The baseline: words lower-cased, nothing else (no folding, stop words or stems)."""
    return FrenchTokenizer() | LowercaseFilter()


_ANALYZERS: dict[str, object] = {}


def analyze(text: str, mode: str = "query", kind: str = "full") -> list[str]:
    """Terms of ``text`` as the index sees them (``mode="query"``: compounds joined only)."""
    analyzer = _ANALYZERS.get(kind)
    if analyzer is None:
        analyzer = _ANALYZERS[kind] = french_analyzer() if kind == "full" else naive_analyzer()
    return [t.text for t in analyzer(text, mode=mode)]
