"""Funded projects (« lauréats »): who the State or the EU funded, for what, where, at what rate.

One SQLite file, ``$AIDENUM_HOME/laureates.sqlite``, separate from the scheme catalogue: the
laureates are evidence about schemes, not schemes. Readers, one per published shape:

- DGCL CSV « Projets financés par les dotations de soutien à l'investissement » (DETR, DSIL, DPV,
  DSID), exactly as published: ``;``, UTF-8 with BOM, decimal comma, three-character
  département (« 001 », « 02A »/« 20A », « 691 » for the Métropole de Lyon), quoted newlines,
  ``taux`` a fraction (« inf » when the cost is 0);
- ANCT ODS (2018, streamed XML over the zip: the sheet is 60 MB of XML) and XLSX (2019, openpyxl
  read-only) versions of the same lists, with thematic categories;
- the Conseiller numérique France Services structures (ANCT JSON);
- Kohesio FEDER / FSE+ operations (CSV);
- the compact file shipped in ``data/`` (``laureates-dgcl.jsonl.gz``, see ``write_compact``).

Every row keeps the name of the file it came from (``source_file``: for the compact file, the
name of the original DGCL file), so re-importing a file replaces exactly its rows. Beneficiaries
are resolved to the territory referential: commune INSEE, EPCI SIREN (a syndicat keeps its SIREN
and its département), département, région. A row that cannot be read is reported with file,
line and field and skipped; the caller decides whether one such row cancels the import
(``strict``). One transaction per file.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import io
import json
import math
import operator
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from xml.etree import ElementTree

from . import territory
from .formatting import date_fr, percent_fr
from .paths import home, shipped
from .vocabularies import fold

DB_NAME = "laureates.sqlite"
SHIPPED_PATH = shipped("data", "laureates-dgcl.jsonl.gz")
COMPACT_FORMAT = "aidenum-laureates"
DGCL_CREDIT = ("Source : DGCL, projets financés par les dotations de soutien à l'investissement local "
               "(Licence Ouverte), data.gouv.fr")

# Dispositif labels shared with the catalogue (Scheme.programmes, INTERFACES.md).
DGCL_DISPOSITIFS = {"DETR", "DSIL", "DSID", "DPV"}
CNFS = "Conseiller numérique"
FEDER = "FEDER"

# DGCL writes the département on three characters; a few codes are not INSEE codes.
# « 67A » (Alsace) and « 20A » (Corse) cover two départements each: the first is only the default,
# the beneficiary's commune or EPCI decides (``Resolver``).
_DEP_ALIASES = {"20A": "2A", "02A": "2A", "20B": "2B", "02B": "2B",
                "67A": "67",
                "691": "69"}   # Métropole de Lyon (collectivité à statut particulier) lies in the Rhône
_ENVELOPE_OTHERS = {"67": ("68",), "2A": ("2B",)}
# A rate a little above 100 % is a rounding of grant / cost; beyond this the row is wrong.
RATE_TOLERANCE = 1.01
BATCH = 5000               # rows per executemany
PROGRESS_EVERY = 2000      # rows between two progress callbacks
EMPTY_ROWS_END = 10_000    # a spreadsheet with this many empty rows in a row has ended (formatted blanks)


class LaureateError(ValueError):
    """A file that cannot be imported at all; ``str()`` is French."""


@dataclass(slots=True)
class Laureate:
    """One funded project, as stored."""
    source_file: str
    line: int
    source: str                  # dgcl, anct, cnfs, kohesio
    year: int
    dispositif: str              # DETR, DSIL, DSID, DPV, FEDER, Conseiller numérique…
    title: str
    beneficiary: str = ""
    beneficiary_type: str = ""   # commune, epci, departement, syndicat…, as published
    siren: str | None = None
    insee: str | None = None     # commune of the project or of the beneficiary
    epci: str | None = None      # SIREN of the EPCI à fiscalité propre (the beneficiary or its commune's)
    departement: str | None = None
    region: str | None = None
    territory: str | None = None  # COM:…, EPCI:…, DEP:… — the narrowest known
    place: str = ""              # « Bourg-en-Bresse (01) »
    cost: float | None = None    # euros HT
    grant: float | None = None   # euros
    rate: float | None = None    # percent of the cost
    category: str | None = None  # ANCT thematic category


COLUMNS = [f.name for f in fields(Laureate)]
values_of = operator.attrgetter(*COLUMNS)


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, ligne {self.line}, champ « {self.field} » : {self.message}"


@dataclass
class ImportResult:
    file: str
    imported: int = 0
    replaced: int = 0
    errors: list[RowError] | None = None
    written: bool = True
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.imported / self.seconds if self.seconds else 0.0


class _RowFault(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


# -- numbers and codes ---------------------------------------------------------------------------

def _number(value, field: str, required: bool = False) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _RowFault(field, "valeur manquante")
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        number = float(value.replace(",", "."))  # the common case: « 12815,0 »
    except ValueError:
        pass
    else:
        return number if math.isfinite(number) else None  # « inf »: DGCL's rate when the cost is 0
    text = value.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if text.lower() in ("inf", "nan", "-inf") or text.startswith("#"):
        return None  # « inf »: DGCL's rate when the cost is 0; « #DIV/0 ! »: a spreadsheet's

    try:
        return float(text)
    except ValueError:
        raise _RowFault(field, f"nombre illisible « {value.strip()[:30]} »") from None


def _rate_percent(raw_fraction: float | None, cost: float | None, grant: float | None, field: str) -> float | None:
    """The rate in percent: the published fraction, else grant / cost; None when the cost is 0."""
    fraction = raw_fraction
    if fraction is None and cost and grant is not None:
        fraction = grant / cost
    if fraction is None or not cost:
        return None
    if fraction < 0 or fraction > RATE_TOLERANCE:
        raise _RowFault(field, f"taux de {percent_fr(round(fraction * 100))} impossible "
                               "(subvention supérieure au coût)")
    return round(min(fraction, 1.0) * 100, 4)


def departement_code(raw: str) -> str:
    """« 001 » -> « 01 », « 20A » -> « 2A », « 974 » -> « 974 », « 1 » -> « 01 »."""
    value = (raw or "").strip().upper()
    value = _DEP_ALIASES.get(value, value)
    if len(value) == 3 and value.startswith("0"):
        value = value[1:]
    if len(value) == 1 and value.isdigit():
        value = "0" + value
    return value


class Resolver:
    """Beneficiary -> territory codes, place label, département and région (referential look-ups)."""

    def __init__(self, referential: territory.Referential | None = None):
        self.ref = referential or territory.load()
        self._by_name: dict[tuple[str, str], str | None] = {}
        self._resolved: dict[tuple, tuple] = {}
        self._departements: dict[str, str | None] = {}  # as written -> INSEE code, None when unknown
        self._regions: dict[str, str | None] = {}

    def departement(self, raw: str, field: str) -> str:
        if raw not in self._departements:
            code = departement_code(raw)
            self._departements[raw] = code if code and f"DEP:{code}" in self.ref.territories else None
        code = self._departements[raw]
        if code is None:
            raise _RowFault(field, f"département inconnu « {(raw or '').strip()} »")
        return code

    def resolve(self, item: Laureate, dep: str, insee: str | None = None, siren: str | None = None,
                name: str = "") -> None:
        """Fill item's insee / epci / siren / territory / place / département / région."""
        insee = (insee or "").strip() or None
        siren = (siren or "").strip() or None
        by_name = name if not insee and not siren and item.beneficiary_type in ("", "commune") else ""
        key = (dep, insee, siren, by_name)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve(dep, insee, siren, by_name)
        item.insee, item.epci, item.siren, item.departement, item.territory, item.region, item.place = found

    def _resolve(self, dep: str, insee: str | None, siren: str | None, name: str) -> tuple:
        ref = self.ref
        if insee and len(insee) == 4 and insee.isdigit():
            insee = "0" + insee  # a spreadsheet that read the code as a number
        code = None
        if insee and f"COM:{insee}" in ref.territories:
            code = f"COM:{insee}"
        elif siren and f"EPCI:{siren}" in ref.territories:
            code = f"EPCI:{siren}"
        elif name:
            code = self._commune_by_name(name, dep)
        if code and f"DEP:{dep}" not in ref.ancestors(code):
            # DGCL files a whole envelope under one code: « 67A » holds Bas-Rhin and Haut-Rhin
            # communes, « 20A » both Corsican départements; the commune or EPCI code is the truth.
            dep = (ref.department_of(code) or f"DEP:{dep}")[4:]
        commune = epci = None
        if code and code.startswith("COM:"):
            commune = code[4:]
            parent = next((a for a in ref.parents.get(code, ()) if a.startswith("EPCI:")), None)
            epci = parent[5:] if parent else None
        elif code:
            epci = code[5:]
        territory_code = code or f"DEP:{dep}"
        region = self._region(dep)
        place = ref.territories[territory_code].name
        if not territory_code.startswith("DEP:"):
            place = f"{place} ({dep})"
        return commune, epci, siren, dep, territory_code, region, place

    def _region(self, dep: str) -> str | None:
        if dep not in self._regions:
            self._regions[dep] = (self.ref.region_of(f"DEP:{dep}") or "")[4:] or None
        return self._regions[dep]

    def _commune_by_name(self, name: str, dep: str) -> str | None:
        """2018 rows without type nor code: the beneficiary is often the commune, by name (in the
        other département of an envelope code too)."""
        key = (fold(name), dep)
        if key not in self._by_name:
            code = None
            for candidate in (dep, *_ENVELOPE_OTHERS.get(dep, ())):
                try:
                    code = self.ref.resolve(f"{name.strip()} ({candidate})", scale="COM")
                    break
                except territory.TerritoryError:
                    continue
            self._by_name[key] = code
        return self._by_name[key]


