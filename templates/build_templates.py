"""Build the Word templates of the application files (one per family) with python-docx.

Run ``.venv/bin/python templates/build_templates.py`` after changing this script, and commit
the generated .docx with it. A project manager may edit the .docx in Word: the text around
the tags is free; a tag ``{{ nom }}`` inserts a value, ``{%p for … %}`` / ``{%tr for … %}``
repeat a paragraph / a table row. Long prose lives in ``blocks/*.j2`` (plain text, a blank
line starts a new paragraph).

Page shape (what a préfecture or a managing authority receives): A4, margins 2.5 cm left and
top, 2 cm right and bottom; Arial 10 pt (metric twin Liberation Sans on Linux); tables with a
fixed layout whose columns are sized for their longest word and for « 999 999 999,99 € » at
9 pt, so nothing breaks mid-word; headings kept with the paragraph that follows; the parts a
signatory signs separately (letter, délibération, attestations) start on a new page, the
others follow each other; page « n / total » in the footer.
"""
from __future__ import annotations

import sys
from pathlib import Path

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from aidenum.drafting.render import french_spacing
from aidenum.drafting.word import append_field, house_styles

HERE = Path(__file__).resolve().parent
FONT = "Arial"
BODY_PT, TABLE_PT = 10, 9
PAGE_W, PAGE_H = Cm(21), Cm(29.7)
MARGINS = {"left": Cm(2.5), "right": Cm(2), "top": Cm(2.5), "bottom": Cm(2)}
TEXT_WIDTH_CM = 16.5  # 21 - 2.5 - 2
# Financing table: Financeur, Dispositif, Nature, Taux, Montant HT, Part (cm, sum = TEXT_WIDTH_CM).
# Nature holds « Subvention » and Montant the bold « « à compléter » » (no-break spaces) at 9 pt
# in DejaVu Sans, the widest font LibreOffice may substitute: both broke mid-word at 2.0 / 3.1 cm.
FINANCING_COLUMNS = [3.3, 3.4, 2.3, 2.0, 3.3, 2.2]
SHADE = "D9E2F3"

INTRO = ("Projet de dossier préparé le {{ date_generation }} par aidenum pour l'action {{ action_id }} "
         "du plan numérique. Les passages surlignés « à compléter » ne peuvent être renseignés que par "
         "la collectivité : leur liste figure en fin de document. Relisez chaque rubrique avant envoi.")


def _shade(element, fill: str) -> None:
    props = element.get_or_add_tcPr() if hasattr(element, "get_or_add_tcPr") else element.get_or_add_pPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    props.append(shd)


def _border(paragraph, color: str = "C00000") -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        for key, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", color)):
            edge.set(qn(f"w:{key}"), value)
        borders.append(edge)
    ppr.append(borders)


