"""Compatibility shim, kept for this session only: the readers moved to ``aidenum.matcher.plans``."""
from aidenum.matcher.plans import build_plan, parse_period, read_csv, read_docx, read_xlsx, read_yaml  # noqa: F401
