"""Build the Word templates of the application files (one per family) with python-docx.

Run ``.venv/bin/python templates/build_templates.py`` after changing this script, and commit
the generated .docx with it. A project manager may edit the .docx in Word: the text around
the tags is free; a tag ``{{ nom }}`` inserts a value, ``{%p for … %}`` / ``{%tr for … %}``
repeat a paragraph / a table row. Long prose lives in ``blocks/*.j2`` (plain text, a blank
line starts a new paragraph).
"""
from __future__ import annotations

import sys
from pathlib import Path

import docx
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

HERE = Path(__file__).resolve().parent

INTRO = ("Projet de dossier préparé le {{ date_generation }} par aidenum pour l'action {{ action_id }} "
         "du plan numérique. Les passages surlignés « à compléter » ne peuvent être renseignés que par "
         "la collectivité : leur liste figure en fin de document. Relisez chaque rubrique avant envoi.")


class Builder:
    def __init__(self, title: str):
        self.doc = docx.Document()
        self._french_defaults()
        self.doc.core_properties.title = title
        self.doc.core_properties.language = "fr-FR"
        self.sections = 0
        self.doc.add_paragraph(title, style="Title")
        self.para("{{ collectivite }} — {{ projet }}", bold=True)
        self.para("Dispositif sollicité : {{ dispositif }} ({{ financeur }}) — {{ dispositif_url }}")
        self.para(INTRO, italic=True)
        footer = self.doc.sections[0].footer.paragraphs[0]
        footer.text = "{{ collectivite }} — action {{ action_id }} — projet de dossier {{ famille }}"
        footer.runs[0].font.size = Pt(8)

    def _french_defaults(self) -> None:
        styles = self.doc.styles.element
        rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), "fr-FR")
        self.doc.styles["Normal"].font.size = Pt(10.5)

    def section(self, title: str) -> None:
        """A numbered part, each on its own page."""
        self.sections += 1
        paragraph = self.doc.add_paragraph()
        paragraph.add_run().add_break(WD_BREAK.PAGE)
        self.doc.add_heading(f"{self.sections}. {title}", level=1)

    def last_section(self) -> None:
        paragraph = self.doc.add_paragraph()
        paragraph.add_run().add_break(WD_BREAK.PAGE)
        self.doc.add_heading("Éléments restant à compléter", level=1)
        self.para("Avant d'envoyer le dossier, renseignez chacun de ces éléments (surlignés dans le texte) :")
        self.para("{%p for element in manquants %}")
        self.para("☐ {{ element }}")
        self.para("{%p endfor %}")

    def heading(self, text: str) -> None:
        self.doc.add_heading(text, level=2)

    def para(self, text: str, bold: bool = False, italic: bool = False, style: str | None = None) -> None:
        paragraph = self.doc.add_paragraph(style=style)
        run = paragraph.add_run(text)
        run.bold, run.italic = bold or None, italic or None

    def form(self, rows: list[tuple[str, str]]) -> None:
        """A two-column label / value table."""
        table = self.doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, tag in rows:
            cells = table.add_row().cells
            cells[0].paragraphs[0].add_run(label).bold = True
            cells[1].paragraphs[0].add_run(tag)
        self.doc.add_paragraph()

    def loop_table(self, headers: list[str], loop: str, cells: list[str],
                   total: list[str] | None = None) -> None:
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        for cell, header in zip(table.rows[0].cells, headers):
            cell.paragraphs[0].add_run(header).bold = True
        table.add_row().cells[0].paragraphs[0].add_run(f"{{%tr for {loop} %}}")
        for cell, tag in zip(table.add_row().cells, cells):
            cell.paragraphs[0].add_run(tag)
        table.add_row().cells[0].paragraphs[0].add_run("{%tr endfor %}")
        if total:
            for cell, text in zip(table.add_row().cells, total):
                cell.paragraphs[0].add_run(text).bold = True
        self.doc.add_paragraph()

    def financing(self, with_revenue: bool = False) -> None:
        self.para("Plan de financement prévisionnel de l'opération « {{ projet }} », en euros hors taxes :")
        self.loop_table(["Financeur", "Dispositif", "Nature", "Taux maximal", "Montant HT", "Part du coût HT"],
                        "ligne in plan_financement",
                        ["{{ ligne.financeur }}", "{{ ligne.dispositif }}", "{{ ligne.nature }}",
                         "{{ ligne.taux_max }}", "{{ ligne.montant }}", "{{ ligne.part }}"],
                        total=["Total", "", "", "", "{{ total_montant }}", "{{ total_part }}"])
        if with_revenue:
            self.para("Recettes nettes générées par l'opération : {{ recettes_prevues }}. Les recettes nettes "
                      "sont déduites des dépenses éligibles au FEDER.")
        self.para("{%p for note in notes_financement %}")
        self.para("{{ note }}", style="List Bullet")
        self.para("{%p endfor %}")
        self.para("{%p if alertes %}")
        self.heading("Points de vigilance")
        self.para("{%p endif %}")
        self.para("{%p for alerte in alertes %}")
        self.para("{{ alerte }}", style="List Bullet")
        self.para("{%p endfor %}")
        self.heading("Échéancier prévisionnel des dépenses")
        self.loop_table(["Période", "Dépenses HT"], "periode in echeancier",
                        ["{{ periode.periode }}", "{{ periode.montant }}"],
                        total=["Total", "{{ total_montant }}"])
        self.para("Répartition indicative, proportionnelle au nombre de mois de l'opération dans chaque "
                  "trimestre : à ajuster selon les devis et le calendrier des paiements.", italic=True)

    def note(self, feder: bool = False) -> None:
        self.heading("Contexte et besoin")
        self.para("{{ besoin }}")
        if feder:
            self.heading("Objectifs")
            self.para("{{ objectifs }}")
        self.heading("Description du projet" if not feder else "Actions prévues")
        self.para("{{ description }}")
        if feder:
            self.heading("Public visé")
            self.para("{{ public_vise }}")
        self.heading("Effets attendus" if not feder else "Résultats attendus")
        self.para("{{ effets_attendus }}")
        self.heading("Calendrier")
        self.para("De {{ debut }} à {{ fin }}.")

    def save(self, name: str) -> Path:
        self._slim()
        path = HERE / name
        self.doc.save(path)
        return path

    def _slim(self) -> None:
        """Drop what python-docx's default document carries but a draft never uses.

        Its 164 styles and the Word 2010 ``stylesWithEffects`` copy weigh 800 kB of XML that
        every draft would parse twice (render, then check): keep the styles in use (and the
        styles they derive from), drop the duplicate part, the thumbnail and customXml.
        """
        for rels, kinds in ((self.doc.part.rels, ("stylesWithEffects", "customXml")),
                            (self.doc.part.package.rels, ("thumbnail",))):
            for rid, rel in list(rels.items()):
                if rel.reltype.rsplit("/", 1)[-1] in kinds:
                    del rels[rid]
        styles = self.doc.styles.element
        by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
        used = {p.style.style_id for p in self.doc.paragraphs} | {"Normal", "TableNormal", "TableGrid",
                                                                   "DefaultParagraphFont", "NoList"}
        todo = list(used)
        while todo:
            style = by_id.get(todo.pop())
            for tag in ("w:basedOn", "w:next", "w:link"):
                ref = style.find(qn(tag)) if style is not None else None
                if ref is not None and ref.get(qn("w:val")) not in used:
                    used.add(ref.get(qn("w:val")))
                    todo.append(ref.get(qn("w:val")))
        for style_id, style in by_id.items():
            if style_id not in used:
                styles.remove(style)