# -- readers: each yields Laureate or RowError -------------------------------------------------

Row = Laureate | RowError
Progress = Callable[[int, int], None]  # (done, total), in bytes of the file or of its XML


def _clean(text) -> str:
    """Whitespace runs (newlines of quoted cells included) to one space, ends stripped."""
    return " ".join(str(text).split()) if text else ""


def _column(values, at: dict[str, int], name: str):
    """The cell of column ``name`` in a spreadsheet row (None when the row is shorter)."""
    index = at.get(name)
    return values[index] if index is not None and index < len(values) else None


class _Reader:
    """Common frame of a reader: a file name, a resolver, a progress callback."""
    source = ""

    def __init__(self, path: Path, resolver: Resolver, progress: Progress | None = None):
        self.path, self.name, self.resolver = path, path.name, resolver
        self.size = path.stat().st_size
        self.progress = progress or (lambda done, total: None)

    def fault(self, line: int, fault: _RowFault) -> RowError:
        return RowError(self.name, line, fault.field, fault.message)

    def item(self, line: int, year, dispositif: str, title: str, **values) -> Laureate:
        title = _clean(title)
        if not title:
            raise _RowFault("intitule", "intitulé vide")
        if not dispositif:
            raise _RowFault("dispositif", "dispositif vide")
        try:
            year = int(str(year).strip()[:4])
        except ValueError:
            raise _RowFault("exercice", f"année illisible « {year} »") from None
        return Laureate(source_file=values.pop("source_file", self.name), line=line, source=self.source,
                        year=year, dispositif=dispositif, title=title, **values)


