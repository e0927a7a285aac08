"""Build the shipped offline catalogue ``data/catalogue.jsonl`` from the real data in shared/.

    python -m catalogue.snapshot [SHARED_DATA_DIR]

Sources (all real, each record keeps its licence/source mention in ``licence``):
- the 274 Aides-territoires aids of the « périurbain » CSV export (Licence Ouverte);
- the Aides-territoires API sample of the Drôme département;
- the ADEME, Île-de-France, Ministère de la Culture and Welcome Europe feed samples
  (the Manche sample is staging data and is left out);
- the facts of ``scheme-facts.json``, following ``data/sources/scheme-facts-curation.yaml``;
- the core schemes of every territory (``data/sources/core-schemes.yaml``, see ``core_schemes``):
  DETR per département, DSIL / DSID / FEDER per région, national State schemes.

The output is sorted by id and written without volatile bookkeeping, so rebuilding it from the
same inputs gives the same file.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from . import core_schemes, feeds, territory
from .files import atomic_write
from .model import Scheme

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
OUTPUT = ROOT / "data" / "catalogue.jsonl"
CURATION = ROOT / "data" / "sources" / "scheme-facts-curation.yaml"
# The « périurbain » CSV export carries no date. Aides-territoires exports open aids only and the
# earliest closing date in this one is 30/11/2022: the export dates from November 2022 at the latest.
AT_CSV_DATA_DATE = "2022-11"
# Bookkeeping set by the store, and what the store derives again when it imports the file.
BOOKKEEPING = ("first_seen", "last_seen", "last_changed", "closed_at", "content_hash", "end_evidence")


def collect(shared: Path) -> tuple[list[Scheme], dict[str, str]]:
    from .aides_territoires import scheme_from_api, scheme_from_csv_row
    referential = territory.load()
    schemes: list[Scheme] = []
    at = shared / "aides-territoires"
    with open(at / "aides-territoires_periurbain.csv", encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            scheme = scheme_from_csv_row(row, line, referential)
            scheme.data_date = AT_CSV_DATA_DATE
            schemes.append(scheme)
    feed_dir = at / "feed-samples"
    for record in json.loads((feed_dir / "departement_drome_data.json").read_text(encoding="utf-8"))["results"]:
        schemes.append(scheme_from_api(record, referential))
    schemes += feeds.ademe_agir(feed_dir / "ademe_agir_data.json")
    schemes += feeds.ile_de_france(feed_dir / "ile_de_france_data.json")
    schemes += feeds.culture(feed_dir / "ministere_de_la_culture_data.json", referential)
    schemes += feeds.welcome_europe(feed_dir / "welcom_europe_data.json")
    facts, skipped = feeds.scheme_facts(shared / "scheme-facts.json", CURATION)
    return schemes + facts + core_schemes.build(referential), skipped


def write(schemes: list[Scheme], out: Path = OUTPUT) -> int:
    unique = {scheme.id: scheme for scheme in schemes}
    if len(unique) != len(schemes):
        dupes = len(schemes) - len(unique)
        raise SystemExit(f"{dupes} identifiant(s) en double dans les sources : corrigez les convertisseurs")
    def write_all(handle) -> None:
        for scheme_id in sorted(unique):
            data = unique[scheme_id].to_dict()
            for key in BOOKKEEPING:
                data.pop(key, None)
            handle.write(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n")
    atomic_write(out, write_all)
    return len(unique)


def main(argv: list[str]) -> None:
    shared = Path(argv[0]) if argv else DEFAULT_SHARED
    schemes, skipped = collect(shared)
    count = write(schemes)
    print(f"{count} dispositifs écrits dans {OUTPUT.relative_to(ROOT)} ; faits écartés : {len(skipped)}")


if __name__ == "__main__":
    main(sys.argv[1:])
