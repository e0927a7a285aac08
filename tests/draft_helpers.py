"""Helpers for the drafting tests: the example plan and real-shaped schemes from the facts file."""
from __future__ import annotations

import dataclasses
import functools
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT, SHARED_DATA

EXAMPLE_PLAN = ROOT / "data" / "plans" / "plan-exemple.yaml"


@functools.lru_cache(maxsize=1)
def _facts() -> dict:
    from aidenum.catalogue.feeds import scheme_facts
    schemes, _ = scheme_facts(SHARED_DATA / "scheme-facts.json", ROOT / "data" / "sources" / "scheme-facts-curation.yaml")
    return {s.id: s for s in schemes}


def fact(scheme_id: str, **changes):
    """A real scheme record (scheme-facts.json), optionally with fields changed for a test."""
    return dataclasses.replace(_facts()[scheme_id], **changes).validate()


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