class DgclCsvReader(_Reader):
    source = "dgcl"
    HEADER = ["exercice", "dispositif", "programme", "beneficiaire_type", "beneficiaire_siren",
              "beneficiaire_dep", "beneficiaire_nom", "beneficiaire_code_insee", "intitule", "cout_ht",
              "subvention", "taux"]

    def __iter__(self) -> Iterator[Row]:
        with open(self.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.reader(text, delimiter=";")
            header = [h.strip() for h in next(reader, [])]
            missing = [h for h in self.HEADER if h not in header]
            if missing:
                raise LaureateError(f"{self.name} : colonnes DGCL manquantes : {', '.join(missing)}")
            order = [header.index(h) for h in self.HEADER]
            last_line = reader.line_num
            count = 0
            for record in reader:
                line, last_line = last_line + 1, reader.line_num  # a quoted newline spans lines
                count += 1
                if count % PROGRESS_EVERY == 0:
                    self.progress(raw.tell(), self.size)
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(header):
                    yield RowError(self.name, line, "ligne", f"{len(record)} colonnes au lieu de {len(header)}")
                    continue
                try:
                    yield self._row(line, *[record[i] for i in order])
                except _RowFault as fault:
                    yield self.fault(line, fault)
            self.progress(raw.tell(), self.size)

    def _row(self, line: int, year: str, dispositif: str, _programme: str, kind: str, siren: str, dep: str,
             name: str, insee: str, title: str, cost: str, grant: str, rate: str) -> Laureate:
        """One record, its cells in ``HEADER`` order."""
        cost_value = _number(cost, "cout_ht")
        grant_value = _number(grant, "subvention", required=True)
        item = self.item(line, year, _clean(dispositif).upper(), title, beneficiary=_clean(name),
                         beneficiary_type=_clean(kind).lower(), cost=cost_value, grant=grant_value,
                         rate=_rate_percent(_number(rate, "taux"), cost_value, grant_value, "taux"))
        code = self.resolver.departement(dep, "beneficiaire_dep")
        self.resolver.resolve(item, code, insee=insee, siren=siren, name=item.beneficiary)
        return item


class KohesioCsvReader(_Reader):
    """Kohesio operations (FEDER, FSE+): one row per operation, rate as a percentage."""
    source = "kohesio"
    REQUIRED = ["departement", "commune_insee", "operation_name", "fund", "eu_amount_eur", "total_eligible_eur",
                "cofinancing_rate_pct", "start_date"]

    def __iter__(self) -> Iterator[Row]:
        with open(self.path, "rb") as raw:
            reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            missing = [h for h in self.REQUIRED if h not in (reader.fieldnames or [])]
            if missing:
                raise LaureateError(f"{self.name} : colonnes Kohesio manquantes : {', '.join(missing)}")
            last_line = 1
            for row in reader:
                line, last_line = last_line + 1, reader.line_num
                try:
                    yield self._row(line, row)
                except _RowFault as fault:
                    yield self.fault(line, fault)
            self.progress(raw.tell(), self.size)

    def _row(self, line: int, row: dict) -> Laureate:
        cost = _number(row["total_eligible_eur"], "total_eligible_eur")
        grant = _number(row["eu_amount_eur"], "eu_amount_eur", required=True)
        pct = _number(row["cofinancing_rate_pct"], "cofinancing_rate_pct")
        rate = _rate_percent(pct / 100 if pct is not None else None, cost, grant, "cofinancing_rate_pct")
        fund = _clean(row["fund"]).upper() or FEDER
        item = self.item(line, (row["start_date"] or "")[:4], fund, row["operation_name"],
                         category=_clean(row.get("programme")) or None, cost=cost, grant=grant, rate=rate)
        dep = self.resolver.departement(row["departement"], "departement")
        self.resolver.resolve(item, dep, insee=row["commune_insee"])
        return item


class CnfsJsonReader(_Reader):
    """Conseiller numérique France Services structures (2021 selection committees)."""
    source = "cnfs"

    def __iter__(self) -> Iterator[Row]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)  # 1.2 MB, one array: no need to stream
        except json.JSONDecodeError as error:
            raise LaureateError(f"{self.name} : JSON illisible (ligne {error.lineno}) : {error.msg}") from None
        if not isinstance(data, list) or (data and "nb_cnfs" not in data[0]):
            raise LaureateError(f"{self.name} : ce n'est pas une liste de structures Conseiller numérique")
        for number, row in enumerate(data, start=1):
            try:
                yield self._row(number, row)
            except _RowFault as fault:
                yield self.fault(number, fault)
        self.progress(self.size, self.size)

    def _row(self, number: int, row: dict) -> Laureate:
        posts = int(_number(row.get("nb_cnfs"), "nb_cnfs", required=True))
        grant = _number(row.get("investissement_financier_estimatif_total_de_l.etat"),
                        "investissement_financier_estimatif_total_de_l.etat")
        title = f"Conseiller numérique France Services : {posts} poste{'s' if posts > 1 else ''}"
        siret = re.sub(r"\D", "", str(row.get("siret") or ""))
        item = self.item(number, row.get("date_de_validation_en_comité_de_sélection") or "", CNFS, title,
                         beneficiary=_clean(row.get("raison_sociale")),
                         beneficiary_type=_clean(row.get("type")), grant=grant)
        dep = self.resolver.departement(str(row.get("insee_dep") or row.get("code_département") or ""), "insee_dep")
        self.resolver.resolve(item, dep, insee=row.get("insee_com"), siren=siret[:9] or None)
        return item