class Builder:
    def __init__(self, title: str):
        self.doc = docx.Document()
        self._page()
        self._styles()
        props = self.doc.core_properties
        props.title, props.language, props.author, props.comments = title, "fr-FR", "", ""
        props.last_modified_by, props.keywords, props.subject = "", "", ""
        self.sections = 0
        self.doc.add_paragraph(title, style="Title")
        self.para("{{ collectivite }} — {{ projet }}", bold=True)
        self.para("Dispositif sollicité : {{ dispositif }} ({{ financeur }}) — {{ dispositif_url }}")
        self.para(INTRO, italic=True)
        self.para("{%p for avertissement in avertissements %}")
        warning = self.doc.add_paragraph()
        _border(warning)
        run = warning.add_run("Attention : ")
        run.bold, run.font.color.rgb = True, RGBColor(0xC0, 0, 0)
        warning.add_run("{{ avertissement }}")
        self.para("{%p endfor %}")

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = PAGE_W, PAGE_H
        section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
        section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
        section.header_distance, section.footer_distance = Cm(1.2), Cm(1)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run("{{ collectivite }} — action {{ action_id }} — projet de dossier {{ famille_courte }} — page ")
        append_field(footer.add_run(), "PAGE")
        footer.add_run(" / ")
        append_field(footer.add_run(), "NUMPAGES")
        for run in footer.runs:
            run.font.size = Pt(8)

    def _styles(self) -> None:
        house_styles(self.doc, FONT, BODY_PT, {"Title": (18, 0), "Heading 1": (14, 12), "Heading 2": (11.5, 8)})

    def section(self, title: str, new_page: bool = False) -> None:
        """A numbered part; ``new_page`` for what is signed or sent on its own."""
        self.sections += 1
        heading = self.doc.add_heading(f"{self.sections}. {title}", level=1)
        heading.paragraph_format.page_break_before = new_page

    def part(self, title: str, number: int | None = None) -> None:
        """A part inside one branch of a {%p if %}: numbered after the last section, on a new page."""
        heading = self.doc.add_heading(f"{number or self.sections + 1}. {title}", level=1)
        heading.paragraph_format.page_break_before = True

    def last_section(self) -> None:
        heading = self.doc.add_heading("Éléments restant à compléter", level=1)
        heading.paragraph_format.page_break_before = True
        self.para("Avant d'envoyer le dossier, renseignez chacun de ces éléments (surlignés dans le texte) :")
        self.checklist("paire in manquants_paires", "paire")

    def heading(self, text: str) -> None:
        self.doc.add_heading(text, level=2)

    def para(self, text: str, bold: bool = False, italic: bool = False, style: str | None = None,
             keep_with_next: bool = False):
        paragraph = self.doc.add_paragraph(style=style)
        if keep_with_next:  # the sentence introducing a table stays on the table's page
            paragraph.paragraph_format.keep_with_next = True
        run = paragraph.add_run(french_spacing(text))
        run.bold, run.italic = bold or None, italic or None
        return paragraph

    # -- tables --------------------------------------------------------------------------------
    def _table(self, widths: list[float], rows: int = 0):
        table = self.doc.add_table(rows=rows, cols=len(widths))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        table._tbl.tblPr.append(layout)
        for column, width in zip(table.columns, widths):
            column.width = Cm(width)
        self._widths = widths
        return table

    def _row(self, table, texts: list[str], bold: bool = False, header: bool = False, shade: str | None = None,
             keep: bool = True):
        row = table.add_row()
        trpr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        trpr.append(cant)
        if header:
            repeat = OxmlElement("w:tblHeader")
            trpr.append(repeat)
        for cell, text, width in zip(row.cells, texts, self._widths):
            cell.width = Cm(width)
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            # short tables move to the next page whole rather than leave one row behind
            paragraph.paragraph_format.keep_with_next = keep or None
            run = paragraph.add_run(text)
            run.font.size = Pt(TABLE_PT)
            run.bold = bold or None
            if shade:
                _shade(cell._tc, shade)
        return row

    def _tag_row(self, table, tag: str) -> None:
        row = table.add_row()
        row.cells[0].paragraphs[0].add_run(tag)

    def checklist(self, loop: str, item: str) -> None:
        """Two columns of check boxes: a long list of missing pieces stays on one page."""
        table = self.doc.add_table(rows=0, cols=2)
        table.autofit = False
        self._widths = [TEXT_WIDTH_CM / 2] * 2
        self._tag_row(table, f"{{%tr for {loop} %}}")
        self._row(table, [f"{{% if {item}[0] %}}☐ {{{{ {item}[0] }}}}{{% endif %}}",
                          f"{{% if {item}[1] %}}☐ {{{{ {item}[1] }}}}{{% endif %}}"], keep=False)
        self._tag_row(table, "{%tr endfor %}")

    def form(self, rows: list[tuple[str, str]]) -> None:
        """A two-column label / value table."""
        table = self._table([6, TEXT_WIDTH_CM - 6])
        for label, tag in rows:
            self._row(table, [label, tag])
            table.rows[-1].cells[0].paragraphs[0].runs[0].bold = True
        self.doc.add_paragraph()

    def national_form(self) -> None:
        """The national form's answers, section by section (rows come from ds_form.answers)."""
        table = self._table([6.5, TEXT_WIDTH_CM - 6.5])
        self._row(table, ["Champ du formulaire", "Réponse préparée"], bold=True, header=True, shade=SHADE)
        self._tag_row(table, "{%tr for champ in formulaire %}")
        self._tag_row(table, "{%tr if champ.titre %}")
        row = self._row(table, ["{{ champ.titre }}", ""], bold=True, shade="EEEEEE")
        merged = row.cells[0].merge(row.cells[1])
        for extra in merged.paragraphs[1:]:  # merging keeps the second cell's empty paragraph
            extra._p.getparent().remove(extra._p)
        self._tag_row(table, "{%tr else %}")
        # a page-long table kept whole would leave the page before it empty: only the section rows
        # keep with the row that follows
        self._row(table, ["{{ champ.libelle }}", "{{ champ.valeur }}"], keep=False)
        self._tag_row(table, "{%tr endif %}")
        self._tag_row(table, "{%tr endfor %}")
        self.doc.add_paragraph()

    def loop_table(self, widths: list[float], headers: list[str], loop: str, cells: list[str],
                   total: list[str] | None = None) -> None:
        table = self._table(widths)
        self._row(table, headers, bold=True, header=True, shade=SHADE)
        self._tag_row(table, f"{{%tr for {loop} %}}")
        self._row(table, cells)
        self._tag_row(table, "{%tr endfor %}")
        if total:
            self._row(table, total, bold=True)
        self.doc.add_paragraph()

    def financing(self, with_revenue: bool = False) -> None:
        self.para("Plan de financement prévisionnel de l'opération « {{ projet }} », en euros hors taxes :",
                  keep_with_next=True)
        self.loop_table(FINANCING_COLUMNS,
                        ["Financeur", "Dispositif", "Nature", "Taux", "Montant HT", "Part du coût"],
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
        self.loop_table([TEXT_WIDTH_CM - 5, 5], ["Période", "Dépenses HT"], "periode in echeancier",
                        ["{{ periode.periode }}", "{{ periode.montant }}"],
                        total=["Total", "{{ total_montant }}"])
        self.para("Répartition indicative, proportionnelle au nombre de mois de l'opération dans chaque "
                  "trimestre : à ajuster selon les devis et le calendrier des paiements.", italic=True)

    def note(self, feder: bool = False, environment: bool = False) -> None:
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
        if environment:
            self.heading("Impact environnemental")
            self.para("Contribution à la transition écologique : {{ contribution_environnementale }}")
            self.para("Artificialisation des sols : {{ artificialisation }}")
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
            ("Identifiant", "{{ siret }}"), ("Département", "{{ departement }}"), ("Région", "{{ region }}"),
            ("Population", "{{ population }}"), ("Adresse", "{{ adresse_collectivite }}"),
            ("Signataire (nom et qualité)", "{{ signataire }}")]


