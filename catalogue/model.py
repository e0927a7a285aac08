"""The scheme model: one record per funding scheme (see DESIGN.md, "The scheme model").

Validation is hand-written rather than pydantic so that every error is one French sentence
naming the record and the field, which is what a project manager can act on.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .formatting import number_fr
from .status import Status, status_of
from .vocabularies import VOCABULARIES

SOURCES = {
    "at": "Aides-territoires",
    "feder": "FEDER (programmes régionaux)",
    "dsil": "DSIL / DETR (préfectures)",
    "detr": "DETR (préfectures de département)",
    "dsid": "DSID (préfectures de région)",
    "dpv": "Dotation politique de la ville",
    "fipd": "FIPD (prévention de la délinquance, vidéoprotection)",
    "fnadt": "FNADT (aménagement du territoire)",
    "france-services": "France services",
    "cnfs": "Conseiller numérique",
    "bdt": "Banque des Territoires",
    "francenum": "France Num",
    "facts": "Fiches de faits vérifiés",
}
# Other names of a source (spider and site names, older spellings), accepted wherever a source is
# named; ``catalogue.sources.canonical`` turns them into the SOURCES key used in ids and reports.
SOURCE_ALIASES = {
    "aides_territoires": "at", "aides-territoires": "at",
    "banque_des_territoires": "bdt", "banque-des-territoires": "bdt",
    "france_num": "francenum", "france-num": "francenum",
    "prefectures": "dsil",
    "faits": "facts",
}
MAX_TEXT_CHARS = 200_000  # a description longer than this is a scraping accident, not a scheme
_DATA_DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
_ID_RE = re.compile(r"^[a-z][a-z0-9-]*:[^\s]+$")
_PERIMETER_RE = re.compile(r"^(FR|EU|OM|METRO|REG:\d{2}|DEP:(\d{2}|2A|2B|\d{3})|EPCI:\d{9}|COM:(\d{5}|2A\d{3}|2B\d{3}))$")

TEXT_FIELDS = ("title", "name_initial", "description", "eligibility", "project_examples", "contact")
LIST_FIELDS = ("funders", "instructors", "programmes", "beneficiaries", "aid_types", "destinations",
               "steps", "themes", "keywords")
DATE_FIELDS = ("start_date", "deadline")
BOOKKEEPING_FIELDS = ("first_seen", "last_seen", "last_changed", "closed_at")  # ISO timestamps or None
FLAG_FIELDS = ("is_call_for_project", "archived")
NUMBER_FIELDS = ("rate_min", "rate_max", "amount_min", "amount_max")
# Fields whose change matters to a user; provenance and bookkeeping are left out of the hash.
CONTENT_FIELDS = ("title", "name_initial", "description", "eligibility", "project_examples", "contact",
                  "url", "application_url", *LIST_FIELDS, "perimeter", "start_date", "deadline",
                  "recurrence", "is_call_for_project", *NUMBER_FIELDS, "rate_comment", "archived")


class SchemeError(ValueError):
    """A record that cannot enter the catalogue; ``str()`` is a French sentence."""

    def __init__(self, record: str, field_name: str, message: str):
        self.record, self.field, self.message = record, field_name, message
        super().__init__(f"enregistrement « {record} », champ « {field_name} » : {message}")


@dataclass
class Scheme:
    id: str
    source: str
    title: str
    url: str = ""
    application_url: str = ""
    name_initial: str = ""
    description: str = ""
    eligibility: str = ""
    project_examples: str = ""
    contact: str = ""
    funders: list[str] = field(default_factory=list)
    instructors: list[str] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)
    beneficiaries: list[str] = field(default_factory=list)
    aid_types: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    perimeter: str = "FR"
    perimeter_label: str = ""
    start_date: dt.date | None = None
    deadline: dt.date | None = None
    recurrence: str = ""
    is_call_for_project: bool = False
    archived: bool = False
    rate_min: float | None = None
    rate_max: float | None = None
    amount_min: float | None = None
    amount_max: float | None = None
    rate_comment: str = ""
    licence: str = ""
    data_date: str = ""  # when the source's facts were published or read: "AAAA-MM-JJ" or "AAAA-MM"
    raw: Any = None
    sources: list[str] = field(default_factory=list)  # other source ids seen for the same scheme
    # derived from the texts when stored (``status.end_evidence``), so that a listing without the
    # long texts shows the same status: "" not read yet, "-" nothing found
    end_evidence: str = ""
    # bookkeeping, set by the store
    first_seen: str | None = None
    last_seen: str | None = None
    last_changed: str | None = None
    closed_at: str | None = None
    content_hash: str = ""

    # -- derived -----------------------------------------------------------------------------
    def status(self, today: dt.date | None = None) -> str:
        """open / closing-soon / stale / closed on ``today``: see ``catalogue.status``."""
        return status_of(self, today).code

    def status_detail(self, today: dt.date | None = None) -> Status:
        """The status and, when closed or stale, why (French)."""
        return status_of(self, today)

    def days_left(self, today: dt.date | None = None) -> int | None:
        if self.deadline is None:
            return None
        return (self.deadline - (today or dt.date.today())).days

    def compute_hash(self) -> str:
        return content_hash({name: jsonable(getattr(self, name)) for name in CONTENT_FIELDS})

    # -- (de)serialisation ---------------------------------------------------------------------
    def to_dict(self, with_raw: bool = True) -> dict[str, Any]:
        data = {name: jsonable(getattr(self, name)) for name in FIELD_NAMES}
        if not with_raw:
            data.pop("raw")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], validate: bool = True) -> "Scheme":
        """Build (and by default validate) a scheme from a plain dict (our JSONL shape)."""
        if not isinstance(data, dict):
            raise SchemeError("?", "*", "un objet JSON est attendu")
        record = str(data.get("id") or "?")
        if not _KNOWN_KEYS.issuperset(data):
            unknown = sorted(set(data) - _KNOWN_KEYS)
            raise SchemeError(record, unknown[0], "champ inconnu du modèle")
        # a None leaves the field at its default; "status" is derived, written by exports only
        values = {k: v for k, v in data.items() if v is not None and k != "status"}
        for name in DATE_FIELDS:
            values[name] = parse_iso_date(data.get(name), record, name)
        try:
            scheme = cls(**values)
        except TypeError:
            missing = [f for f in ("id", "source", "title") if not values.get(f)]
            raise SchemeError(record, missing[0] if missing else "*", "champ obligatoire manquant") from None
        return scheme.validate() if validate else scheme

    def validate(self) -> "Scheme":
        """Check every field; raise SchemeError naming the first bad one."""
        rid = str(self.id or "?")   # a JSON number as id is reported, not a crash
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise SchemeError(rid, "id", "identifiant attendu sous la forme « source:identifiant » "
                                         "(par ex. « at:1182 »)")
        if not self.source or not isinstance(self.source, str):
            raise SchemeError(rid, "source", "source manquante")
        if not isinstance(self.title, str) or not self.title.strip():
            raise SchemeError(rid, "title", "titre manquant")
        for name in (*TEXT_FIELDS, "url", "application_url", "rate_comment", "licence", "perimeter_label",
                     "end_evidence"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise SchemeError(rid, name, "texte attendu")
            if len(value) > MAX_TEXT_CHARS:
                raise SchemeError(rid, name, f"texte de {number_fr(len(value), group=' ')} caractères, au-delà "
                                             f"de la limite de {number_fr(MAX_TEXT_CHARS, group=' ')}")
        for name in ("url", "application_url"):
            value = getattr(self, name)
            if value and not re.match(r"^https?://\S+$", value):
                raise SchemeError(rid, name, f"adresse web invalide « {value[:80]} »")
        for name in LIST_FIELDS + ("sources",):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SchemeError(rid, name, "liste de textes attendue")
        for name, vocab in VOCABULARIES.items():
            if name == "recurrence":
                if self.recurrence and self.recurrence not in vocab:
                    raise SchemeError(rid, name, f"valeur inconnue « {self.recurrence} » "
                                                 f"(attendu : {', '.join(vocab)})")
                continue
            for value in getattr(self, name):
                if value not in vocab:
                    raise SchemeError(rid, name, f"valeur inconnue « {value} » "
                                                 f"(attendu : {', '.join(vocab)})")
        if not isinstance(self.perimeter, str) or not _PERIMETER_RE.match(self.perimeter):
            raise SchemeError(rid, "perimeter", f"code de territoire invalide « {self.perimeter} » "
                                                "(attendu : FR, EU, REG:53, DEP:35, EPCI:<siren>, COM:<insee>)")
        for name in NUMBER_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SchemeError(rid, name, f"nombre attendu, reçu « {str(value)[:40]} »")
            if not math.isfinite(value):  # NaN or infinity: no JSON can hold it, no rule can compare it
                raise SchemeError(rid, name, f"nombre fini attendu, reçu « {value} »")
            if value < 0:
                raise SchemeError(rid, name, f"nombre positif attendu, reçu « {value} »")
        for name in ("rate_min", "rate_max"):
            value = getattr(self, name)
            if value is not None and value > 100:
                raise SchemeError(rid, name, f"taux de {value} % supérieur à 100 %")
        if self.rate_min is not None and self.rate_max is not None and self.rate_min > self.rate_max:
            raise SchemeError(rid, "rate_min", "taux minimum supérieur au taux maximum")
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            raise SchemeError(rid, "amount_min", "montant minimum supérieur au montant maximum")
        for name in DATE_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, dt.date):
                raise SchemeError(rid, name, "date attendue")
        for name in BOOKKEEPING_FIELDS:
            value = getattr(self, name)
            if value is not None and not _is_timestamp(value):
                raise SchemeError(rid, name, f"date et heure attendues (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM:SS), "
                                             f"reçu « {str(value)[:40]} »")
        for name in FLAG_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise SchemeError(rid, name, f"true ou false attendu, reçu « {str(getattr(self, name))[:40]} »")
        if not isinstance(self.content_hash, str):
            raise SchemeError(rid, "content_hash", "texte attendu")
        if self.data_date and not (isinstance(self.data_date, str) and _DATA_DATE_RE.match(self.data_date)):
            raise SchemeError(rid, "data_date", f"date des données invalide « {self.data_date} » "
                                                "(attendu AAAA-MM-JJ ou AAAA-MM)")
        return self


def parse_iso_date(value: Any, record: str = "?", field_name: str = "date") -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise SchemeError(record, field_name, f"date invalide « {value} » (attendu AAAA-MM-JJ)") from None


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def jsonable(value: Any) -> Any:
    """``value`` as ``to_dict`` writes it: dates as ISO text, the rest as is."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def content_hash(values: dict[str, Any]) -> str:
    """The hash of the CONTENT_FIELDS of ``values``, a ``to_dict()``: what ``compute_hash`` gives."""
    payload = {name: values[name] for name in CONTENT_FIELDS}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# Read once: ``dataclasses.fields`` rebuilds its tuple on every call, and import, export and every
# listing call ``to_dict`` / ``from_dict`` once per scheme.
FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Scheme))
_KNOWN_KEYS = frozenset(FIELD_NAMES) | {"status"}
