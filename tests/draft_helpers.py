"""Helpers for the drafting tests: the example plan and real schemes from the shipped catalogue.

The records come from ``data/catalogue.jsonl`` (the shipped demo catalogue: fact sheets,
Aides-territoires records, Banque des Territoires and FEDER pages), never from ../shared.
"""
from __future__ import annotations

import dataclasses
import functools
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT

EXAMPLE_PLAN = ROOT / "data" / "plans" / "plan-exemple.yaml"
SHIPPED_CATALOGUE = ROOT / "data" / "catalogue.jsonl"
DETR_PERIMETER = "DEP:22"  # the example plan's département


@functools.lru_cache(maxsize=1)
def _facts() -> dict:
    import json
    from aidenum.catalogue.model import Scheme
    with SHIPPED_CATALOGUE.open(encoding="utf-8") as handle:
        schemes = [Scheme.from_dict(json.loads(line)) for line in handle if line.strip()]
    return {s.id: s for s in schemes}


def fact(scheme_id: str, **changes):
    """A real scheme record (shipped catalogue), optionally with fields changed for a test."""
    return dataclasses.replace(_facts()[scheme_id], **changes).validate()


def local_dsil(**changes):
    """The DSIL fact sheet of the préfecture du Lot moved to the example plan's département, so that
    Loudéac Communauté may apply: the drafting tests need a real DSIL record the plan can use."""
    return fact("dsil:dsil-lot", perimeter=DETR_PERIMETER, perimeter_label="Côtes-d'Armor", **changes)


def open_generic(**changes):
    """The Bretagne « PASS Commerce » fact sheet (real: 50 %, at most 7 500 €) as if still open
    (it closed on 30/06/2021): the generic template's tests need a rate and a ceiling."""
    return fact("facts:pass-commerce-bzh-numerique", deadline=None, **changes)


def all_facts() -> list:
    return list(_facts().values())


def example_plan():
    from aidenum.matcher.plan import load_plan
    return load_plan(EXAMPLE_PLAN)


def store(schemes) -> None:
    """Put schemes in the test's own catalogue (AIDENUM_HOME)."""
    from aidenum.catalogue.store import Catalogue
    with Catalogue() as cat:
        with cat.run("facts") as run:
            for scheme in schemes:
                run.upsert(scheme)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(files: list[Path], outdir: Path, profile: Path) -> list[Path]:
    """Convert with LibreOffice headless, a private profile so parallel runs do not clash."""
    subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
                   check=True, capture_output=True, timeout=240)
    return [outdir / (f.stem + ".pdf") for f in files]
