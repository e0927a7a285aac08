"""Where aidenum reads its shipped files and where it writes its catalogue.

Shipped files (``data/``, ``templates/``) are package data of ``aidenum``, found through
``importlib.resources``: the same call works from a checkout (editable install) and from an
installed wheel. aidenum is always installed unzipped, so a resource is a real file path, which
SQLite, docxtpl and gzip need.

``AIDENUM_HOME`` chooses where the catalogue, the index and the watch state live. Without it:
the checkout's ``data/`` when run from a source tree (recognised by its ``pyproject.toml``), so
developers keep today's layout; a per-user data folder (platformdirs, e.g.
``~/.local/share/aidenum``) when installed, because site-packages must never be written to.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGE_ROOT = Path(str(resources.files("aidenum")))


def shipped(*parts: str) -> Path:
    """Path of a file shipped with aidenum, e.g. ``shipped("data", "thesaurus.csv")``."""
    return PACKAGE_ROOT.joinpath(*parts)


def is_checkout() -> bool:
    return (PACKAGE_ROOT / "pyproject.toml").is_file()


def home() -> Path:
    """The folder holding the catalogue and index: ``AIDENUM_HOME``, else the default above."""
    configured = os.environ.get("AIDENUM_HOME")
    if configured:
        return Path(configured)
    if is_checkout():
        return PACKAGE_ROOT / "data"
    import platformdirs  # only installed copies need it, and only here
    return Path(platformdirs.user_data_dir("aidenum", appauthor=False))
