"""One name per source (issue 12.5): `--source feder` finds every FEDER record whatever file it
came from; aliases (spider and site names) are accepted wherever a source is named."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from aidenum.catalogue import sources
from aidenum.catalogue.model import SOURCES, Scheme
from aidenum.catalogue.store import Catalogue
from aidenum.cli import cli

RECORDS = [
    # the FEDER spider's own record, a fact sheet about FEDER (data/catalogue.jsonl has three), an
    # Aides-territoires aid, and a record whose source is only an id prefix
    {"id": "feder:bzh-numerique-pour-tous", "source": "feder", "title": "Numérique pour toutes et tous",
     "url": "https://europe.bzh/aides/fiches/numerique-pour-toutes-et-tous", "perimeter": "REG:53"},
    {"id": "feder:aura-2021-2027", "source": "facts", "title": "FEDER Auvergne-Rhône-Alpes 2021-2027",
     "url": "https://www.europe-en-auvergnerhonealpes.eu/", "perimeter": "REG:84"},
    {"id": "at:parcours-cyber", "source": "at", "title": "Parcours de cybersécurité",
     "url": "https://aides-territoires.beta.gouv.fr/aides/parcours-cyber/"},
    {"id": "federation:autre", "source": "facts", "title": "Préfixe voisin, pas FEDER",
     "url": "https://www.exemple.fr/"},
]


@pytest.fixture
def catalogue_file(tmp_path):
    path = tmp_path / "mixte.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    return path


def listed(*args) -> list[str]:
    result = CliRunner().invoke(cli, ["catalogue", "list", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return sorted(r["id"] for r in json.loads(result.output))


def test_canonical_names_and_aliases():
    assert sources.canonical("aides_territoires") == sources.canonical("Aides-Territoires") == "at"
    assert sources.canonical("banque_des_territoires") == "bdt"
    assert sources.canonical("france_num") == "francenum"
    assert sources.canonical(" FEDER ") == "feder"
    assert sources.canonical("detr") == "detr"   # the DETR records' id prefix, not an alias of dsil
    assert set(SOURCES) >= {"at", "bdt", "dsil", "feder", "francenum", "facts"}
    assert sources.label("aides_territoires") == "Aides-territoires"


def test_source_filter_takes_every_file(catalogue_file):
    imported = CliRunner().invoke(cli, ["catalogue", "import", str(catalogue_file)])
    assert imported.exit_code == 0, imported.output
    assert listed("--source", "feder") == ["feder:aura-2021-2027", "feder:bzh-numerique-pour-tous"]
    assert listed("--source", "FEDER") == listed("--source", "feder")
    assert listed("--source", "aides_territoires") == ["at:parcours-cyber"]
    assert listed("--source", "facts") == ["feder:aura-2021-2027", "federation:autre"]


def test_store_family_is_the_exact_prefix():
    with Catalogue() as catalogue:
        with catalogue.run("facts", kind="import", label="t") as run:
            for record in RECORDS:
                run.upsert(Scheme.from_dict(dict(record)))
        assert [s.id for s in catalogue.all(family="feder")] == ["feder:aura-2021-2027", "feder:bzh-numerique-pour-tous"]
        assert [s.id for s in catalogue.all(family="fede_")] == []      # "_" is no LIKE wildcard here
        assert [s.id for s in catalogue.all(source="feder")] == ["feder:bzh-numerique-pour-tous"]


def test_runs_accept_an_alias(catalogue_file):
    CliRunner().invoke(cli, ["catalogue", "import", str(catalogue_file)])
    with Catalogue() as catalogue:
        with catalogue.run("at", kind="crawl", label="at") as run:
            run.upsert(Scheme.from_dict(dict(RECORDS[2])))
    result = CliRunner().invoke(cli, ["catalogue", "runs", "--source", "aides-territoires"])
    assert result.exit_code == 0 and "collecte  at  at" in result.output