def dsil_detr() -> Path:
    b = Builder("Demande de subvention DETR / DSIL")
    b.section("Formulaire national DETR / DSIL : réponses préparées")
    b.para("Les champs du formulaire en ligne (Démarches simplifiées, « Demande de subvention au titre de la "
           "DETR et de la DSIL »), dans leur ordre, avec la réponse préparée ou « à compléter ». Les pièces "
           "justificatives et les engagements figurent plus loin.", italic=True, keep_with_next=True)
    b.national_form()
    b.para("{{ categories_avertissement }}", italic=True)
    b.para("{%p if categories_detr %}")
    b.heading("Catégories prioritaires DETR du département")
    b.para("{%p endif %}")
    b.para("{%p for categorie in categories_detr %}")
    b.para("{{ categorie }}", style="List Bullet")
    b.para("{%p endfor %}")
    b.section("Lettre de demande", new_page=True)
    b.para("{{ lettre_demande }}")
    b.section("Note explicative", new_page=True)
    b.note(environment=True)
    b.section("Plan de financement prévisionnel et échéancier")
    b.financing()
    b.section("Modèle de délibération", new_page=True)
    b.para("{{ deliberation }}")
    b.section("Attestation de non-commencement (article R2334-24 du CGCT)", new_page=True)
    b.para("{{ attestation_non_commencement }}")
    b.section("Engagements du porteur de projet")
    b.para("{{ engagements_dsil_detr }}")
    b.section("Pièces justificatives demandées par le formulaire")
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
                       ("Montant FEDER sollicité", "{{ montant_et_part }}")])
    b.section("Description de l'opération", new_page=True)
    b.note(feder=True)
    b.section("Indicateurs de réalisation et de résultat")
    b.para("Choisissez les indicateurs dans la liste du programme régional pour l'objectif spécifique de "
           "la mesure ; les valeurs cibles sont des engagements de la collectivité.", italic=True,
           keep_with_next=True)
    b.form([("Indicateur de réalisation", "{{ indicateur_realisation }}"),
            ("Valeur cible (réalisation)", "{{ cible_realisation }}"),
            ("Indicateur de résultat", "{{ indicateur_resultat }}"),
            ("Valeur cible (résultat)", "{{ cible_resultat }}")])
    b.section("Plan de financement prévisionnel (avec recettes) et échéancier")
    b.financing(with_revenue=True)
    b.para("Le FEDER est versé sur justification des dépenses acquittées : la collectivité préfinance "
           "l'opération.")
    b.section("Principe « ne pas causer de préjudice important » (DNSH)", new_page=True)
    b.para("{{ dnsh }}")
    b.section("Engagement de publicité et de visibilité (2021-2027)", new_page=True)
    b.para("{{ publicite_feder }}")
    b.section("Attestation de non-récupération de la TVA", new_page=True)
    b.para("{{ attestation_tva }}")
    b.last_section()
    return b.save("feder.docx")


