"""Territory referential: codes, names and containment of French territories.

Built once from the official geography (etalab « découpage administratif », Licence Ouverte)
into ``data/territories.json.gz`` (see ``build_referential``). Codes:

``EU`` ⊃ ``FR`` ⊃ ``METRO`` / ``OM`` ⊃ ``REG:53`` ⊃ ``DEP:35`` ⊃ ``EPCI:<siren>`` ⊃ ``COM:<insee>``

An EPCI that spans several départements is contained in each of them: a scheme of either
département is open to it (the project may lie on either side). Containment is precomputed
as a set per territory, so ``is_open_to`` is two dictionary look-ups.

Names resolve with case, accents, hyphens and apostrophes ignored. When a name exists at
several scales the largest scale wins (a funding perimeter called « Paris » or « Drôme » is the
département, not the commune); two territories of the same scale with that name are reported
as ambiguous, never guessed. « Saint-Denis (974) » or a code disambiguates.
"""
from __future__ import annotations

import gzip
import json
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .vocabularies import fold
from .paths import shipped

DEFAULT_PATH = shipped("data", "territories.json.gz")
SCALE_ORDER = ["EU", "FR", "METRO", "OM", "REG", "DEP", "EPCI", "COM"]
SCALE_LABELS = {"EU": "continent", "FR": "pays", "METRO": "France métropolitaine", "OM": "outre-mer",
                "REG": "région", "DEP": "département", "EPCI": "intercommunalité", "COM": "commune"}
_SPECIAL_NAMES = {
    "europe": "EU", "union europeenne": "EU", "ue": "EU",
    "france": "FR", "france entiere": "FR", "national": "FR", "nationale": "FR", "- france entiere -": "FR",
    "france metropolitaine": "METRO", "metropole": "METRO",
    "outre-mer": "OM", "outre mer": "OM", "dom": "OM", "drom": "OM", "dom-tom": "OM",
}


_EPCI_PREFIXES = (("communaute de communes", "cc"), ("communaute d agglomeration", "ca"),
                  ("communaute urbaine", "cu"), ("metropole d", "metropole d"))


class TerritoryError(LookupError):
    """Unknown or ambiguous territory; ``str()`` is a French sentence."""


@dataclass(frozen=True)
class Territory:
    code: str
    name: str
    scale: str
    population: int | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({SCALE_LABELS[self.scale]})"


def _name_key(name: str) -> str:
    key = fold(name).replace("-", " ").replace("'", " ")
    key = re.sub(r"^(departement|region|commune|ville)( de la| de l| du| des| de| d)? ", "", key)
    for long, short in _EPCI_PREFIXES:
        key = re.sub(rf"^{long} ", f"{short} ", key)
    return re.sub(r"\s+", " ", key).strip()