IDENTITY = [("Porteur du projet", "{{ collectivite }}"), ("Nature du porteur", "{{ type_collectivite }}"),
            ("Département", "{{ departement }}"), ("Numéro SIRET", "{{ siret }}"),
            ("Adresse", "{{ adresse_collectivite }}"), ("Signataire (nom et qualité)", "{{ signataire }}")]


def dsil_detr() -> Path:
    b = Builder("Demande de subvention DSIL / DETR")
    b.section("Fiche récapitulative (formulaire unique DETR / DSIL)")
    b.para("Reprend les champs du formulaire national en ligne (démarches-simplifiées), dans leur ordre.",
           italic=True)
    b.form(IDENTITY[:2] + [("Département", "{{ departement }}"), ("Arrondissement", "{{ arrondissement }}"),
                           ("Numéro SIRET", "{{ siret }}"), ("Signataire (nom et qualité)", "{{ signataire }}"),
                           ("Maîtrise d'ouvrage déléguée", "{{ maitrise_ouvrage_deleguee }}"),
                           ("Intitulé du projet", "{{ projet }}"), ("Adresse du projet", "{{ adresse_projet }}"),
                           ("Travaux", "{{ travaux }}"), ("Contrat avec l'État", "{{ contrats_etat }}"),
                           ("Contribution environnementale", "{{ contribution_environnementale }}"),
                           ("Date prévisionnelle de début", "{{ debut }}"),
                           ("Date prévisionnelle d'achèvement", "{{ fin }}"),
                           ("Coût total HT", "{{ cout_total }}"), ("Recettes", "{{ recettes }}"),
                           ("Dotation sollicitée", "{{ dispositif }}"),
                           ("Catégorie d'éligibilité", "{{ categorie_eligibilite }}"),
                           ("Montant sollicité", "{{ montant_sollicite }} ({{ taux_sollicite }} du coût HT)"),
                           ("Autres aides publiques sollicitées", "{{ autres_aides }}"),
                           ("Rang de priorité", "{{ rang_priorite }}")])
    b.section("Lettre de demande")
    b.para("{{ lettre_demande }}")
    b.section("Note explicative")
    b.note()
    b.section("Plan de financement prévisionnel et échéancier")
    b.financing()
    b.section("Modèle de délibération")
    b.para("{{ deliberation }}")
    b.section("Attestation de non-commencement (article R2334-24 du CGCT)")
    b.para("{{ attestation_non_commencement }}")
    b.section("Pièces à joindre")
    b.para("{{ pieces_dsil_detr }}")
    b.last_section()
    return b.save("dsil-detr.docx")


