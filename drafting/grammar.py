"""French grammar for sentences built around a collectivité's name: article, elision, agreement.

A name that starts with a common noun (« Communauté de communes du Kreiz-Breizh », « Département
du Doubs », « Agglomération du Choletais », « CC du Pays de Mirepoix ») takes that noun's article
and gender: « la Communauté de communes… », « le Département du Doubs », « l'Agglomération… »,
and « de » + « le » contracts to « du » (« du Département du Doubs »). A name that is a proper
noun (« Loudéac Communauté - Bretagne Centre », « Lamballe-Armor ») takes no article; its
gender follows the noun of its kind (la commune, l'établissement public, le département…).
A commune's own article is kept and contracted: « Le Mans » → « du Mans », « Les Sables-d'Olonne »
→ « des Sables-d'Olonne », « La Rochelle » → « de La Rochelle » (an article in a city name is
part of the name and only « le »/« les » contract). « de » elides before a vowel or a mute h
(« d'Angers »); a few place names with an aspirated h are not known here and get « d' » too.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Head nouns an official or usual name may start with: (folded prefix, gender).
# Longest first so that « communauté d'agglomération » wins over « communauté ».
_HEAD_NOUNS = sorted([
    ("communaute de communes", "f"), ("communaute d'agglomeration", "f"), ("communaute urbaine", "f"),
    ("communaute", "f"), ("commune nouvelle", "f"), ("commune", "f"), ("ville", "f"),
    ("agglomeration", "f"), ("metropole", "f"), ("eurometropole", "f"), ("collectivite", "f"),
    ("region", "f"), ("departement", "m"), ("conseil departemental", "m"), ("conseil regional", "m"),
    ("syndicat mixte", "m"), ("syndicat intercommunal", "m"), ("syndicat", "m"), ("pays", "m"),
    ("pole d'equilibre territorial et rural", "m"), ("petr", "m"), ("etablissement public", "m"),
    ("office", "m"), ("centre communal d'action sociale", "m"), ("ccas", "m"), ("association", "f"),
    ("cc", "f"), ("ca", "f"), ("cu", "f"), ("sivom", "m"), ("sivu", "m"), ("sem", "f"), ("spl", "f"),
    # funders, for « auprès de la Banque des Territoires », « à l'État », « du Fonds… »
    ("etat", "m"), ("union europeenne", "f"), ("banque", "f"), ("caisse", "f"), ("agence", "f"),
    ("ministere", "m"), ("fonds", "m"), ("commission", "f"), ("prefecture", "f"), ("federation", "f"),
    ("conseil", "m"), ("ademe", "f"),
], key=lambda pair: -len(pair[0]))

# Gender of the noun that names each kind of applicant, for names without a head noun
# (« Lamballe Terre et Mer est exclue »: la commune, l'intercommunalité, le département…).
KIND_GENDER = {"commune": "f", "epci": "f", "department": "m", "region": "f", "association": "f",
               "public-org": "m", "public-cies": "f", "special": "f"}
# Agreement of a kind's own noun when no name is known: « la commune », « l'établissement public ».
KIND_NOUN = {"commune": "la commune", "epci": "l'intercommunalité",
             "department": "le département", "region": "la région", "association": "l'association",
             "public-org": "l'établissement public", "public-cies": "l'entreprise publique locale",
             "special": "la collectivité"}

_VOWEL_START = re.compile(r"^[aeiouyh]", re.IGNORECASE)
_CITY_ARTICLE = re.compile(r"^(les|le|la|l')(?:\s+|(?<=')(?=\S))", re.IGNORECASE)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _starts_with_vowel(text: str) -> bool:
    return bool(_VOWEL_START.match(_fold(text)))


@dataclass(frozen=True)
class Name:
    """A collectivité's name with what French needs to build sentences around it."""
    text: str
    gender: str        # "m" / "f"
    article: str       # "le", "la", "l'", "les" or "" (proper noun)
    plural: bool = False
    in_name: bool = False  # the article belongs to a city's name: « Le Mans », written capitalised

    # -- forms -----------------------------------------------------------------------------
    @property
    def plain(self) -> str:
        """« la Communauté de communes X », « Loudéac Communauté »: as a sentence's object."""
        if self.in_name:
            return f"{self.article.capitalize()} {self.text}"
        if self.article == "l'":
            return f"l'{self.text}"
        return f"{self.article} {self.text}" if self.article else self.text

    @property
    def subject(self) -> str:
        """The same at the start of a sentence: « La Communauté de communes X »."""
        return _capitalise(self.plain)

    @property
    def of(self) -> str:
        """« de la Communauté… », « du Département… », « de l'Agglomération… », « d'Angers »."""
        return _contract("de", self)

    @property
    def to(self) -> str:
        """« à la Communauté… », « au Département… », « à l'Agglomération… », « aux Sables… »."""
        return _contract("à", self)

    def agree(self, masculine: str, feminine: str | None = None) -> str:
        """« exclu » / « exclue »; plural adds an s: « exclus » / « exclues »."""
        word = masculine if self.gender == "m" else (feminine if feminine is not None else masculine + "e")
        return word + "s" if self.plural and not word.endswith("s") else word


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _contract(preposition: str, name: Name) -> str:
    article, text = name.article, name.text
    if article == "le":
        return f"{'du' if preposition == 'de' else 'au'} {text}"
    if article == "les":
        return f"{'des' if preposition == 'de' else 'aux'} {text}"
    if article in ("la", "l'"):
        return f"{preposition} {name.plain}"
    if preposition == "de" and _starts_with_vowel(text):
        return f"d'{text}"
    return f"{preposition} {text}"


def name_of(text: str, kind: str = "") -> Name:
    """How to write ``text`` (the collectivité's name as given) in a French sentence."""
    text = re.sub(r"\s+", " ", (text or "").strip())
    if not text:
        noun = KIND_NOUN.get(kind, "la collectivité")
        article, rest = (("l'", noun[2:]) if noun.startswith("l'") else tuple(noun.split(" ", 1)))
        return Name(rest, KIND_GENDER.get(kind, "f"), article)
    folded = _fold(text)
    for prefix, gender in _HEAD_NOUNS:
        if folded == prefix or folded.startswith(prefix + " ") or folded.startswith(prefix + "-"):
            article = "l'" if _starts_with_vowel(text) else ("le" if gender == "m" else "la")
            return Name(text, gender, article)
    if kind == "commune":
        match = _CITY_ARTICLE.match(text)
        if match:
            article = match.group(1).lower()
            rest = text[match.end():]
            if article == "la" or article == "l'":
                # « de La Rochelle », « de L'Haÿ-les-Roses »: the name keeps its article
                return Name(text, "f" if article == "la" else KIND_GENDER["commune"], "")
            # « Le Mans est exclu », « Les Sables-d'Olonne est exclue » (la commune)
            return Name(rest, "m" if article == "le" else "f", article, in_name=True)
    return Name(text, KIND_GENDER.get(kind, "f"), "")
