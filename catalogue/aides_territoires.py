"""Aides-territoires records -> ``Scheme``: one API record, or one row of the CSV export.

The API (``/api/aids/``) answers ``{"count", "next", "previous", "results": [...]}``; each
result carries French labels ("Communes", "Subvention", "Permanente"…) and its perimeter as a
*name* ("Drôme"), resolved here through the territory referential. The CSV export of the site
(columns Nom, Lien, Financeurs, Bénéficiaire, Types d'aides, AAP/AMI, Récurrence, Descriptif,
Date Clôture) carries no perimeter at all: see ``perimeter_from_funders`` for the rule used.

Errors are ``SchemeError`` naming the record and the field *as written in the source* (the API
key or the CSV column), so that the user can find it in the file.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import weakref
from functools import lru_cache
from typing import Any

from .aides_territoires_themes import split_categories
from .model import Scheme, SchemeError, parse_iso_date
from .normalise import clean_text, strip_tracking
from .territory import Referential, TerritoryError
from .vocabularies import VOCABULARIES, fold, label_to_slug

SOURCE = "at"
SITE = "https://aides-territoires.beta.gouv.fr"
LICENCE = "Données Aides-territoires, Licence Ouverte — https://aides-territoires.beta.gouv.fr"
PERIMETER_NOT_GIVEN = "France entière (périmètre non précisé par l'export Aides-territoires)"

# API key -> (model field, vocabulary)
_API_LISTS = {
    "targeted_audiences": "beneficiaries",
    "aid_types": "aid_types",
    "destinations": "destinations",
    "mobilization_steps": "steps",
}
# perimeter_scale as the API prints it -> referential scale
_API_SCALES = {"commune": "COM", "epci": "EPCI", "departement": "DEP", "region": "REG",
               "pays": "FR", "continent": "EU"}

CSV_COLUMNS = ("Nom", "Lien", "Financeurs", "Bénéficiaire", "Types d'aides", "AAP/AMI",
               "Récurrence", "Descriptif", "Date Clôture")


# -- API ---------------------------------------------------------------------------------------

def scheme_from_api(record: dict, referential: Referential) -> Scheme:
    """Build a validated scheme from one record of the Aides-territoires API."""
    if not isinstance(record, dict):
        raise SchemeError("?", "*", "un objet JSON (une aide) est attendu")
    if record.get("id") in (None, ""):
        raise SchemeError(str(record.get("name") or "?")[:80], "id", "identifiant de l'aide manquant")
    rid = f"at:{record['id']}"
    perimeter, perimeter_label = _api_perimeter(record, rid, referential)
    rate_min, rate_max = _api_rate(record, rid)
    scheme = Scheme(
        id=rid,
        source=SOURCE,
        title=clean_text(_text(record, "name", rid)),
        name_initial=clean_text(_text(record, "name_initial", rid)),
        url=_api_url(record, rid),
        application_url=_url(record.get("application_url"), rid, "application_url"),
        description=clean_text(_text(record, "description", rid)),
        eligibility=clean_text(_text(record, "eligibility", rid)),
        project_examples=clean_text(_text(record, "project_examples", rid)),
        contact=clean_text(_text(record, "contact", rid)),
        funders=_names(record.get("financers"), rid, "financers"),
        instructors=_names(record.get("instructors"), rid, "instructors"),
        programmes=_names(record.get("programs"), rid, "programs"),
        themes=split_categories(_names(record.get("categories"), rid, "categories")),
        keywords=_names(record.get("keywords"), rid, "keywords"),
        perimeter=perimeter,
        perimeter_label=perimeter_label,
        start_date=parse_iso_date(record.get("start_date"), rid, "start_date"),
        deadline=parse_iso_date(record.get("submission_deadline"), rid, "submission_deadline"),
        recurrence=_slug("recurrence", record.get("recurrence"), rid, "recurrence") if record.get("recurrence") else "",
        is_call_for_project=bool(record.get("is_call_for_project")),
        rate_min=rate_min,
        rate_max=rate_max,
        rate_comment=clean_text(_text(record, "subvention_comment", rid)),
        licence=LICENCE,
        raw=record,
    )
    for key, field_name in _API_LISTS.items():
        setattr(scheme, field_name, _slugs(field_name, record.get(key), rid, key))
    return scheme.validate()


def _api_perimeter(record: dict, rid: str, referential: Referential) -> tuple[str, str]:
    name = record.get("perimeter")
    if isinstance(name, dict):  # some API versions nest {"name", "scale"}
        name = name.get("name")
    if name in (None, ""):
        return "FR", PERIMETER_NOT_GIVEN
    if not isinstance(name, str):
        raise SchemeError(rid, "perimeter", "nom de territoire attendu")
    scale = _API_SCALES.get(fold(str(record.get("perimeter_scale") or "")))
    scale = scale if scale not in ("FR", "EU") else None
    cache = _RESOLVED.setdefault(referential, {})
    key = (name, scale)
    if key not in cache:
        try:
            cache[key] = referential.resolve(name, scale)
        except TerritoryError as error:
            cache[key] = error
    if isinstance(cache[key], TerritoryError):
        raise SchemeError(rid, "perimeter", str(cache[key])) from None
    return cache[key], name


# Real files repeat a few perimeter names and funder lists thousands of times.
_RESOLVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _api_url(record: dict, rid: str) -> str:
    url = _url(record.get("origin_url"), rid, "origin_url")
    if not url and record.get("slug"):
        url = f"{SITE}/aides/{record['slug']}/"
    return url


_RANGE_RE = re.compile(r"^\s*([\[(])?\s*(\d+(?:[.,]\d+)?)?\s*[,;-]\s*(\d+(?:[.,]\d+)?)?\s*([\])])?\s*$")


def _api_rate(record: dict, rid: str) -> tuple[float | None, float | None]:
    """subvention_rate as "[10,80]", "[10,81)" (a Postgres range), [10, 80], {"lower", "upper"},
    or the separate ``subvention_rate_lower_bound`` / ``_upper_bound`` keys."""
    value = record.get("subvention_rate")
    lower = record.get("subvention_rate_lower_bound")
    upper = record.get("subvention_rate_upper_bound")
    exclusive_upper = False
    if isinstance(value, (list, tuple)) and len(value) == 2:
        lower, upper = value
    elif isinstance(value, dict):
        lower, upper = value.get("lower"), value.get("upper")
        exclusive_upper = value.get("bounds", "[]")[-1:] == ")"
    elif isinstance(value, str) and value.strip():
        match = _RANGE_RE.match(value)
        if not match:
            raise SchemeError(rid, "subvention_rate", f"fourchette de taux illisible « {value[:40]} » "
                                                      "(attendu par ex. « [10,80] »)")
        lower, upper = match.group(2), match.group(3)
        exclusive_upper = match.group(4) == ")"
    elif value not in (None, "", [], {}):
        raise SchemeError(rid, "subvention_rate", f"fourchette de taux illisible « {str(value)[:40]} »")
    lower, upper = _number(lower, rid, "subvention_rate"), _number(upper, rid, "subvention_rate")
    if exclusive_upper and upper is not None and upper == int(upper):
        upper -= 1
    return lower, upper


def _number(value: Any, rid: str, field_name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise SchemeError(rid, field_name, f"nombre attendu, reçu « {str(value)[:40]} »") from None
    if not math.isfinite(number):  # the API has sent "nan" for an unknown bound
        raise SchemeError(rid, field_name, f"nombre fini attendu, reçu « {str(value)[:40]} »")
    return number


# -- CSV export ---------------------------------------------------------------------------------

def scheme_from_csv_row(row: dict, line: int, referential: Referential) -> Scheme:
    """Build a validated scheme from one row (file line ``line``) of the Aides-territoires CSV.

    Identity: ``at:<slug>`` where slug is the last path segment of Lien
    (``…/aides/3d9e-accompagner-la-redynamisation-des-centres-via/``), stable across exports.

    Perimeter (the export has none): see ``perimeter_from_funders``.
    """
    link = (row.get("Lien") or "").strip()
    slug = _slug_from_link(link)
    rid = f"at:{slug}" if slug else f"ligne {line}"
    if not slug:
        raise SchemeError(rid, "Lien", f"lien d'aide Aides-territoires attendu (…/aides/<identifiant>/), "
                                      f"reçu « {link[:80]} »")
    funders = _split(row.get("Financeurs"))
    perimeter, perimeter_label = perimeter_from_funders(funders, referential)
    deadline_text = (row.get("Date Clôture") or "").strip()
    scheme = Scheme(
        id=rid,
        source=SOURCE,
        title=clean_text(row.get("Nom")),
        url=_url(link, rid, "Lien"),
        description=clean_text(row.get("Descriptif")),
        funders=funders,
        beneficiaries=_slugs("beneficiaries", _split(row.get("Bénéficiaire")), rid, "Bénéficiaire"),
        aid_types=_slugs("aid_types", _split(row.get("Types d'aides")), rid, "Types d'aides"),
        recurrence=_slug("recurrence", row["Récurrence"], rid, "Récurrence") if (row.get("Récurrence") or "").strip() else "",
        is_call_for_project=_yes(row.get("AAP/AMI"), rid),
        deadline=_french_numeric_date(deadline_text, rid) if deadline_text else None,
        perimeter=perimeter,
        perimeter_label=perimeter_label,
        licence=LICENCE,
        raw={"line": line, **row},
    )
    if not scheme.title:
        raise SchemeError(rid, "Nom", "nom de l'aide manquant")
    return scheme.validate()


def _slug_from_link(link: str) -> str:
    match = re.match(r"^https?://[^/]+/aides/([A-Za-z0-9][A-Za-z0-9_-]*)/?(?:[?#].*)?$", link)
    return match.group(1).lower() if match else ""


def _yes(value: str | None, rid: str) -> bool:
    folded = fold(value or "")
    if folded in ("", "non", "false", "0"):
        return False
    if folded in ("oui", "true", "1", "aap", "ami", "aap/ami"):
        return True
    raise SchemeError(rid, "AAP/AMI", f"« Oui » ou vide attendu, reçu « {value[:40]} »")


def _french_numeric_date(text: str, rid: str) -> dt.date:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match:
        try:
            return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        except ValueError:
            pass
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SchemeError(rid, "Date Clôture", f"date invalide « {text[:40]} » (attendu JJ/MM/AAAA)") from None


# -- perimeter from funder names ---------------------------------------------------------------

def perimeter_from_funders(funders: list[str], referential: Referential) -> tuple[str, str]:
    """Perimeter of a CSV aid, which the export does not give, inferred from its funders.

    Rule (chosen to be right or deliberately wide, never narrower than the truth):

    * each funder name is searched for the name of a région or a département, whole words,
      accents/case/hyphens ignored, longest name first ("Conseil départemental du Morbihan"
      -> DEP:56, "Établissement public foncier d'Occitanie" -> REG:76, "Meurthe et Moselle" is
      not read as Moselle); or for a département number glued to an acronym ("ATD16", "SDES73",
      "ID77"). A name joined by « et » to another word ("Boucles de Seine et Eure") names a
      multi-territory area and is ignored, unless that word is itself a territory ("Oise et
      Aisne" names both);
    * funders naming no territory (ANCT, ADEME, Banque des Territoires, Cerema…) do not count:
      a national body co-funding with a local one makes a local offer;
    * when the territories found differ, the perimeter is the smallest région containing them
      all ("Oise et Aisne" -> REG:32); if none does, or nothing is found, the perimeter is
      ``FR`` and ``perimeter_label`` says it was not given, so the aid stays visible to every
      applicant rather than being hidden by a guess.
    """
    cache = _RESOLVED.setdefault(referential, {})
    key = ("funders", *funders)
    if key not in cache:
        cache[key] = _perimeter_from_funders(funders, referential)
    return cache[key]


def _perimeter_from_funders(funders: list[str], referential: Referential) -> tuple[str, str]:
    found: list[str] = []
    for funder in funders:
        found.extend(_territories_named(funder, referential))
    found = sorted(set(found))
    if not found:
        return "FR", PERIMETER_NOT_GIVEN
    if len(found) == 1:
        code = found[0]
    else:
        code = _common_container(found, referential)
        if code is None:
            return "FR", PERIMETER_NOT_GIVEN
    return code, f"{referential.get(code).name} (déduit du financeur ; périmètre non précisé par l'export)"


def _common_container(codes: list[str], referential: Referential) -> str | None:
    for code in codes:
        if all(other == code or code in referential.ancestors(other) for other in codes):
            return code
    regions = {referential.region_of(code) for code in codes}
    return regions.pop() if len(regions) == 1 and None not in regions else None


_NAME_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _name_table(referential: Referential) -> tuple[re.Pattern, dict[str, str]]:
    table = _NAME_TABLES.get(referential)
    if table is None:
        names: dict[str, str] = {}
        for code, territory in referential.territories.items():
            if territory.scale in ("REG", "DEP"):
                names.setdefault(_words(territory.name), code)
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        table = _NAME_TABLES[referential] = (re.compile(rf"(?<![\w])({alternatives})(?![\w])"), names)
    return table


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[-'’]", " ", fold(text))).strip()


_ACRONYM_NUMBER_RE = re.compile(r"(?<![\w])[A-Z]{2,}\s?(\d{2})(?![\w])")


def _territories_named(funder: str, referential: Referential) -> list[str]:
    pattern, names = _name_table(referential)
    text = _words(funder)
    found = []
    previous_end = None
    for match in pattern.finditer(text):
        joined_to_name = previous_end is not None and text[previous_end:match.start()] == " et "
        if re.search(r"(^| )et $", text[:match.start()]) and not joined_to_name:
            continue
        found.append(names[match.group(1)])
        previous_end = match.end()
    for match in _ACRONYM_NUMBER_RE.finditer(funder):
        code = f"DEP:{match.group(1)}"
        if code in referential.territories:
            found.append(code)
    return found


# -- shared helpers -----------------------------------------------------------------------------

def _text(record: dict, key: str, rid: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SchemeError(rid, key, "texte attendu")
    return value


def _url(value: Any, rid: str, key: str) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise SchemeError(rid, key, "adresse web attendue")
    url = re.sub(r"^(https?):\s*//", r"\1://", value.strip())  # "https: //…" seen in real feeds
    if url.startswith("www."):
        url = "https://" + url
    if not re.match(r"^https?://\S+$", url):
        raise SchemeError(rid, key, f"adresse web invalide « {value[:80]} »")
    return strip_tracking(url)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _names(value: Any, rid: str, key: str) -> list[str]:
    """A string, a list of strings or of {"name": …} objects -> a list of distinct names."""
    if value in (None, ""):
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise SchemeError(rid, key, "texte ou liste de textes attendu")
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name") or item.get("title")
        if not isinstance(item, str):
            raise SchemeError(rid, key, "texte ou liste de textes attendu")
        item = clean_text(item)
        if item and item not in names:
            names.append(item)
    return names


@lru_cache(maxsize=4096)
def _cached_slug(vocabulary: str, label: str) -> str | None:
    return label_to_slug(vocabulary, label)


def _slug(vocabulary: str, label: Any, rid: str, key: str) -> str:
    if not isinstance(label, str):
        raise SchemeError(rid, key, "libellé texte attendu")
    slug = _cached_slug(vocabulary, label)
    if slug is None:
        expected = " ; ".join(VOCABULARIES[vocabulary].values())
        raise SchemeError(rid, key, f"valeur inconnue « {label[:80]} » (attendu : {expected})")
    return slug


def _slugs(vocabulary: str, labels: Any, rid: str, key: str) -> list[str]:
    if labels in (None, ""):
        return []
    if isinstance(labels, str):
        labels = [labels]
    if not isinstance(labels, list):
        raise SchemeError(rid, key, "liste de libellés attendue")
    slugs: list[str] = []
    for label in labels:
        slug = _slug(vocabulary, label, rid, key)
        if slug not in slugs:
            slugs.append(slug)
    return slugs