def feder() -> Path:
    b = Builder("Demande de subvention FEDER")
    b.section("Fiche récapitulative")
    b.form(IDENTITY + [("Programme", "{{ programme }}"), ("Mesure ou appel à projets", "{{ dispositif }}"),
                       ("Intitulé de l'opération", "{{ projet }}"), ("Lieu de réalisation", "{{ adresse_projet }}"),
                       ("Date prévisionnelle de début", "{{ debut }}"),
                       ("Date prévisionnelle d'achèvement", "{{ fin }}"),
                       ("Coût total HT", "{{ cout_total }}"),
                       ("Montant FEDER sollicité", "{{ montant_sollicite }} ({{ taux_sollicite }} du coût HT)")])
    b.section("Description de l'opération")
    b.note(feder=True)
    b.section("Indicateurs de réalisation et de résultat")
    b.para("Choisissez les indicateurs dans la liste du programme régional pour l'objectif spécifique de "
           "la mesure ; les valeurs cibles sont des engagements de la collectivité.", italic=True)
    b.form([("Indicateur de réalisation", "{{ indicateur_realisation }}"),
            ("Valeur cible (réalisation)", "{{ cible_realisation }}"),
            ("Indicateur de résultat", "{{ indicateur_resultat }}"),
            ("Valeur cible (résultat)", "{{ cible_resultat }}")])
    b.section("Plan de financement prévisionnel (avec recettes) et échéancier")
    b.financing(with_revenue=True)
    b.para("Le FEDER est versé sur justification des dépenses acquittées : la collectivité préfinance "
           "l'opération.")
    b.section("Principe « ne pas causer de préjudice important » (DNSH)")
    b.para("{{ dnsh }}")
    b.section("Engagement de publicité")
    b.para("{{ publicite_feder }}")
    b.section("Attestation de non-récupération de la TVA")
    b.para("{{ attestation_tva }}")
    b.last_section()
    return b.save("feder.docx")


def bdt() -> Path:
    b = Builder("Demande de financement Banque des Territoires")
    b.section("Note de projet")
    b.form(IDENTITY + [("Offre sollicitée", "{{ dispositif }}"), ("Intitulé du projet", "{{ projet }}"),
                       ("Coût total HT", "{{ cout_total }}")])
    b.note()
    b.section("Plan de financement prévisionnel")
    b.financing()
    b.para("Un prêt est remboursé par la collectivité : il fait partie de son autofinancement et n'entre "
           "pas dans le plafond des aides publiques.")
    b.section("Délibération autorisant l'emprunt")
    b.para("{{ deliberation_emprunt }}")
    b.last_section()
    return b.save("bdt.docx")


def generic() -> Path:
    b = Builder("Demande de subvention")
    b.section("Fiche récapitulative")
    b.form(IDENTITY + [("Dispositif sollicité", "{{ dispositif }}"), ("Financeur", "{{ financeur }}"),
                       ("Intitulé du projet", "{{ projet }}"), ("Coût total HT", "{{ cout_total }}"),
                       ("Montant sollicité", "{{ montant_sollicite }} ({{ taux_sollicite }} du coût HT)"),
                       ("Autres aides publiques sollicitées", "{{ autres_aides }}")])
    b.section("Lettre de demande")
    b.para("{{ lettre_demande }}")
    b.section("Note de projet")
    b.note()
    b.section("Plan de financement prévisionnel et échéancier")
    b.financing()
    b.section("Modèle de délibération")
    b.para("{{ deliberation }}")
    b.last_section()
    return b.save("generique.docx")


def main() -> None:
    for build in (dsil_detr, feder, bdt, generic):
        print(f"écrit : {build().relative_to(HERE.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
