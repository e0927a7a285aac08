"""Low-level Word (OOXML) pieces python-docx has no API for, shared by the templates' builder
and the synthesis document."""
from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn


def append_field(run, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when laying out; « 1 » until then."""
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        elif text == code:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = f" {code} "
        else:
            node = OxmlElement("w:t")
            node.text = text
        run._r.append(node)
