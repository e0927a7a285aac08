"""Check a produced .docx: every XML part well-formed, python-docx re-opens it, no Jinja tag left."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree  # python-docx's own parser: strict, and ten times faster than ElementTree

_TAG_RE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class DraftCheckError(ValueError):
    """A produced document that must not be handed to the user; ``str()`` is French."""


_TEXT_PART = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")


def docx_text(path: str | Path) -> str:
    """All the text of the document parts (body, tables, headers, footers), one line per paragraph."""
    with zipfile.ZipFile(path) as archive:
        roots = [etree.fromstring(archive.read(name)) for name in sorted(archive.namelist())
                 if _TEXT_PART.match(name)]
    return _text(roots)


def _text(roots) -> str:
    lines = []
    for root in roots:
        for paragraph in root.iter(f"{W_NS}p"):
            lines.append("".join(_run_text(node) for node in paragraph.iter(f"{W_NS}t", f"{W_NS}tab", f"{W_NS}br")))
    return "\n".join(lines)


def _run_text(node) -> str:
    if node.tag == f"{W_NS}t":
        return node.text or ""
    return "\t" if node.tag == f"{W_NS}tab" else "\n"


def check_docx(path: str | Path) -> str:
    """Raise DraftCheckError naming the file and the fault; return the document text if sound."""
    path = Path(path)
    roots = []
    try:
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith(".xml") or name.endswith(".rels"):
                    try:
                        root = etree.fromstring(archive.read(name))
                    except etree.XMLSyntaxError as error:
                        raise DraftCheckError(f"{path.name} : XML mal formé dans {name} ({error})") from None
                    if _TEXT_PART.match(name):
                        roots.append(root)
    except zipfile.BadZipFile:
        raise DraftCheckError(f"{path.name} : ce n'est pas un fichier Word (.docx) valide") from None
    import docx
    try:
        docx.Document(str(path))
    except Exception as error:  # python-docx raises many kinds; any of them means unusable
        raise DraftCheckError(f"{path.name} : illisible par python-docx ({error})") from None
    text = _text(roots)
    for number, line in enumerate(text.splitlines(), 1):
        tag = _TAG_RE.search(line)
        if tag:
            raise DraftCheckError(f"{path.name} : balise de modèle « {tag.group(0)} » restée dans le "
                                  f"document (paragraphe {number} : « {line.strip()[:80]} »)")
    return text