class Referential:
    """Territories are built lazily from the rows of the referential file: a match needs a
    handful of them (the applicant's ancestors, the scheme perimeters), not all 37 000."""

    def __init__(self, data: dict):
        self._regions = {code: (name, zone) for code, name, zone in data["regions"]}
        self._departements = {code: (name, region) for code, name, region in data["departements"]}
        self._epci = {siren: (name, population, members) for siren, name, population, members in data["epci"]}
        self._communes = {code: (name, dep, population) for code, name, dep, population in data["communes"]}
        self._commune_epci: dict[str, str] | None = None
        self.territories: Mapping[str, Territory] = _Territories(self)
        self.parents: Mapping[str, tuple[str, ...]] = _Parents(self)
        self.members: Mapping[str, list[str]] = _Members(self)  # EPCI -> communes
        self._name_index: dict[str, list[str]] | None = None
        self._ancestors: dict[str, frozenset[str]] = {}

    def _epci_of_commune(self, insee: str) -> str | None:
        if self._commune_epci is None:
            self._commune_epci = {c: siren for siren, (_, _, members) in self._epci.items() for c in members}
        return self._commune_epci.get(insee)

    @property
    def _names(self) -> dict[str, list[str]]:
        """Folded name -> codes; built on first use (start-up of `aidenum match` skips it)."""
        if self._name_index is None:
            index: dict[str, list[str]] = {}
            for code, territory in self.territories.items():
                index.setdefault(_name_key(territory.name), []).append(code)
            self._name_index = index
        return self._name_index

    # -- containment ---------------------------------------------------------------------------
    def ancestors(self, code: str) -> frozenset[str]:
        """Every territory containing ``code`` (itself excluded)."""
        cached = self._ancestors.get(code)
        if cached is None:
            result: set[str] = set()
            for parent in self.parents.get(code, ()):
                result.add(parent)
                # a commune belongs to its own département, not to every one its EPCI spans
                if not (code.startswith("COM:") and parent.startswith("EPCI:")):
                    result |= self.ancestors(parent)
            cached = self._ancestors[code] = frozenset(result)
        return cached

    def is_open_to(self, perimeter: str, applicant: str) -> bool:
        """A scheme of ``perimeter`` is open to ``applicant`` when the perimeter is the applicant's
        territory, contains it, or lies inside it."""
        return (perimeter == applicant or perimeter in self.ancestors(applicant)
                or applicant in self.ancestors(perimeter))

    def depth(self, code: str) -> int:
        """Larger is narrower: used to rank narrower perimeters first."""
        return SCALE_ORDER.index(code.split(":")[0])

    # -- look-up -------------------------------------------------------------------------------
    def get(self, code: str) -> Territory:
        code = normalise_code(code)
        try:
            return self.territories[code]
        except KeyError:
            raise TerritoryError(f"territoire inconnu : « {code} »") from None

    def resolve(self, text: str, scale: str | None = None) -> str:
        """Return the code of a territory given by name or code; raise TerritoryError."""
        raw = (text or "").strip()
        if not raw:
            raise TerritoryError("territoire vide")
        as_code = normalise_code(raw)
        if as_code in self.territories:
            return as_code
        folded = fold(raw)
        if folded in _SPECIAL_NAMES:
            return _SPECIAL_NAMES[folded]
        hint = None
        match = re.match(r"^(.*?)\s*\((\w{2,3})\)$", raw)
        if match:
            raw, hint = match.group(1), match.group(2).upper()
        codes = self._names.get(_name_key(raw), [])
        if hint:
            codes = [c for c in codes if f"DEP:{hint}" in self.ancestors(c) or c == f"DEP:{hint}"
                     or c == f"REG:{hint}"]
        if scale:
            codes = [c for c in codes if c.split(":")[0] == scale]
        if not codes:
            raise TerritoryError(f"territoire inconnu : « {text.strip()} »")
        best = min(self.depth(c) for c in codes)
        codes = [c for c in codes if self.depth(c) == best]
        if len(codes) > 1:
            options = ", ".join(f"{self.territories[c].name} [{c}, {self.department_of(c) or ''}]"
                                for c in codes[:6])
            more = f" et {len(codes) - 6} autres" if len(codes) > 6 else ""
            raise TerritoryError(f"territoire ambigu : « {text.strip()} » désigne {len(codes)} territoires "
                                 f"({options}{more}) ; précisez le code ou le département, "
                                 f"par ex. « {self.territories[codes[0]].name} "
                                 f"({(self.department_of(codes[0]) or 'XX').split(':')[-1]}) »")
        return codes[0]

    def search(self, text: str, scales=("REG", "DEP", "EPCI", "COM"), limit: int = 20) -> list[Territory]:
        """Territories whose name starts with ``text`` (accents, case, « commune de » ignored) or
        whose code does, larger scales first, then the most populated: the web form's look-up."""
        key = _name_key(text)
        digits = re.sub(r"\s", "", text)
        if not key and not digits:
            return []
        found: set[str] = set()
        if key:
            for name, codes in self._names.items():
                if name.startswith(key) or (len(key) >= 3 and f" {key}" in name):
                    found.update(c for c in codes if c.split(":")[0] in scales)
        if digits.isdigit() or re.fullmatch(r"2[AB]\d*", digits.upper()):
            for scale in scales:
                found.update(f"{scale}:{k}" for k in self.territories._rows(scale) if k.startswith(digits.upper()))
        ordered = sorted(found, key=lambda c: (SCALE_ORDER.index(c.split(":")[0]), not self.territories[c].name
                                               .lower().startswith(text.strip().lower()),
                                               -(self.territories[c].population or 0), c))
        return [self.territories[c] for c in ordered[:limit]]

    def department_of(self, code: str) -> str | None:
        if code.startswith("DEP:"):
            return code
        deps = sorted(a for a in self.ancestors(code) if a.startswith("DEP:"))
        return deps[0] if deps else None

    def region_of(self, code: str) -> str | None:
        if code.startswith("REG:"):
            return code
        regs = sorted(a for a in self.ancestors(code) if a.startswith("REG:"))
        return regs[0] if regs else None

    def label(self, code: str) -> str:
        territory = self.territories.get(code)
        return territory.label if territory else code