_ANCT_ECHELON = {"commune": "commune", "epci": "epci", "conseil_departemental": "departement",
                 "departement": "departement"}


def _anct_row(reader: _Reader, line: int, year: int, get: Callable[[str], object]) -> Laureate:
    """One ANCT row (both years), columns given by ``get`` under the 2019 names."""
    cost = _number(get("cout_total"), "cout_total")
    grant = _number(get("montant_sub"), "montant_sub", required=True)
    rate = _rate_percent(_number(get("pct_sub"), "pct_sub"), cost, grant, "pct_sub")
    kind = _ANCT_ECHELON.get(fold(_clean(get("echelon"))), fold(_clean(get("echelon"))))
    category = _clean(get("categorie")) or None
    item = reader.item(line, year, _clean(get("dotation")).upper(), get("description") or "",
                       beneficiary=_clean(get("nom_terr")), beneficiary_type=kind, cost=cost, grant=grant,
                       rate=rate, category=category)
    dep = reader.resolver.departement(str(get("id_dep") or ""), "id_dep")
    code = _clean(get("id_terr"))
    reader.resolver.resolve(item, dep, insee=code if kind == "commune" else None,
                            siren=code if kind == "epci" else None)
    return item


class AnctXlsxReader(_Reader):
    """ANCT « projets_dotations_investissement_2019.xlsx »: sheet of projects, columns by name."""
    source = "anct"
    REQUIRED = ["id_dep", "id_terr", "nom_terr", "dotation", "echelon", "description", "cout_total", "montant_sub"]

    def __iter__(self) -> Iterator[Row]:
        import openpyxl
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError) as error:
            raise LaureateError(f"{self.name} : classeur XLSX illisible ({error})") from None
        try:
            sheet, header = self._sheet(book)
            year = _year_in(self.name)
            at = {h: i for i, h in enumerate(header)}
            empty_run = 0
            for line, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
                if not any(v not in (None, "") for v in values):
                    empty_run += 1
                    if empty_run >= EMPTY_ROWS_END:
                        break
                    continue
                empty_run = 0
                if line % PROGRESS_EVERY == 0:
                    self.progress(line, max(sheet.max_row or 0, line))
                try:
                    yield _anct_row(self, line, year, functools.partial(_column, values, at))
                except _RowFault as fault:
                    yield self.fault(line, fault)
        finally:
            book.close()
        self.progress(self.size, self.size)

    def _sheet(self, book):
        for sheet in book.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            header = [_clean(v).lower() for v in first]
            if all(h in header for h in self.REQUIRED):
                return sheet, header
        raise LaureateError(f"{self.name} : aucune feuille n'a les colonnes ANCT attendues "
                            f"({', '.join(self.REQUIRED)})")