def bdt() -> Path:
    b = Builder("Demande de financement Banque des Territoires")
    b.section("Note de projet")
    b.form(IDENTITY + [("Offre sollicitée", "{{ dispositif }}"), ("Nature de l'offre", "{{ nature_offre }}"),
                       ("Intitulé du projet", "{{ projet }}"), ("Coût total HT", "{{ cout_total }}")])
    b.note()
    b.section("Plan de financement prévisionnel")
    b.financing()
    b.para("{%p if offre == \"pret\" %}")
    b.para("Un prêt est remboursé par la collectivité : il fait partie de son autofinancement et n'entre "
           "pas dans le plafond des aides publiques.")
    b.para("{%p endif %}")
    b.para("{%p if offre == \"pret\" %}")
    b.part("Délibération autorisant l'emprunt")
    b.para("{{ deliberation_emprunt }}")
    b.para("{%p elif offre == \"subvention\" %}")
    b.part("Lettre de demande")
    b.para("{{ lettre_demande }}")
    b.part("Modèle de délibération", number=b.sections + 2)
    b.para("{{ deliberation }}")
    b.para("{%p else %}")
    b.part("Demande d'accompagnement en ingénierie")
    b.para("{{ demande_ingenierie }}")
    b.para("{%p endif %}")
    b.last_section()
    return b.save("bdt.docx")


def generic() -> Path:
    b = Builder("Demande de subvention")
    b.section("Fiche récapitulative")
    b.form(IDENTITY + [("Dispositif sollicité", "{{ dispositif }}"), ("Financeur", "{{ financeur }}"),
                       ("Intitulé du projet", "{{ projet }}"), ("Coût total HT", "{{ cout_total }}"),
                       ("Montant sollicité", "{{ montant_et_part }}"),
                       ("Autres aides publiques sollicitées", "{{ autres_aides }}")])
    b.section("Lettre de demande", new_page=True)
    b.para("{{ lettre_demande }}")
    b.section("Note de projet", new_page=True)
    b.note()
    b.section("Plan de financement prévisionnel et échéancier")
    b.financing()
    b.section("Modèle de délibération", new_page=True)
    b.para("{{ deliberation }}")
    b.last_section()
    return b.save("generique.docx")


def main() -> None:
    for build in (dsil_detr, feder, bdt, generic):
        print(f"écrit : {build().relative_to(HERE.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
