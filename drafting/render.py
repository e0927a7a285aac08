"""Render the application file: docxtpl template of the scheme's family + Jinja2 text blocks.

docxtpl runs with ``autoescape=True`` and ``StrictUndefined`` (DESIGN.md: without autoescape a
``&`` or ``<`` in a value silently deletes text). Prose blocks (``templates/blocks/*.j2``) are
plain-text Jinja2 templates; a blank line starts a new paragraph. Only the blocks and
variables a template really uses are computed into its list of missing pieces. The output is
written next to its destination, checked by ``check_docx`` and only then moved into place.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .check import check_docx
from .context import MARK_CLOSE, MARK_OPEN, MARK_SEP, PARAGRAPH, build_context, clean, labels_in, marker
from .family import FAMILIES, FAMILY_SHORT, TEMPLATE_FILES, family_of
from .financing import FinancingPlan, build_plan
from aidenum.catalogue import territory
from aidenum.catalogue.files import atomic_write, replacing
from aidenum.catalogue.formatting import strip_accents
from aidenum.catalogue.paths import shipped

SHIPPED_TEMPLATES = shipped("templates")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_SPLIT_RE = re.compile(f"({MARK_OPEN}[^{MARK_CLOSE}]*{MARK_CLOSE})")
_SENTINELS_RE = re.compile(f"[{MARK_OPEN}{MARK_SEP}{MARK_CLOSE}]")
# French typography in the prose blocks: a no-break space inside guillemets and before « : ; ! ? »,
# so that a line never starts with « » » or « : » (seen in the PDFs: « pour le projet «\n Créer… »).
_FRENCH_SPACE_RE = re.compile(r"(?<=«) | (?=[»:;!?])")


class DraftError(ValueError):
    """A draft that cannot be produced; ``str()`` is French and names the file at fault."""


@dataclass
class Draft:
    path: Path
    family: str
    template: Path
    financing: FinancingPlan
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Templates:
    """The shipped templates, or a user's copies (same file names) taking precedence."""

    def __init__(self, directory: str | Path | None = None):
        self.user_dir = Path(directory) if directory else None
        if self.user_dir is not None and not self.user_dir.is_dir():
            raise DraftError(f"dossier de modèles introuvable : {self.user_dir}")
        block_dirs = [d / "blocks" for d in (self.user_dir, SHIPPED_TEMPLATES) if d is not None]
        # Sandboxed: user templates (--templates) travel between colleagues by e-mail, and a
        # template must not reach Python internals (``''.__class__.__mro__``…).
        self.blocks = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader([str(d) for d in block_dirs if d.is_dir()]),
            undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False,
            trim_blocks=True, lstrip_blocks=True)
        self.blocks.globals["a_completer"] = marker
        self._docx_cache: dict[Path, tuple[float, bytes, set[str]]] = {}
        self.env = _docx_env()

    def block_names(self) -> set[str]:
        return {Path(name).stem for name in self.blocks.list_templates(extensions=["j2"])}

    def docx_path(self, family: str) -> Path:
        name = TEMPLATE_FILES[family]
        if self.user_dir is not None and (self.user_dir / name).is_file():
            return self.user_dir / name
        path = SHIPPED_TEMPLATES / name
        if not path.is_file():
            raise DraftError(f"modèle introuvable : {path} (lancez templates/build_templates.py)")
        return path

    def load(self, family: str, env: jinja2.Environment):
        """(path, template bytes, variables the template uses), cached while the file is unchanged."""
        from docxtpl import DocxTemplate
        path = self.docx_path(family)
        mtime = path.stat().st_mtime
        cached = self._docx_cache.get(path)
        if cached is None or cached[0] != mtime:
            blob = path.read_bytes()
            try:
                used = DocxTemplate(io.BytesIO(blob)).get_undeclared_template_variables(env)
            except jinja2.TemplateSyntaxError as error:
                raise DraftError(f"modèle {path.name} : balise mal formée ({error.message})") from None
            except Exception as error:  # a corrupt or non-Word file: python-docx/zipfile errors vary
                raise DraftError(f"modèle {path.name} : fichier Word illisible ({error})") from None
            cached = self._docx_cache[path] = (mtime, blob, used)
        return path, cached[1], cached[2]

    def render_block(self, name: str, context: dict) -> str:
        try:
            text = self.blocks.get_template(f"{name}.j2").render(context)
        except jinja2.TemplateSyntaxError as error:
            raise DraftError(f"bloc de texte {error.filename or name} ligne {error.lineno} : "
                             f"{error.message}") from None
        except jinja2.UndefinedError as error:
            raise DraftError(f"bloc de texte {name}.j2 : variable inconnue ({error.message})") from None
        except jinja2.exceptions.SecurityError as error:
            raise DraftError(f"bloc de texte {name}.j2 : opération interdite dans un modèle ({error})") from None
        paragraphs = [french_spacing(p.strip()) for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
        return PARAGRAPH.join(paragraphs)


def french_spacing(text: str) -> str:
    """No-break spaces of French typography, outside the markers (their labels stay as listed)."""
    return "".join(piece if piece.startswith(MARK_OPEN) else _FRENCH_SPACE_RE.sub("\u00a0", piece)
                   for piece in _SPLIT_RE.split(text))


class _CachingEnvironment(SandboxedEnvironment):
    """docxtpl compiles the whole document XML at every render: compile each source once."""

    def __init__(self, **options):
        super().__init__(**options)
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals or template_class or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            if len(self._compiled) > 64:
                self._compiled.clear()
            template = self._compiled[source] = super().from_string(source)
        return template


def _docx_env() -> jinja2.Environment:
    return _CachingEnvironment(undefined=jinja2.StrictUndefined, autoescape=True)


class IneligibleError(DraftError):
    """The collectivité may not apply to a scheme of the draft (and ``force`` was not given)."""

    def __init__(self, found):
        self.found = found
        lines = "\n  ".join(item.sentence for item in found)
        super().__init__(f"dossier non rédigé :\n  {lines}\n  (ajoutez --forcer pour le rédiger malgré tout, "
                         f"avec un avertissement en tête du document)")


@dataclass
class Prepared:
    """Everything a draft is made of, before any file is written (Word file or form answers)."""
    family: str
    financing: FinancingPlan
    ineligible: list
    warnings: list[str]
    context: dict


def prepare(plan, action, schemes: list, *, chef_de_file: bool | None = None, exception: str | None = None,
            today: dt.date | None = None, referential=None, force: bool = False,
            stated: list | None = None, proposals: dict | None = None) -> Prepared:
    """Check eligibility, build the financing plan and the template context of a draft."""
    from .eligibility import ineligibilities, warning_text
    if not schemes:
        raise DraftError("aucun dispositif indiqué")
    today = today or dt.date.today()
    referential = referential or territory.load()
    found = ineligibilities(plan.collectivite, action, schemes, referential, today)
    if found and not force:
        raise IneligibleError(found)
    chef = plan.collectivite.chef_de_file if chef_de_file is None else chef_de_file
    financing = build_plan(action.budget_ht, schemes, chef_de_file=chef, exception=exception,
                           stated=stated, proposals=proposals)
    family = family_of(schemes[0])
    top = warning_text(found)
    context = build_context(plan, action, schemes, financing, family=family, today=today,
                            referential=referential, warnings=top)
    return Prepared(family, financing, found, top + list(financing.warnings), context)


def render_draft(plan, action, schemes: list, out: str | Path, *, templates: Templates | None = None,
                 chef_de_file: bool | None = None, exception: str | None = None,
                 today: dt.date | None = None, overwrite: bool = False, referential=None,
                 force: bool = False, stated: list | None = None, proposals: dict | None = None) -> Draft:
    """Write the application file of ``action`` for ``schemes`` (the first is the one applied to).

    Refused (``IneligibleError``) when the collectivité may not apply to one of the schemes,
    unless ``force``: the document then opens with a warning saying why.
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise DraftError(f"{out} existe déjà : choisissez un autre nom avec -o ou ajoutez --ecraser")
    prepared = prepare(plan, action, schemes, chef_de_file=chef_de_file, exception=exception, today=today,
                       referential=referential, force=force, stated=stated, proposals=proposals)
    family, financing, context = prepared.family, prepared.financing, prepared.context
    templates = templates or Templates()
    env = templates.env
    path, blob, used = templates.load(family, env)
    shown = used
    if family == "bdt":  # only the documents of the offer: no loan délibération for a grant
        other_offers = set().union(*(b for offer, b in BDT_BLOCKS.items() if offer != context["offre"]))
        shown = used - other_offers
        context.update({name: "" for name in other_offers})
    for name in sorted(shown & templates.block_names()):
        context[name] = templates.render_block(name, context)
    missing = _missing(context, shown, financing)
    context["manquants"] = [french_spacing(label) for label in missing] or [
        "aucun élément : relisez tout de même chaque rubrique"]
    half = (len(context["manquants"]) + 1) // 2  # two columns, read down the first then the second
    context["manquants_paires"] = [(context["manquants"][i], (context["manquants"][half + i]
                                    if half + i < len(context["manquants"]) else ""))
                                   for i in range(half)]
    context["famille"] = FAMILIES[family]
    context["famille_courte"] = FAMILY_SHORT[family]
    unknown = sorted(used - set(context))
    if unknown:
        raise DraftError(f"modèle {path.name} : variable inconnue « {unknown[0]} » (variables "
                         f"disponibles : {', '.join(sorted(context))})")
    properties = {"title": f"{FAMILY_TITLES[family]} — {action.titre}"[:250], "author": plan.collectivite.nom,
                  "subject": schemes[0].title, "keywords": f"{action.id}; {schemes[0].id}"}
    _write(blob, context, env, out, path, properties)
    return Draft(path=out, family=family, template=path, financing=financing, missing=missing,
                 warnings=prepared.warnings)


def _missing(context: dict, used: set[str], financing: FinancingPlan) -> list[str]:
    labels = []
    for name, value in context.items():
        if name in used:
            labels.extend(labels_in(value))
    if "plan_financement" in used:
        labels.extend(financing.missing)
    return list(dict.fromkeys(label for label in labels if label))


# The Banque des Territoires template's documents per kind of offer (context « offre »).
BDT_BLOCKS = {"pret": {"deliberation_emprunt", "emprunt"}, "subvention": {"lettre_demande", "deliberation"},
              "ingenierie": {"demande_ingenierie"}}
FAMILY_TITLES = {"dsil-detr": "Demande de subvention DETR / DSIL", "feder": "Demande de subvention FEDER",
                 "bdt": "Demande de financement Banque des Territoires", "generique": "Demande de subvention"}


def _set_properties(document, properties: dict) -> None:
    """Core properties of the draft: the collectivité is its author, not python-docx."""
    import datetime as _dt
    core = document.core_properties
    for name, value in properties.items():
        setattr(core, name, _SENTINELS_RE.sub("", clean(value)))
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    core.created = core.modified = now
    core.last_modified_by = core.author
    core.comments, core.language, core.revision = "Projet de dossier préparé avec aidenum", "fr-FR", 1


def _write(blob: bytes, context: dict, env: jinja2.Environment, out: Path, template_path: Path,
           properties: dict | None = None) -> None:
    from docxtpl import DocxTemplate
    document = DocxTemplate(io.BytesIO(blob))
    try:
        document.render(context, jinja_env=env, autoescape=True)
    except jinja2.TemplateSyntaxError as error:
        raise DraftError(f"modèle {template_path.name} : balise mal formée ({error.message})") from None
    except jinja2.UndefinedError as error:
        raise DraftError(f"modèle {template_path.name} : {error.message}") from None
    except jinja2.exceptions.SecurityError as error:
        raise DraftError(f"modèle {template_path.name} : opération interdite dans un modèle ({error})") from None
    for part in document.docx.part.package.iter_parts():
        element = getattr(part, "_element", None)
        if element is not None:
            _highlight_markers(element)
    if properties:
        _set_properties(document.docx, properties)
    with replacing(out, make_parents=True) as tmp_name:  # the previous file stays whole until the new one is checked
        document.save(tmp_name)
        check_docx(tmp_name)


def _highlight_markers(root) -> None:
    """Split every run holding a marker so that each marker gets its own highlighted run."""
    runs = {}
    for text_node in root.iter(f"{W}t"):
        if text_node.text and MARK_OPEN in text_node.text:
            parent = text_node.getparent()
            if parent is not None and parent.tag == f"{W}r":
                runs[id(parent)] = parent
            else:
                text_node.text = _SENTINELS_RE.sub("", text_node.text)
    for run in runs.values():
        properties = run.find(f"{W}rPr")
        new_runs, current = [], None
        for child in [c for c in run if c.tag != f"{W}rPr"]:
            if child.tag == f"{W}t" and child.text and MARK_OPEN in child.text:
                for piece in (p for p in _SPLIT_RE.split(child.text) if p):
                    is_marker = piece.startswith(MARK_OPEN)
                    if is_marker:
                        piece = piece[1:-1].split(MARK_SEP, 1)[0]
                    piece_run = _make_run(run, properties, _SENTINELS_RE.sub("", piece), is_marker)
                    if is_marker or current is None:
                        new_runs.append(piece_run)
                        current = None if is_marker else piece_run
                    else:
                        current.append(piece_run[-1])
            else:
                if current is None:
                    current = _make_run(run, properties, None, False)
                    new_runs.append(current)
                current.append(child)
        parent = run.getparent()
        position = parent.index(run)
        parent.remove(run)
        for offset, new in enumerate(new_runs):
            parent.insert(position + offset, new)


def _make_run(run, properties, text: str, highlighted: bool):
    new = run.makeelement(f"{W}r", {})
    props = copy.deepcopy(properties) if properties is not None else new.makeelement(f"{W}rPr", {})
    if highlighted:
        for tag in (f"{W}b", f"{W}highlight"):
            for old in props.findall(tag):
                props.remove(old)
        props.append(props.makeelement(f"{W}b", {}))
        props.append(props.makeelement(f"{W}highlight", {f"{W}val": "yellow"}))
        _order_rpr(props)
    if len(props):
        new.append(props)
    if text is not None:
        node = new.makeelement(f"{W}t", {"{http://www.w3.org/XML/1998/namespace}space": "preserve"})
        node.text = text
        new.append(node)
    return new


# Word rejects a run-properties element whose children are out of the schema's order.
_RPR_ORDER = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
              "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden",
              "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect",
              "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout",
              "specVanish", "oMath"]


def _order_rpr(props) -> None:
    rank = {f"{W}{name}": i for i, name in enumerate(_RPR_ORDER)}
    children = sorted(props, key=lambda c: rank.get(c.tag, len(rank)))
    for child in children:
        props.remove(child)
        props.append(child)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: never half a file."""
    atomic_write(path, text.encode("utf-8"))


def safe_filename(*parts: str, max_length: int = 80) -> str:
    """An ASCII slug usable as a file name anywhere (no separators, no reserved names, capped)."""
    import hashlib
    raw = "-".join(parts)
    ascii_text = strip_accents(raw).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "dossier"
    plain = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    if len(slug) > max_length or (plain and slug != plain):
        # lossy slug: a short hash of the original keeps two different ids from colliding
        digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:max_length - 9].rstrip('-')}-{digest}"
    if slug.split("-")[0] in {"con", "prn", "aux", "nul", "com1", "lpt1"}:
        slug = f"dossier-{slug}"
    return slug


__all__ = ["Draft", "DraftError", "IneligibleError", "Prepared", "Templates", "prepare", "render_draft",
           "safe_filename", "clean"]