# ODS 2018 column names -> the 2019 names used by _anct_row.
_ODS_COLUMNS = {"inseedep": "id_dep", "dot": "dotation", "echelon": "echelon", "beneficiaire": "nom_terr",
                "catgeorie": "categorie", "description": "description", "cout": "cout_total",
                "subvention": "montant_sub", "levier": "pct_sub", "inseecom": "inseecom", "inseeepci": "inseeepci"}
_NS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
       "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
       "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
_T = "{%s}" % _NS["table"]
_O = "{%s}" % _NS["office"]
_X = "{%s}" % _NS["text"]


class AnctOdsReader(_Reader):
    """ANCT « Projets_DI_2018.ods », streamed: iterparse over content.xml, rows cleared once read."""
    source = "anct"

    def __iter__(self) -> Iterator[Row]:
        try:
            archive = zipfile.ZipFile(self.path)
            content = archive.open("content.xml")
        except (zipfile.BadZipFile, KeyError, OSError) as error:
            raise LaureateError(f"{self.name} : fichier ODS illisible ({error})") from None
        year = _year_in(self.name)
        total = archive.getinfo("content.xml").file_size
        header: list[str] | None = None
        at: dict[str, int] = {}
        line = 0
        with archive, content:
            for event, element in ElementTree.iterparse(content, events=("end",)):
                if element.tag == f"{_T}table":
                    break  # the projects are the first sheet; METADONNEES follows
                if element.tag != f"{_T}table-row":
                    continue
                repeat = int(element.get(f"{_T}number-rows-repeated", "1"))
                values = _ods_cells(element)
                element.clear()
                if not any(values):
                    line += repeat
                    continue
                line += 1
                if header is None:
                    header = [fold(v) for v in values]
                    if not {"dot", "description", "subvention"} <= set(header):
                        raise LaureateError(f"{self.name} : première feuille sans les colonnes ANCT attendues "
                                            "(DOT, DESCRIPTION, SUBVENTION)")
                    at = {_ODS_COLUMNS[h]: i for i, h in enumerate(header) if h in _ODS_COLUMNS}
                    continue
                if line % PROGRESS_EVERY == 0:
                    self.progress(content.tell(), total)
                yield from self._one(line, year, values, at)
        self.progress(total, total)

    def _one(self, line, year, values, at) -> Iterator[Row]:
        def get(name):
            if name == "id_terr":  # 2018 has one code column per echelon
                kind = fold(_clean(_column(values, at, "echelon")))
                name = "inseecom" if kind == "commune" else "inseeepci"
            return _column(values, at, name)
        try:
            yield _anct_row(self, line, year, get)
        except _RowFault as fault:
            yield self.fault(line, fault)