_FIXED = {"EU": ("Europe", ()), "FR": ("France", ("EU",)), "METRO": ("France métropolitaine", ("FR",)),
          "OM": ("Outre-mer", ("FR",))}


class _Territories(Mapping):
    """code -> Territory, in the order of the referential file, each built on first access."""

    def __init__(self, referential: Referential):
        self._ref = referential
        self._built: dict[str, Territory] = {}

    def _rows(self, scale: str) -> dict:
        ref = self._ref
        return {"REG": ref._regions, "DEP": ref._departements, "EPCI": ref._epci, "COM": ref._communes}[scale]

    def __getitem__(self, code: str) -> Territory:
        built = self._built.get(code)
        if built is not None:
            return built
        if code in _FIXED:
            territory = Territory(code, _FIXED[code][0], code, None)
        else:
            scale, sep, key = code.partition(":") if isinstance(code, str) else ("", "", "")
            if not sep or scale not in SCALE_ORDER[4:]:
                raise KeyError(code)
            row = self._rows(scale)[key]
            population = row[1] if scale == "EPCI" else row[2] if scale == "COM" else None
            territory = Territory(code, row[0], scale, population)
        self._built[code] = territory
        return territory

    def __contains__(self, code) -> bool:
        if code in _FIXED:
            return True
        scale, sep, key = code.partition(":") if isinstance(code, str) else ("", "", "")
        return bool(sep) and scale in SCALE_ORDER[4:] and key in self._rows(scale)

    def __iter__(self):
        yield from _FIXED
        for scale in SCALE_ORDER[4:]:
            for key in self._rows(scale):
                yield f"{scale}:{key}"

    def __len__(self) -> int:
        return len(_FIXED) + sum(len(self._rows(scale)) for scale in SCALE_ORDER[4:])


class _Parents(Mapping):
    """code -> the territories directly containing it, computed on first access."""

    def __init__(self, referential: Referential):
        self._ref = referential
        self._built: dict[str, tuple[str, ...]] = {}

    def __getitem__(self, code: str) -> tuple[str, ...]:
        built = self._built.get(code)
        if built is None:
            built = self._built[code] = self._compute(code)
        return built

    def _compute(self, code: str) -> tuple[str, ...]:
        if code in _FIXED:
            return _FIXED[code][1]
        ref = self._ref
        scale, _, key = code.partition(":")
        if scale == "REG":
            return ("OM" if ref._regions[key][1] != "metro" else "METRO",)
        if scale == "DEP":
            return (f"REG:{ref._departements[key][1]}",)
        if scale == "EPCI":
            return tuple(f"DEP:{d}" for d in sorted({_dep_of(c) for c in ref._epci[key][2]}))
        if scale == "COM":
            dep = ref._communes[key][1]
            siren = ref._epci_of_commune(key)
            return (f"EPCI:{siren}", f"DEP:{dep}") if siren else (f"DEP:{dep}",)
        raise KeyError(code)

    def __contains__(self, code) -> bool:
        return code in self._ref.territories

    def __iter__(self):
        return iter(self._ref.territories)

    def __len__(self) -> int:
        return len(self._ref.territories)


