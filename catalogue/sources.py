"""One name per source: the SOURCES key of ``catalogue.model`` (also the prefix of its ids).

A user may type an alias (``aides_territoires``, ``banque-des-territoires``…) anywhere a source
is named; ``canonical`` gives the one name. A scheme belongs to a source when its ``source``
field is that name or its id starts with ``<name>:`` — so ``feder`` finds the FEDER records of
the feder spider and those of the fact sheets (``source`` « facts », id « feder:… ») alike.
"""
from __future__ import annotations

from .model import SOURCE_ALIASES, SOURCES


def canonical(name: str) -> str:
    """The source's one name; a name that is no known source or alias comes back folded (an
    id prefix such as « ademe » or « detr » still selects its records)."""
    key = (name or "").strip().lower()
    return SOURCE_ALIASES.get(key, key)


def label(name: str) -> str:
    """« Aides-territoires » for « at »; the name itself when it has no label."""
    return SOURCES.get(canonical(name), name)


def belongs(scheme, name: str) -> bool:
    name = canonical(name)
    return scheme.source == name or scheme.id.startswith(name + ":")


def known() -> str:
    """« at (Aides-territoires), feder (…), … » for help and error messages."""
    return ", ".join(f"{key} ({value})" for key, value in SOURCES.items())
