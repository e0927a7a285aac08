"""Which application file a scheme calls for: DSIL/DETR, FEDER, Banque des Territoires or generic."""
from __future__ import annotations

import re

from aidenum.catalogue.vocabularies import fold

FAMILIES = {
    "dsil-detr": "DSIL / DETR (dotations de l'État)",
    "feder": "FEDER (fonds européen de développement régional)",
    "bdt": "Banque des Territoires",
    "generique": "générique (autres financeurs)",
}
# The same, short enough for the page footer: « projet de dossier FEDER — page 2 / 7 ».
FAMILY_SHORT = {"dsil-detr": "DSIL / DETR", "feder": "FEDER", "bdt": "Banque des Territoires",
                "generique": "générique"}
TEMPLATE_FILES = {family: f"{family}.docx" for family in FAMILIES}

_DSIL_RE = re.compile(r"\b(dsil|detr)\b|dotation de soutien a l.investissement local"
                      r"|dotation d.equipement des territoires ruraux")
_FEDER_RE = re.compile(r"\bfeder\b|fonds europeen de developpement regional")
_BDT_RE = re.compile(r"banque des territoires|caisse des depots")


def family_of(scheme) -> str:
    """Checked in this order: the State grants' forms are the strictest, then FEDER, then BdT."""
    source = fold(scheme.source or "")
    names = fold(" ".join([scheme.title or "", scheme.name_initial or "", *scheme.programmes]))
    if source in ("dsil", "detr") or scheme.id.startswith(("dsil", "detr")) or _DSIL_RE.search(names):
        return "dsil-detr"
    if source.startswith("feder") or scheme.id.startswith("feder") or _FEDER_RE.search(names):
        return "feder"
    funders = fold(" ".join(scheme.funders))
    if source == "bdt" or scheme.id.startswith("bdt:") or _BDT_RE.search(funders):
        return "bdt"
    return "generique"


# The national dispositif labels (INTERFACES.md) and the catalogue id prefixes that carry them.
DISPOSITIFS = ("DETR", "DSIL", "DSID", "DPV", "FNADT", "France services", "FIPD", "FEDER",
               "Conseiller numérique", "Banque des Territoires", "France Num")
_ID_PREFIXES = {"detr": "DETR", "dsil": "DSIL", "dsid": "DSID", "dpv": "DPV", "fipd": "FIPD",
                "france-services": "France services", "cnfs": "Conseiller numérique", "feder": "FEDER",
                "bdt": "Banque des Territoires", "francenum": "France Num"}


def dispositif_of(scheme) -> str | None:
    """The national dispositif a scheme belongs to, if any."""
    for label in scheme.programmes:
        if label in DISPOSITIFS:
            return label
    return _ID_PREFIXES.get(scheme.id.split(":", 1)[0])
