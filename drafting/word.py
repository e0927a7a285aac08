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


HEADING_BLUE = (0x1F, 0x3A, 0x68)


def house_styles(document, font: str, body_pt: float, headings: dict[str, tuple[float, float]]) -> None:
    """French language by default, the body font, and the headings given as
    ``{style name: (size pt, space before pt)}``: blue, kept with their text."""
    from docx.shared import Pt, RGBColor
    styles = document.styles
    rpr = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "fr-FR")
    normal = styles["Normal"]
    normal.font.name, normal.font.size = font, Pt(body_pt)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), font)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.widow_control = True
    for name, (size, before) in headings.items():
        style = styles[name]
        style.font.name, style.font.size = font, Pt(size)
        style.font.color.rgb = RGBColor(*HEADING_BLUE)
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(4)
    styles["List Bullet"].font.name = font
