"""The plan numérique: model, validation with territory resolution, period parsing, one reader per
format (YAML, CSV, XLSX, DOCX) and ``load_plan`` which picks the reader from the file extension.

Every reader turns its file into plain dictionaries (one for the collectivité, one per action, each
with a ``where`` telling the user where it came from: "ligne 12", "action A3"…) and hands them to
``validation.build_plan``, so validation and error messages are the same for every format. Every
reader returns a ``Plan`` or raises ``PlanError`` with a French message naming the file, and the
line/row/action and field at fault.

Every format also takes keyword options ``collectivite_nom``, ``collectivite_type``,
``collectivite_code`` (also ``collectivite_departement``, ``collectivite_region``,
``collectivite_population``), which override what the file says.
"""
from __future__ import annotations

from pathlib import Path

from .csv_reader import read_csv
from .docx_reader import read_docx
from .model import Action, Collectivite, Plan, PlanError, collectivite_type
from .periods import parse_period
from .validation import build_plan
from .xlsx_reader import read_xlsx
from .yaml_reader import read_yaml

__all__ = ["Action", "Collectivite", "Plan", "PlanError", "build_plan", "collectivite_type", "load_plan",
           "parse_period", "read_csv", "read_docx", "read_xlsx", "read_yaml"]

_READERS = {".yaml": read_yaml, ".yml": read_yaml, ".csv": read_csv, ".xlsx": read_xlsx, ".xlsm": read_xlsx,
            ".docx": read_docx}


def load_plan(path: str | Path, **options) -> Plan:
    """Read a plan from YAML, CSV, XLSX or DOCX according to the extension."""
    path = Path(path)
    if not path.exists():
        raise PlanError(f"fichier introuvable : {path}")
    if not path.is_file():  # a folder, /dev/zero or a FIFO: reading it could block or never end
        raise PlanError(f"{path} : ce n'est pas un fichier ordinaire ; indiquez un fichier de plan "
                        "enregistré sur le disque")
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise PlanError(f"{path.name} : format de plan non reconnu « {suffix} » "
                        "(attendu : .yaml, .csv, .xlsx, .docx)")
    if reader is read_yaml:
        return read_yaml(path)
    return reader(path, **options)
