"""Import files into the catalogue, export it, and select schemes with filters.

Formats, detected from the content (not the extension, except ``.jsonl`` which is trusted):

* our JSONL: one ``Scheme.to_dict()`` per line (also accepted: one Aides-territoires API record
  per line);
* the Aides-territoires API JSON ``{"count", "next", "previous", "results": [...]}`` (or a bare
  array of its records), read incrementally: the file is never loaded whole;
* the Aides-territoires CSV export (columns Nom, Lien, Financeurs, Bénéficiaire…).

Encoding: UTF-8 with or without BOM; otherwise Windows-1252 (Excel's default on French Windows).
The check streams the whole file through an incremental decoder before anything is written.

Policy for bad input — nothing already in the catalogue is ever lost:

* a bad *record* (unknown label, unknown territory, 1 MB of text, a JSONL line that is not JSON,
  a CSV row with the wrong number of cells…) is rejected and reported with file, line (and
  record number) and field; the good records of the file are imported; the command exits 1;
* with ``strict=True`` the first bad record aborts the file and nothing of it is written;
* a bad *file* (empty, unknown format, malformed JSON structure, undecodable bytes, missing CSV
  columns) is refused whole: its run is rolled back and the report carries the French error;
* each file is one ``Catalogue.run()``, one transaction: a crash or Ctrl-C leaves the catalogue
  as it was before that file;
* with ``complete=True`` schemes of the source absent from the file are marked closed, unless
  some records were rejected without a readable id or the file is only one page of the API
  (``next`` not null): closing then would close schemes that are merely unreadable or elsewhere.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from . import files, territory
from .model import LIST_FIELDS, TEXT_FIELDS, Scheme, SchemeError
from .normalise import may_hold_controls, strip_controls
from .store import Catalogue, mass_closure, stored_json
from .vocabularies import OPEN_STATUSES, fold

CHUNK = 1 << 16
MAX_RECORD_CHARS = 16 * 1024 * 1024  # a JSON record larger than this is a broken file, not a record
_PLAIN_FIELDS = (*TEXT_FIELDS, "url", "application_url", "rate_comment", "perimeter_label")
_CSV_REQUIRED = ("Nom", "Lien")


class ImportFileError(ValueError):
    """The whole file is refused; ``str()`` is a French sentence naming the file."""


class _StrictAbort(Exception):
    pass


@dataclass
class Rejection:
    where: str            # "ligne 12" or "enregistrement n° 3 (ligne 40)"
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        record = f"« {self.record} », " if self.record and self.record != "?" else ""
        return f"{self.where} : {record}champ « {self.field} » : {self.message}"


@dataclass
class ImportReport:
    path: Path
    format: str = ""
    encoding: str = ""
    source: str = ""
    read: int = 0
    counts: Counter = field(default_factory=Counter)
    rejected: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None      # the file was refused: nothing of it was written
    closed_applied: bool = False
    closure_refused: bool = False  # --complete would have closed more than half the source (no --forcer)
    one_page: bool = False        # an API page whose "next" is not null

    @property
    def ok(self) -> bool:
        return self.error is None and not self.rejected and not self.closure_refused

    @property
    def unchanged_only(self) -> bool:
        c = self.counts
        return self.error is None and c["unchanged"] > 0 and not (c["new"] or c["changed"] or c["closed"]
                                                                  or c["reopened"])

    def summary_fr(self) -> str:
        if self.error:
            return f"{self.path.name} : REFUSÉ — {self.error}"
        c = self.counts
        text = (f"{self.path.name} ({_FORMAT_LABELS.get(self.format, self.format)}, {self.read} lu(s)) : "
                f"{c['new']} nouveau(x), {c['changed']} modifié(s), {c['unchanged']} inchangé(s), "
                f"{c['closed']} clôturé(s), {c['reopened']} rouvert(s), {len(self.rejected)} rejeté(s)")
        if self.unchanged_only:
            text += " — rien n'a changé, ce fichier était déjà importé"
        return text


_FORMAT_LABELS = {"jsonl": "JSONL aidenum", "at-jsonl": "JSONL d'aides Aides-territoires",
                  "at-api": "JSON de l'API Aides-territoires", "at-csv": "CSV Aides-territoires"}


# -- entry point -------------------------------------------------------------------------------

def import_file(path: str | Path, catalogue: Catalogue | None, *, complete: bool = False, strict: bool = False,
                progress: Callable[[int], None] | None = None, dry_run: bool = False,
                referential=None, force: bool = False) -> ImportReport:
    """Import one file in one run; return what happened (never raises for bad input).

    ``progress(bytes_read)`` is called as the file is read. ``dry_run`` reads and validates
    without writing (``catalogue`` may then be None): used to check every file before a strict
    import of several. ``force`` lets a complete import close more than half of a source's open
    schemes (``store.mass_closure``)."""
    path = Path(path)
    report = ImportReport(path=path)
    try:
        report.encoding = detect_encoding(path)
        with open(path, "rb") as binary:
            text = io.TextIOWrapper(binary, encoding=report.encoding, newline="")
            report.format, report.source = sniff(text, path)
            text.seek(0)
            reader = _READERS[report.format]
            records = reader(text, report, territory.Lazy(referential))
            _load(records, catalogue, report, complete=complete, strict=strict, dry_run=dry_run, force=force,
                  tick=(lambda: progress(binary.tell())) if progress else None)
    except ImportFileError as error:
        report.error = str(error)
    except _StrictAbort:
        first = report.rejected[0]
        report.error = f"import strict interrompu au premier rejet ({first}) ; rien de ce fichier n'a été écrit"
    except (OSError, csv.Error) as error:
        report.error = f"lecture impossible : {error}"
    if report.error:
        report.counts = Counter()
    return report


def _load(records, catalogue, report: ImportReport, *, complete, strict, dry_run, tick, force=False) -> None:
    seen: dict[str, str] = {}
    unidentified = False
    sources: set[str] = set()

    def consume(run) -> None:
        nonlocal unidentified
        for count, (where, result) in enumerate(records, start=1):
            report.read += 1
            if tick and count % 200 == 0:
                tick()
            if not isinstance(result, SchemeError) and result.id not in seen:
                try:
                    run.upsert(result)
                except SchemeError as error:  # what only storing reveals (NaN in the raw payload)
                    result = error
                else:
                    seen[result.id] = where
                    sources.add(result.source)
                    continue
            if isinstance(result, SchemeError):
                report.rejected.append(Rejection(where, result.record, result.field, result.message))
                if ":" in result.record:
                    run.seen.add(result.record)  # rejected, not vanished: never close it
                else:
                    unidentified = True
                if strict:
                    raise _StrictAbort
                continue
            report.rejected.append(Rejection(where, result.id, "id",
                                             f"identifiant déjà présent plus haut ({seen[result.id]}) : "
                                             "doublon ignoré"))
            if strict:
                raise _StrictAbort
        if tick:
            tick()
        if complete:
            if unidentified:
                report.notes.append("import complet : aucune clôture appliquée, car des enregistrements "
                                    "rejetés n'ont pas d'identifiant lisible")
            elif report.one_page:
                report.notes.append("import complet : aucune clôture appliquée, car le fichier n'est "
                                    "qu'une page de l'API")
            elif sources - {report.source}:
                report.notes.append("import complet : aucune clôture appliquée, car le fichier mélange "
                                    f"plusieurs sources ({', '.join(sorted(sources))})")
            elif (refusal := mass_closure(len(run.missing()), len(run.open_ids()))) and not force:
                report.closure_refused = True
                report.notes.append(f"import complet : aucune clôture appliquée, car {refusal} (fichier "
                                    "tronqué ?) ; si la source a vraiment retiré ces fiches, relancez avec "
                                    "--forcer")
            else:
                run.close_missing()
                report.closed_applied = True
                if not dry_run:
                    catalogue.db.execute("UPDATE runs SET complete=1 WHERE id=?", (run.result.run_id,))

    if dry_run:
        run = _DryRun()
        consume(run)
    else:
        with catalogue.run(report.source or "import", kind="import", label=report.path.name, batched=True) as run:
            consume(run)
    report.counts = Counter(run.counts)


class _DryRun:
    def __init__(self):
        self.seen: set[str] = set()
        self.counts: Counter = Counter()

    def upsert(self, scheme: Scheme) -> str:
        stored_json(scheme)  # what the real run would refuse to store, a dry run refuses too
        self.counts["new"] += 1
        return "new"

    def open_ids(self) -> set[str]:
        return set()

    def missing(self) -> list[str]:
        return []

    def close_missing(self) -> int:
        return 0


def _without_controls(scheme: Scheme) -> Scheme:
    """The scheme with control characters removed from every text (``normalise.strip_controls``)."""
    for name in _PLAIN_FIELDS:
        value = getattr(scheme, name)
        if isinstance(value, str):
            setattr(scheme, name, strip_controls(value))
    for name in LIST_FIELDS:
        value = getattr(scheme, name)
        if isinstance(value, list):
            setattr(scheme, name, [strip_controls(v) if isinstance(v, str) else v for v in value])
    return scheme


# -- encoding and format -----------------------------------------------------------------------

def detect_encoding(path: Path) -> str:
    """'utf-8-sig' (BOM or not) when the whole file decodes as UTF-8, else 'cp1252' (see
    ``files.detect_encoding``); raises ImportFileError on an empty file, bytes that neither
    encoding can read, or a device/FIFO."""
    try:
        encoding = files.detect_encoding(path)
    except files.UndecodableError as error:
        raise ImportFileError(f"encodage illisible : ni UTF-8 ni Windows-1252 (octet 0x{error.byte:02X} à la "
                              f"position {error.offset}) ; réenregistrez le fichier en UTF-8") from None
    except files.NotRegularFileError as error:
        raise ImportFileError(error.reason) from None
    if Path(path).stat().st_size == 0:
        raise ImportFileError("fichier vide")
    return encoding


def sniff(text: TextIO, path: Path) -> tuple[str, str]:
    """(format, source) from the first characters of the file."""
    head = text.read(CHUNK).lstrip("\ufeff \t\r\n")
    if not head:
        raise ImportFileError("fichier vide (aucun caractère hors espaces)")
    first_line = head.split("\n", 1)[0].strip()
    if head[0] == "{" or path.suffix.lower() == ".jsonl":
        try:
            first = json.loads(first_line)
        except (ValueError, RecursionError):
            first = None
        if isinstance(first, dict) and ("results" in first or "count" in first) and "title" not in first:
            return "at-api", "at"
        if isinstance(first, dict):
            if "source" in first or "title" in first:
                return "jsonl", str(first.get("source") or "import")
            if "name" in first:
                return "at-jsonl", "at"
        if path.suffix.lower() == ".jsonl" or _second_line_is_object(head):
            return "jsonl", "import"  # a broken first line: reported as a rejected record
        return "at-api", "at"
    if head[0] == "[":
        return "at-api", "at"
    columns = next(csv.reader([first_line], delimiter=_delimiter(first_line)), [])
    if set(_CSV_REQUIRED) <= {c.strip() for c in columns}:
        return "at-csv", "at"
    if len(columns) > 1:
        missing = ", ".join(c for c in _CSV_REQUIRED if c not in columns)
        raise ImportFileError(f"CSV sans les colonnes obligatoires ({missing}) de l'export Aides-territoires ; "
                              f"colonnes lues : {', '.join(c[:30] for c in columns[:12])}")
    raise ImportFileError("format non reconnu : attendu un JSONL aidenum, un JSON de l'API Aides-territoires "
                          "ou un CSV exporté d'Aides-territoires")


def _second_line_is_object(head: str) -> bool:
    lines = [line.strip() for line in head.split("\n")[1:] if line.strip()]
    try:
        return bool(lines) and isinstance(json.loads(lines[0]), dict)
    except (ValueError, RecursionError):
        return False


def _delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


# -- readers: yield (where, Scheme | SchemeError), the scheme's texts without control characters --

def _read_jsonl(text: TextIO, report: ImportReport, referential: territory.Lazy) -> Iterator[tuple[str, Any]]:
    from .aides_territoires import scheme_from_api
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        where = f"ligne {number}"
        try:
            data = json.loads(line)
        except ValueError as error:
            yield where, SchemeError(_id_in(line), "*", f"JSON invalide : {_json_message(error)}")
            continue
        except RecursionError:
            yield where, SchemeError("?", "*", "JSON trop imbriqué (des milliers de « [ » ou « { ») : "
                                               "ce n'est pas un enregistrement")
            continue
        try:
            if report.format == "at-jsonl":
                yield where, _without_controls(scheme_from_api(data, referential.get()))
            else:
                scheme = Scheme.from_dict(data)
                # our own format keeps the line's strings as they are: no control character in
                # the line, none in the scheme
                yield where, _without_controls(scheme) if may_hold_controls(line) else scheme
        except SchemeError as error:
            yield where, error


def _read_api(text: TextIO, report: ImportReport, referential: territory.Lazy) -> Iterator[tuple[str, Any]]:
    from .aides_territoires import scheme_from_api
    stream = JsonStream(text)
    for index, line, record in stream.iter_results():
        if stream.header.get("next") and not report.one_page:
            report.one_page = True
            report.notes.append(f"ce fichier n'est qu'une page de l'API ({stream.header.get('count')} aides "
                                f"au total, page suivante : {stream.header['next']}) : les autres pages "
                                "ne sont pas importées")
        where = f"enregistrement n° {index} (ligne {line})"
        try:
            yield where, _without_controls(scheme_from_api(record, referential.get()))
        except SchemeError as error:
            yield where, error


def _read_csv(text: TextIO, report: ImportReport, referential: territory.Lazy) -> Iterator[tuple[str, Any]]:
    from .aides_territoires import scheme_from_csv_row
    # one real cell may hold a whole page of text; the model rejects >200 000 chars with a clear message
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS))
    header_line = text.readline()
    text.seek(0)
    reader = csv.reader(text, delimiter=_delimiter(header_line))
    try:
        header = [c.strip().lstrip("\ufeff") for c in next(reader)]
        previous_end = reader.line_num
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            where = f"ligne {start}"
            if len(cells) != len(header):
                yield where, SchemeError("?", "*", f"{len(cells)} cellules au lieu de {len(header)} "
                                                   "(séparateur ou guillemet manquant ?)")
                continue
            try:
                yield where, _without_controls(scheme_from_csv_row(dict(zip(header, cells)), start,
                                                                   referential.get()))
            except SchemeError as error:
                yield where, error
    except csv.Error as error:
        raise ImportFileError(f"CSV mal formé ligne {reader.line_num} : {error}") from None


_READERS = {"jsonl": _read_jsonl, "at-jsonl": _read_jsonl, "at-api": _read_api, "at-csv": _read_csv}


# -- incremental JSON ----------------------------------------------------------------------------

_JSON_MESSAGES = {
    "Expecting value": "valeur attendue",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendu",
    "Expecting property name enclosed in double quotes": "nom de clé entre guillemets attendu",
    "Unterminated string starting at": "texte entre guillemets non terminé",
    "Extra data": "données en trop après la fin du JSON",
    "Invalid control character at": "caractère de contrôle interdit",
    "Invalid \\escape": "séquence d'échappement invalide",
}


_ID_IN_LINE = re.compile(r'"id"\s*:\s*"([a-z][a-z0-9-]*:[^"\s]+)"')


def _id_in(line: str) -> str:
    """The scheme id of a JSONL line that could not be decoded, when one is readable, so that a
    rejected record is never taken for a vanished one by a complete import."""
    match = _ID_IN_LINE.search(line[:4096])
    return match.group(1) if match else "?"


def _json_message(error: json.JSONDecodeError | ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        message = _JSON_MESSAGES.get(error.msg, error.msg)
        return f"{message} (colonne {error.colno})"
    return str(error)


class JsonStream:
    """Read ``{"count", "next", "previous", "results": [...]}`` (or ``[...]``) one record at a time.

    Each value is decoded with ``json.JSONDecoder.raw_decode`` from a sliding text buffer;
    when a value is cut by the end of the buffer, more text is read and the decode retried.
    Memory use is bounded by the largest record, not the file."""

    def __init__(self, text: TextIO, chunk: int = CHUNK):
        self.text, self.chunk, self.base_chunk = text, chunk, chunk
        self.buf, self.pos, self.eof = "", 0, False
        self.decoder = json.JSONDecoder()
        self.header: dict[str, Any] = {}
        self._line, self._line_pos = 1, 0   # line number at buffer offset _line_pos

    def _more(self) -> bool:
        if self.eof:
            return False
        data = self.text.read(self.chunk)
        if not data:
            self.eof = True
            return False
        self._line += self.buf.count("\n", self._line_pos, self.pos)
        self.buf, self.pos, self._line_pos = self.buf[self.pos:] + data, 0, 0
        return True

    def line(self, pos: int | None = None) -> int:
        pos = self.pos if pos is None else pos
        self._line += self.buf.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def _peek(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n\ufeff":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def _expect(self, chars: str, what: str) -> str:
        char = self._peek()
        if not char:
            raise ImportFileError(f"JSON tronqué ligne {self.line()} : {what} attendu, mais le fichier "
                                  "s'arrête là (téléchargement incomplet ?)")
        if char not in chars:
            raise ImportFileError(f"JSON mal formé ligne {self.line()} : {what} attendu, trouvé « {char} »")
        self.pos += 1
        return char

    def _value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof or not self._more_keep():
                    self.pos, self.chunk = end, self.base_chunk
                    return value
            except json.JSONDecodeError as error:
                if len(self.buf) - self.pos > MAX_RECORD_CHARS or not self._more_keep():
                    line = self.line(error.pos) if error.pos >= self.pos else self.line()
                    raise ImportFileError(f"JSON mal formé ligne {line} : {_json_message(error)}") from None
            except RecursionError:
                raise ImportFileError(f"JSON trop imbriqué ligne {self.line()} (des milliers de « [ » ou "
                                      "« { ») : ce n'est pas une réponse de l'API") from None

    def _more_keep(self) -> bool:
        """Read more text, growing the read size so that a large value costs few retries."""
        grown = self._more()
        self.chunk = min(self.chunk * 2, 1 << 22)
        return grown

    def iter_results(self) -> Iterator[tuple[int, int, Any]]:
        """Yield (record number from 1, line of its start, decoded value)."""
        first = self._peek()
        if first == "[":
            yield from self._iter_array()
        elif first == "{":
            self.pos += 1
            found = False
            while self._peek() != "}":
                if self.header or found:
                    self._expect(",", "une virgule")
                key = self._value()
                if not isinstance(key, str):
                    raise ImportFileError(f"JSON mal formé ligne {self.line()} : nom de clé attendu")
                self._expect(":", "un deux-points")
                if key == "results":
                    found = True
                    if self._peek() == "n":  # "results": null
                        self._value()
                        continue
                    yield from self._iter_array()
                else:
                    self.header[key] = self._value()
                if not self._peek():
                    raise ImportFileError(f"JSON tronqué ligne {self.line()} : « }} » final manquant")
            self.pos += 1
            if not found:
                raise ImportFileError("clé « results » absente : ce n'est pas une réponse de l'API "
                                      "Aides-territoires")
        else:
            raise ImportFileError(f"JSON mal formé ligne {self.line()} : « {{ » ou « [ » attendu")
        if self._peek():
            raise ImportFileError(f"JSON mal formé ligne {self.line()} : données en trop après la fin du JSON")

    def _iter_array(self) -> Iterator[tuple[int, int, Any]]:
        self._expect("[", "un crochet « [ »")
        index = 0
        while True:
            char = self._peek()
            if char == "]":
                self.pos += 1
                return
            if index:
                self._expect(",", "une virgule ou « ] »")
            if not self._peek():
                raise ImportFileError(f"JSON tronqué ligne {self.line()} : « ] » final manquant")
            index += 1
            line = self.line()
            yield index, line, self._value()


# -- selection and export -----------------------------------------------------------------------

@dataclass
class Filters:
    source: str | None = None
    funder: str | None = None          # substring of a funder name, accents and case ignored
    beneficiary: str | None = None     # slug (commune, epci…)
    territory: str | None = None       # resolved code: schemes whose perimeter is open to it
    open_only: bool = False
    today: Any = None
    aid_type: str | None = None        # an AID_TYPES slug
    status: str | None = None          # open / closing-soon / stale / closed on ``today``

    def match(self, scheme: Scheme, referential=None) -> bool:
        if self.aid_type and self.aid_type not in scheme.aid_types:
            return False
        if self.status and scheme.status(self.today) != self.status:
            return False
        if self.funder:
            wanted = fold(self.funder)
            if not any(wanted in fold(f) for f in scheme.funders):
                return False
        if self.beneficiary and self.beneficiary not in scheme.beneficiaries:
            return False
        if self.open_only and scheme.status(self.today) not in OPEN_STATUSES:  # a stale date is not open
            return False
        if self.territory and not referential.is_open_to(scheme.perimeter, self.territory):
            return False
        return True


def select(catalogue: Catalogue, filters: Filters | None = None, referential=None,
           without: tuple[str, ...] = ()) -> Iterator[Scheme]:
    """Schemes matching ``filters``; ``without`` fields are not read (see ``Catalogue.all``)."""
    filters = filters or Filters()
    if filters.territory and referential is None:
        referential = territory.load()
    from .sources import canonical
    family = canonical(filters.source) if filters.source else None
    for scheme in catalogue.all(family=family, without=without):
        if filters.match(scheme, referential):
            yield scheme


def export_jsonl(catalogue: Catalogue, out: TextIO, filters: Filters | None = None) -> int:
    """Write the selected schemes as JSONL (``Scheme.to_dict()`` per line); return how many."""
    count = 0
    for scheme in select(catalogue, filters):
        out.write(json.dumps(scheme.to_dict(), ensure_ascii=False) + "\n")
        count += 1
    return count


def beneficiary_slug(text: str) -> str:
    """A beneficiary given on the command line (slug or French label) -> slug; ValueError if unknown."""
    from .vocabularies import BENEFICIARIES, label_to_slug
    slug = label_to_slug("beneficiaries", text)
    if slug is None:
        options = ", ".join(f"{s} ({label})" for s, label in BENEFICIARIES.items())
        raise ValueError(f"bénéficiaire inconnu « {text} » ; valeurs possibles : {options}")
    return slug