class _Members(Mapping):
    """EPCI code -> its communes' codes."""

    def __init__(self, referential: Referential):
        self._ref = referential

    def __getitem__(self, code: str) -> list[str]:
        scale, _, key = code.partition(":") if isinstance(code, str) else ("", "", "")
        if scale != "EPCI" or key not in self._ref._epci:
            raise KeyError(code)
        return [f"COM:{c}" for c in self._ref._epci[key][2]]

    def __iter__(self):
        return (f"EPCI:{siren}" for siren in self._ref._epci)

    def __len__(self) -> int:
        return len(self._ref._epci)


def _dep_of(insee: str) -> str:
    return insee[:3] if insee.startswith("97") else insee[:2]


def normalise_code(text: str) -> str:
    """'35' -> DEP:35, '35238' -> COM:35238, '200069193' -> EPCI:200069193, 'reg:53' -> REG:53."""
    value = text.strip().upper().replace(" ", "")
    if value in ("FR", "EU", "METRO", "OM"):
        return value
    if re.fullmatch(r"(REG|DEP|EPCI|COM):\S+", value):
        return value
    if re.fullmatch(r"\d{9}", value):
        return f"EPCI:{value}"
    if re.fullmatch(r"(\d{5}|2A\d{3}|2B\d{3})", value):
        return f"COM:{value}"
    if re.fullmatch(r"(\d{2}|2A|2B|97\d)", value):
        return f"DEP:{value}"
    return value


def code_for_collectivite(kind: str, code: str) -> str:
    """Applicant code from a plan: INSEE for commune/département/région, SIREN for an EPCI."""
    value = code.strip().upper()
    if ":" in value:
        return value
    prefix = {"commune": "COM", "epci": "EPCI", "department": "DEP", "region": "REG"}.get(kind)
    return f"{prefix}:{value}" if prefix else normalise_code(value)


@lru_cache(maxsize=4)
def load(path: str | None = None) -> Referential:
    """The referential of ``path`` (default: the shipped one), read once per process (~35 000
    communes, a few tenths of a second): every caller shares the same object."""
    with gzip.open(path or DEFAULT_PATH, "rt", encoding="utf-8") as handle:
        return Referential(json.load(handle))


class Lazy:
    """The referential a caller was given, or the shipped one loaded on first ``get()``: a JSONL
    import, a cached crawl or ``aidenum --help`` never pay for reading it."""

    def __init__(self, referential: Referential | None = None):
        self._referential = referential

    def get(self) -> Referential:
        if self._referential is None:
            self._referential = load()
        return self._referential


class LazyAttribute:
    """``referential = territory.LazyAttribute()`` in a class body: ``self.referential`` is
    ``self._referential`` when the constructor was given one, else the shipped referential,
    loaded on first use (the same rule as ``Lazy``, for objects that keep it as an attribute)."""

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        if instance._referential is None:
            instance._referential = load()
        return instance._referential


def build_referential(tgz: Path, out: Path = DEFAULT_PATH) -> dict:
    """Compact the etalab package into the shipped ``territories.json.gz``."""
    with tarfile.open(tgz) as archive:
        def read(name):
            return json.load(archive.extractfile(f"package/data/{name}.json"))
        regions = [[r["code"], r["nom"], r["zone"]] for r in read("regions")]
        departements = [[d["code"], d["nom"], d["region"]] for d in read("departements")]
        epci = [[e["code"], e["nom"], e.get("populationTotale"), [m["code"] for m in e["membres"]]]
                for e in read("epci")]
        communes = [[c["code"], c["nom"], c["departement"], c.get("population")]
                    for c in read("communes") if c.get("type") == "commune-actuelle"]
    data = {"source": "etalab découpage administratif 6.0.0 (Licence Ouverte)",
            "regions": regions, "departements": departements, "epci": epci, "communes": communes}
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as handle:
        json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
    return data
