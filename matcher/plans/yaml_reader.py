"""YAML plan reader (UTF-8 only): the format of DESIGN.md, with line numbers in every error."""
from __future__ import annotations

import re
from pathlib import Path

from aidenum.catalogue.files import UndecodableError, read_text_any

from .columns import collectivite_key
from .model import Plan, PlanError
from .validation import build_plan

_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")

# libyaml's own message when a document nests deeper than its limit (1000 levels)
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"


class NestingError(PlanError):
    """A YAML document nested far deeper than any plan (both parsers refuse it, each its own way)."""


def read_yaml(path: str | Path, referential=None, **options) -> Plan:
    import yaml

    path = Path(path)
    text = _decode_utf8(path)

    # libyaml's parser when PyYAML was built with it: ~10x faster on a 30-action plan, same nodes and marks
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class LineLoader(base):
        """Remembers the line of each mapping so errors can point at the action."""

    def construct_mapping(loader, node, deep=False):
        mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    def construct_int(loader, node):
        # YAML 1.1 reads 01053 as the octal number 555: in a plan a leading-zero integer is always a
        # code (INSEE 01053, département 01), so it is kept exactly as written.
        if _LEADING_ZERO.fullmatch(node.value):
            return node.value
        return yaml.SafeLoader.construct_yaml_int(loader, node)

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    LineLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
    too_deep = f"{path.name} : structure imbriquée trop profondément pour être un plan"
    try:
        data = yaml.load(text, Loader=LineLoader)  # noqa: S506 — a SafeLoader subclass
    except RecursionError:   # the pure-Python parser recurses once per level
        raise NestingError(too_deep) from None
    except yaml.YAMLError as error:
        if _LIBYAML_TOO_DEEP in str(error):   # libyaml stops at its own depth limit instead
            raise NestingError(too_deep) from None
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        raise PlanError(f"{path.name}{where} : YAML invalide ({problem})") from None
    if data is None:
        raise PlanError(f"{path.name} : fichier vide")
    if not isinstance(data, dict):
        raise PlanError(f"{path.name} : le plan doit commencer par « collectivite: » puis « actions: »")
    collectivite = data.get("collectivite") or data.get("collectivité") or {}
    if not isinstance(collectivite, dict):
        raise PlanError(f"{path.name}, ligne {data['__line__']} : « collectivite » doit contenir "
                        "nom, type, code…")
    collectivite = {(collectivite_key(k) or k): v for k, v in collectivite.items()}
    if "__line__" in collectivite:
        collectivite["where"] = f"ligne {collectivite.pop('__line__')}"
    raw_actions = data.get("actions")
    if raw_actions in (None, []):
        raw_actions = []
    if not isinstance(raw_actions, list):
        raise PlanError(f"{path.name} : « actions » doit être une liste (chaque action commence par « - id: »)")
    actions = []
    for position, raw in enumerate(raw_actions, start=1):
        if not isinstance(raw, dict):
            raise PlanError(f"{path.name}, action n° {position} : attendu id, titre, description…, "
                            f"lu « {raw} »")
        action = {k: v for k, v in raw.items() if k != "__line__"}
        if isinstance(action.get("calendrier"), dict):
            action["calendrier"] = {k: v for k, v in action["calendrier"].items() if k != "__line__"}
        name = f" ({action['id']})" if action.get("id") not in (None, "") else ""
        action["where"] = f"ligne {raw['__line__']}, action n° {position}{name}"
        actions.append(action)
    return build_plan(path.name, collectivite, actions, options, referential)


def _decode_utf8(path: Path) -> str:
    try:
        return read_text_any(path, encodings=("utf-8-sig",))
    except UndecodableError as error:
        raise PlanError(f"{path.name}, ligne {error.line} : le fichier n'est pas encodé en UTF-8 ; "
                        "enregistrez-le en UTF-8 (dans le Bloc-notes : Enregistrer sous › Encodage UTF-8)") from None
