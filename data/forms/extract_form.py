"""Extract the shipped copy of the national DETR/DSIL form from the Démarches simplifiées fixture.

Run once by a developer: ``python data/forms/extract_form.py FIXTURE.json CATEGORIES.csv``
(the two files of ``shared/data/forms``, see data/forms/README.md). Writes
``detr-dsil-form.json``: the form's fields in order with their section, type, label, required
flag, description and short option lists; the per-département arrondissement lists collapsed
into one field plus a table; the per-département DETR priority categories left to the CSV
copied beside it. Visible test markers of the fixture (« TEST !! », « - TEST TURGOT 2 ») dropped.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PER_DEP = re.compile(r"^(Arrondissement du demandeur|Subdivision administrative du demandeur|Province du demandeur)"
                     r" \((\w+) - [^)]*\)$")
SKIPPED_HEADERS = {"Arrondissements (début)", "Arrondissements (fin)", "Catégories prioritaires (début)",
                   "Catégories prioritaires (fin)"}
TEST_MARKERS = re.compile(r"\s*TEST !!|\s*-\s*TEST TURGOT \d+")


def clean(text: str) -> str:
    return TEST_MARKERS.sub("", text or "").replace("\r\n", "\n").strip()


def main(fixture: Path, categories: Path) -> None:
    data = json.loads(fixture.read_text(encoding="utf-8"))
    fields, arrondissements, section, subsection = [], {}, "", ""
    for champ in data["activeRevision"]["champDescriptors"]:
        kind = champ["__typename"].removesuffix("ChampDescriptor")
        label = clean(champ["label"])
        if kind == "HeaderSection":
            if label in SKIPPED_HEADERS:
                continue
            if re.match(r"^\d\.\w ", label):
                subsection = label
            else:
                section, subsection = label, ""
            continue
        if kind == "Explication" or label.startswith("Catégories prioritaires ("):
            continue
        per_dep = PER_DEP.match(label)
        if per_dep:
            arrondissements[per_dep.group(2)] = [o.split(" - ", 2)[-1] for o in champ.get("options", [])]
            if fields and fields[-1]["label"] == "Arrondissement du demandeur":
                continue
            label, champ = "Arrondissement du demandeur", {**champ, "options": [], "description": ""}
        options = [clean(o) for o in champ.get("options") or [] if not o.startswith("--")]
        fields.append({"section": section, "subsection": subsection, "type": kind, "label": label,
                       "required": champ["required"], "description": clean(champ.get("description", "")),
                       "options": options if len(options) <= 12 else []})
    out = {"source": "Démarches simplifiées, démarche 131016 « Demande de subvention au titre de la DETR et "
                     "de la DSIL » (révision publiée le " + data["activeRevision"]["datePublication"][:10] + ")",
           "title": clean(data["title"]), "fields": fields, "arrondissements": arrondissements}
    (HERE / "detr-dsil-form.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    shutil.copy(categories, HERE / "detr-categories-prioritaires.csv")
    print(f"{len(fields)} champs, {len(arrondissements)} départements", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
