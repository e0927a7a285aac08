"""Drafting the application file: financing plan arithmetic, template rendering, output checks.

Heavy imports (docxtpl, python-docx) happen inside the functions that need them.
"""
from .check import DraftCheckError, check_docx

__all__ = ["DraftCheckError", "check_docx"]
