"""The « à compléter » markers and the cleaning of user text for a .docx (shared by the
template context and the national-form answers)."""
from __future__ import annotations

import re

FORM_URL = "https://www.demarches-simplifiees.fr/commencer/dotations-etat-investissement-local"

MARK_OPEN, MARK_SEP, MARK_CLOSE = "\ue000", "\ue002", "\ue001"
MARKER_RE = re.compile(f"{MARK_OPEN}([^{MARK_SEP}{MARK_CLOSE}]*){MARK_SEP}([^{MARK_CLOSE}]*){MARK_CLOSE}")
PARAGRAPH = "\a"  # docxtpl turns it into a new paragraph with the same paragraph style
# "{{", "{%", "%}"… in user data would read as a leftover template tag in the checked output:
# a zero-width space between the two characters keeps the text visibly intact.
_TAG_PAIR = re.compile(r"(?<=\{)(?=[{%#])|(?<=[%#}])(?=\})")
# XML 1.0 forbids most control characters; one of them in a plan cell would corrupt the .docx.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff"
                          f"{MARK_OPEN}{MARK_SEP}{MARK_CLOSE}]")

def marker(label: str, short: bool = False) -> str:
    """A visible « à compléter » marker; ``short`` shows only « à compléter » in the text."""
    label = clean(label).replace("\a", " ")
    # no-break spaces inside the guillemets and before the colon, as French typography wants: a
    # line never starts with « » » or « : »; the short marker never breaks, the long one wraps
    text = "«\u00a0à\u00a0compléter\u00a0»" if short else f"«\u00a0à compléter\u00a0: {label}\u00a0»"
    return f"{MARK_OPEN}{text}{MARK_SEP}{label}{MARK_CLOSE}"


def clean(text) -> str:
    """User text made safe for a .docx: no control characters; blank lines become paragraphs."""
    if text is None:
        return ""
    text = _INVALID_XML.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    text = _TAG_PAIR.sub("\u200b", text)
    return re.sub(r"\n\s*\n\s*", PARAGRAPH, text.strip())