def _ods_cells(row) -> list[str]:
    """Cell texts of a table-row; numbers from office:value, repeated cells expanded (trailing
    repeated empties dropped)."""
    values: list[str] = []
    for cell in row:
        if cell.tag not in (f"{_T}table-cell", f"{_T}covered-table-cell"):
            continue
        repeat = int(cell.get(f"{_T}number-columns-repeated", "1"))
        value = cell.get(f"{_O}value")
        if value is None:
            parts = []
            for paragraph in cell.iter(f"{_X}p"):
                parts.append("".join(_ods_text(paragraph)))
            value = "\n".join(parts)
        if not value and repeat > 1:
            values.extend([""] * min(repeat, 64))
        else:
            values.extend([value] * repeat)
    while values and not values[-1]:
        values.pop()
    return values


def _ods_text(element) -> Iterator[str]:
    if element.text:
        yield element.text
    for child in element:
        if child.tag == f"{_X}s":
            yield " " * int(child.get(f"{_X}c", "1"))
        elif child.tag in (f"{_X}tab",):
            yield "\t"
        else:
            yield from _ods_text(child)
        if child.tail:
            yield child.tail


class CompactReader(_Reader):
    """The shipped ``laureates-dgcl.jsonl.gz`` (see ``write_compact``). Each row keeps the name
    of its original DGCL file, so importing that file later replaces the shipped rows."""
    source = "dgcl"

    def __iter__(self) -> Iterator[Row]:
        with open(self.path, "rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
            try:
                header = json.loads(handle.readline() or "{}")
            except json.JSONDecodeError:
                header = {}
            if header.get("format") != COMPACT_FORMAT:
                raise LaureateError(f"{self.name} : ce n'est pas un fichier de lauréats aidenum")
            columns, files = header["columns"], {int(y): name for y, name in header["files"].items()}
            for number, text in enumerate(handle, start=2):
                if number % PROGRESS_EVERY == 0:
                    self.progress(raw.tell(), self.size)
                try:
                    values = dict(zip(columns, json.loads(text)))
                    dep, insee, siren = values.pop("departement"), values.pop("insee"), values.pop("siren")
                    item = Laureate(source_file=files.get(values["year"], self.name), source=self.source, **values)
                    self.resolver.resolve(item, dep, insee=insee, siren=siren)
                    yield item
                except (json.JSONDecodeError, TypeError, KeyError) as error:
                    yield RowError(self.name, number, "ligne", f"ligne illisible ({error})")
            self.progress(self.size, self.size)


def _year_in(name: str) -> int:
    match = re.search(r"(20\d\d)", name)
    if not match:
        raise LaureateError(f"{name} : année introuvable dans le nom du fichier (attendu par ex. …_2019.xlsx)")
    return int(match.group(1))


def reader_for(path: Path, resolver: Resolver, progress: Progress | None = None) -> _Reader:
    """Pick the reader from the extension and, for CSV, the header."""
    name = path.name.lower()
    if name.endswith(".jsonl.gz"):
        return CompactReader(path, resolver, progress)
    if name.endswith(".ods"):
        return AnctOdsReader(path, resolver, progress)
    if name.endswith((".xlsx", ".xlsm")):
        return AnctXlsxReader(path, resolver, progress)
    if name.endswith(".json"):
        return CnfsJsonReader(path, resolver, progress)
    if name.endswith(".csv"):
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8-sig", errors="replace").lower()
        first = head.splitlines()[0] if head else ""
        if first.startswith("exercice;dispositif"):
            return DgclCsvReader(path, resolver, progress)
        if "operation_name" in first and "fund" in first:
            return KohesioCsvReader(path, resolver, progress)
        raise LaureateError(f"{path.name} : CSV non reconnu (attendu : liste DGCL « exercice;dispositif;… » "
                            "ou opérations Kohesio « …operation_name,fund… »)")
    raise LaureateError(f"{path.name} : format non reconnu (attendu : .csv DGCL ou Kohesio, .ods ou .xlsx ANCT, "
                        ".json Conseiller numérique, .jsonl.gz aidenum)")


# -- the store -------------------------------------------------------------------------------------

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS laureates (
    id INTEGER PRIMARY KEY,
    {", ".join(f"{name} {'INTEGER' if name in ('line', 'year') else 'REAL' if name in ('cost', 'grant', 'rate') else 'TEXT'}"
               for name in COLUMNS)}
);
CREATE INDEX IF NOT EXISTS laureates_file ON laureates(source_file);
CREATE TABLE IF NOT EXISTS imports (
    source_file TEXT PRIMARY KEY, path TEXT, imported_at TEXT, rows INTEGER
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


def default_path() -> Path:
    return home() / DB_NAME


class LaureateStore:
    """The laureates SQLite file. ``generation`` changes with every import, so derived indexes
    (``matcher.similar``) know when to rebuild."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "LaureateStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM laureates").fetchone()[0]

    def generation(self) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return row[0] if row else "0"

    def files(self) -> list[dict]:
        cursor = self.db.execute("SELECT source_file, path, imported_at, rows FROM imports ORDER BY source_file")
        return [dict(zip(("source_file", "path", "imported_at", "rows"), row)) for row in cursor]

    def rows(self, where: str = "", params: tuple = ()) -> Iterator[Laureate]:
        cursor = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM laureates {where}", params)
        for row in cursor:
            yield Laureate(*row)

    def import_file(self, path: Path | str, strict: bool = False, resolver: Resolver | None = None,
                    progress: Progress | None = None) -> ImportResult:
        """Import one file in one transaction; its earlier rows are replaced. With ``strict``, one
        bad row writes nothing (the errors are still all reported)."""
        import time
        path = Path(path)
        if not path.is_file():
            raise LaureateError(f"fichier introuvable : {path}")
        started = time.perf_counter()
        reader = reader_for(path, resolver or Resolver(), progress)
        result = ImportResult(file=path.name, errors=[])
        insert = (f"INSERT INTO laureates ({', '.join(COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in COLUMNS)})")
        replaced_files: dict[str, int] = {}
        batch: list[tuple] = []
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for row in reader:
                if isinstance(row, RowError):
                    result.errors.append(row)
                    continue
                if row.source_file not in replaced_files:
                    replaced_files[row.source_file] = 0
                    result.replaced += db.execute("DELETE FROM laureates WHERE source_file = ?",
                                                  (row.source_file,)).rowcount
                batch.append(values_of(row))
                replaced_files[row.source_file] += 1
                if len(batch) >= BATCH:
                    db.executemany(insert, batch)
                    result.imported += len(batch)
                    batch.clear()
            if batch:
                db.executemany(insert, batch)
                result.imported += len(batch)
            if strict and result.errors:
                db.execute("ROLLBACK")
                result.written, result.imported, result.replaced = False, 0, 0
            else:
                now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
                for source_file, rows in replaced_files.items():
                    db.execute("INSERT OR REPLACE INTO imports VALUES (?, ?, ?, ?)",
                               (source_file, str(path.resolve()), now, rows))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)",
                           (f"{now}/{self.count()}/{result.imported}",))
                db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        result.seconds = time.perf_counter() - started
        return result


# -- the compact shipped file ----------------------------------------------------------------------

COMPACT_COLUMNS = ["year", "line", "dispositif", "title", "beneficiary", "beneficiary_type", "siren", "insee",
                   "departement", "cost", "grant", "rate"]


def write_compact(items: Iterator[Laureate], out: Path, header: dict) -> int:
    """Write normalised rows as gzip'd JSON lines: a header object (provenance, licence, the
    original file name of each year), then one array of ``COMPACT_COLUMNS`` per row. What the
    referential derives (EPCI, région, place label) is left out and resolved again on import."""
    files: dict[int, str] = {}
    count = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as handle:
        body = io.StringIO()
        for item in items:
            files.setdefault(item.year, item.source_file)
            values = asdict(item)
            for key in ("cost", "grant"):
                if values[key] is not None and float(values[key]).is_integer():
                    values[key] = int(values[key])
            if values["rate"] is not None:
                values["rate"] = round(values["rate"], 2)
            body.write(json.dumps([values[c] for c in COMPACT_COLUMNS], ensure_ascii=False,
                                  separators=(",", ":")) + "\n")
            count += 1
        handle.write(json.dumps({"format": COMPACT_FORMAT, "version": 2, **header, "files": files,
                                 "columns": COMPACT_COLUMNS}, ensure_ascii=False) + "\n")
        handle.write(body.getvalue())
    return count


def build_shipped(sources: list[Path], out: Path = SHIPPED_PATH, extracted: str | None = None) -> int:
    """Rebuild the shipped compact file from the DGCL CSV files (developer command, see README):
    ``python -c "from aidenum.catalogue.laureates import build_shipped; build_shipped([...])"``."""
    resolver = Resolver()
    extracted = extracted or date_fr(dt.date.today())

    def rows() -> Iterator[Laureate]:
        for path in sources:
            for row in reader_for(Path(path), resolver):
                if isinstance(row, Laureate):
                    yield row
    header = {
        "source": "DGCL, « Projets financés par les dotations de soutien à l'investissement des collectivités "
                  "territoriales » (data.gouv.fr, jeu 6176785207139a929a2776fe), fichiers "
                  + ", ".join(Path(p).name for p in sources),
        "licence": f"Licence Ouverte, DGCL, data.gouv.fr, {extracted}",
        "note": "lignes normalisées par aidenum (département INSEE, taux en %, bénéficiaire rattaché au "
                "référentiel des territoires) ; lignes illisibles de la source écartées",
    }
    return write_compact(rows(), out, header)
