"""What the pages need from the packages, called the way the command line calls them.

One ``Services`` per application: the referential, one ``Matcher`` (its index rebuilt when the
catalogue changes, like ``aidenum match`` does) guarded by a lock, since waitress serves
requests from several threads and the matcher keeps caches.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aidenum.catalogue import store
from aidenum.catalogue.model import SOURCES, Scheme

from . import planio
from .store import WebStore

MATCH_DEPTH = 60     # matches computed per action before the page's filters (family, aid type, date)
PAGE_MATCHES = 15    # shown on the matches page
INDEX_CHECK_S = 5.0  # the catalogue's change stamp is read at most this often


def has_module(name: str) -> bool:
    """True when an optional package of another area (similar projects, synthesis) is installed."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@dataclass
class MatchFilters:
    family: str = ""         # a dispositif label of Scheme.programmes (DETR, DSIL, FEDER…)
    aid_type: str = ""       # an AID_TYPES slug
    open_only: bool = True
    deadline_before: dt.date | None = None

    def keep(self, scheme: Scheme) -> bool:
        if self.family and self.family not in scheme.programmes:
            return False
        if self.aid_type and self.aid_type not in scheme.aid_types:
            return False
        if self.deadline_before and (scheme.deadline is None or scheme.deadline > self.deadline_before):
            return False
        return True


@dataclass
class ActionMatches:
    matches: list
    exclusions: list = field(default_factory=list)
    families: list[str] = field(default_factory=list)   # families present before filtering
    aid_types: list[str] = field(default_factory=list)
    total: int = 0


class Services:
    def __init__(self, home: Path | None = None):
        self.home = Path(home) if home else store.home()
        self.web = WebStore(self.home)
        self._lock = threading.RLock()
        self._matcher = None
        self._referential = None
        self._checked = 0.0
        self._similar = threading.local()

    # -- shared machinery ------------------------------------------------------------------------
    @property
    def referential(self):
        if self._referential is None:
            from aidenum.catalogue import territory
            self._referential = territory.load()
        return self._referential

    def catalogue(self):
        return store.Catalogue(self.home / store.DB_NAME)

    def matcher(self):
        """The matcher, its index up to date with the catalogue. Call with ``self.lock`` held."""
        import time

        from aidenum.matcher.engine import Matcher
        if self._matcher is None:
            self._matcher = Matcher(self.home, referential=self.referential)
            self._checked = 0.0
        if time.monotonic() - self._checked > INDEX_CHECK_S:
            self._matcher.ensure_index()
            self._checked = time.monotonic()
        return self._matcher

    @property
    def lock(self):
        return self._lock

    def warm(self) -> None:
        """Build or open the index and the name look-up before the first visitor."""
        with self.catalogue() as cat:
            empty = cat.count() == 0
        if not empty:
            with self.lock:
                self.matcher()
        self.referential.search("a", limit=1)

    # -- plans -----------------------------------------------------------------------------------
    def plan(self, stored) -> "planio.Plan":
        return planio.plan_of(stored.document, stored.name, self.referential)

    # -- matching --------------------------------------------------------------------------------
    def action_matches(self, plan, action, filters: MatchFilters, today: dt.date,
                       with_exclusions: bool = False, top: int = PAGE_MATCHES) -> ActionMatches:
        with self.lock:
            matcher = self.matcher()
            found = matcher.match_action(plan.collectivite, action, top=MATCH_DEPTH,
                                         include_closed=not filters.open_only, today=today)
            excluded = matcher.exclusions(plan.collectivite, action, today=today) if with_exclusions else []
        families = sorted({p for m in found for p in m.scheme.programmes if p in FAMILY_LABELS})
        aid_types = sorted({t for m in found for t in m.scheme.aid_types})
        kept = [m for m in found if filters.keep(m.scheme)]
        return ActionMatches(kept[:top], excluded, families, aid_types, len(kept))

    def plan_matches(self, plan, today: dt.date, top: int = 3) -> dict[str, list]:
        with self.lock:
            matcher = self.matcher()
            return {a.id: matcher.match_action(plan.collectivite, a, top=top, today=today) for a in plan.actions}

    def search(self, text: str, collectivite=None, top: int = 50, include_closed: bool = False,
               today: dt.date | None = None) -> list:
        with self.lock:
            return self.matcher().search(text, collectivite, top=top, include_closed=include_closed, today=today)

    def verdict(self, plan, action, scheme: Scheme, today: dt.date):
        """Why this collectivité may or may not apply (the matcher's own hard filters)."""
        from aidenum.matcher import filters
        applicant = filters.Applicant.from_collectivite(plan.collectivite)
        return filters.check(scheme, applicant, self.referential, today, False,
                             filters.relays_to_businesses(action.text))

    # -- similar funded projects (issue 11, branch laureates) -----------------------------------
    def similar(self, plan, action, top: int = 5):
        """(projects, evidence) or None when the laureates store is absent or empty."""
        projects = self._similar_projects()
        if projects is None:
            return None
        return (projects.search(action.text, applicant=plan.collectivite, top=top),
                projects.evidence(action.text, applicant=plan.collectivite))

    def _similar_projects(self):
        """This thread's look-up over the laureates, reopened when their file changed (an import).

        One per thread: a sqlite3 connection stays in the thread that opened it. Kept between
        requests: a fresh one reads the vocabulary's frequencies on its first search, 57 ms of the
        72 ms a matches page spent on similar projects when opened per request (measured on the
        shipped DGCL projects and the example plan)."""
        if not has_module("aidenum.matcher.similar"):
            return None
        from aidenum.catalogue.laureates import DB_NAME
        from aidenum.matcher.similar import SimilarProjects
        path = self.home / DB_NAME
        local = self._similar
        stamp = _file_stamp(path)
        if getattr(local, "stamp", "jamais") != stamp:
            if getattr(local, "projects", None) is not None:
                local.projects.close()
            local.projects = SimilarProjects.open(self.home) if stamp else None
            local.stamp = _file_stamp(path)  # after open: rebuilding its term index rewrites the file
        return local.projects

    # -- drafting --------------------------------------------------------------------------------
    def draft(self, plan, action, schemes: list, output: str, today: dt.date, chef_de_file: bool | None,
              exception: str | None) -> tuple[bytes, str]:
        """(content, file name) of the draft as `aidenum draft` writes it: the .docx, or with
        ``output="ds"`` the national DETR/DSIL form's answers as CSV. Same inputs as the command:
        the plan's own financing (``financement``) and, when funded projects are loaded, the
        observed-rate proposals. DraftError/FinancingError carry the French reason."""
        from aidenum.drafting.family import family_of
        from aidenum.drafting.financing import stated_from
        from aidenum.drafting.proposals import RateProposer
        from aidenum.drafting.render import DraftError, render_draft, safe_filename
        similar = self._similar_projects()
        settings = {"chef_de_file": chef_de_file, "exception": exception, "referential": self.referential,
                    "today": today, "stated": stated_from(action),
                    "proposals": RateProposer(similar).for_schemes(plan, action, schemes) if similar else {}}
        if output == "ds" and family_of(schemes[0]) != "dsil-detr":
            raise DraftError(f"le formulaire national remplit une demande de DETR ou de DSIL : « {schemes[0].title} » "
                             "n'en est pas une ; choisissez une dotation DETR ou DSIL, ou téléchargez le dossier Word")
        stem = safe_filename("dossier" if output == "docx" else "formulaire", action.id, schemes[0].id)
        with tempfile.TemporaryDirectory(prefix="aidenum-web-") as folder:
            if output == "ds":
                from aidenum.drafting.ds_form import write_form
                write_form(plan, action, schemes, Path(folder) / f"{stem}.json", **settings)
                return (Path(folder) / f"{stem}.csv").read_bytes(), f"{stem}.csv"
            render_draft(plan, action, schemes, Path(folder) / f"{stem}.docx", **settings)
            return (Path(folder) / f"{stem}.docx").read_bytes(), f"{stem}.docx"

    # -- synthesis of the plan (issue 13) ----------------------------------------------------------
    def synthesis(self, plan, today: dt.date, top: int = 3):
        """The plan's funding synthesis, from the same matches as the command (drafting/synthesis.py)."""
        from aidenum.drafting.proposals import RateProposer
        from aidenum.drafting.synthesis import add_credits, build_synthesis, match_depth
        with self.lock:
            matcher = self.matcher()
            matches = {a.id: matcher.match_action(plan.collectivite, a, top=match_depth(top), today=today)
                       for a in plan.actions}
        similar = self._similar_projects()
        proposer = RateProposer(similar) if similar is not None else None
        result = build_synthesis(plan, matches, top=top, today=today, proposer=proposer, similar=similar)
        with self.catalogue() as cat:
            add_credits(result, cat.last_seen("at"))
        return result

    @staticmethod
    def synthesis_file(result, fmt: str, name: str) -> bytes:
        """The synthesis as the command writes it: XLSX with its formulas, or the checked DOCX."""
        if fmt == "xlsx":
            from aidenum.drafting.synthesis_xlsx import workbook_bytes
            return workbook_bytes(result)
        from aidenum.drafting.synthesis_docx import write_docx
        with tempfile.TemporaryDirectory(prefix="aidenum-web-") as folder:
            out = Path(folder) / name
            write_docx(result, out)  # checked like every document handed to the user
            return out.read_bytes()

    # -- watch -----------------------------------------------------------------------------------
    def deadlines(self, plan, today: dt.date, top: int = 20):
        from aidenum.watch import calendar as ics
        with self.catalogue() as cat, self.lock:
            return ics.collect_deadlines(plan, cat, self.matcher(), today, top=top)

    def calendar_bytes(self, plan, today: dt.date, reminder_days: int) -> bytes | None:
        from aidenum.watch import calendar as ics
        from aidenum.watch.digest import plan_key
        deadlines, _ = self.deadlines(plan, today)
        if not deadlines:
            return None
        return ics.build_calendar(deadlines, plan_key(plan), plan.collectivite.nom, reminder_days)

    def digest_preview(self, plan, today: dt.date):
        """The digest the weekly job would send now (nothing recorded): (digest, text, updated)."""
        from aidenum.watch import digest as digests
        from aidenum.watch import render
        from aidenum.watch.state import WatchState
        state = WatchState(self.home / "watch" / "state.json")
        with self.catalogue() as cat:
            runs = cat.runs()
            if not runs:
                return None
            period = digests.period_last_run(cat, state.last_digest(digests.plan_key(plan)), today)
            with self.lock:
                result = digests.build_digest(plan, cat, self.matcher(), period, today,
                                              perimeter_label=self.referential.label)
        updated = runs[-1]["finished_at"] or runs[-1]["started_at"]
        return result, render.render(result, "terminal", catalogue_updated=updated), updated

    # -- catalogue state -------------------------------------------------------------------------
    def catalogue_state(self) -> dict:
        from aidenum.spiders.report import STATUS_FR, read_status, status_dir
        with self.catalogue() as cat:
            per_source = dict(cat.db.execute("SELECT source, count(*) FROM schemes GROUP BY source"))
            closed = dict(cat.db.execute("SELECT source, count(*) FROM schemes WHERE closed_at IS NOT NULL"
                                         " GROUP BY source"))
            runs = cat.runs()
            changed_at = cat.changed_at()
            at_last_update = cat.last_seen("at")
        last_run = {}
        for run in runs:
            last_run[run["source"]] = run
        folder = status_dir(self.home)
        reports = {}
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                report = read_status(self.home, path.stem)
                if report is not None:
                    reports[report.spider] = report
        sources = sorted(set(per_source) | set(last_run), key=lambda s: (-per_source.get(s, 0), s))
        return {"sources": [{"code": s, "label": SOURCES.get(s, s), "count": per_source.get(s, 0),
                             "closed": closed.get(s, 0), "last_run": last_run.get(s)} for s in sources],
                "total": sum(per_source.values()), "changed_at": changed_at, "at_last_update": at_last_update,
                "reports": list(reports.values()), "status_fr": STATUS_FR, "runs": runs}

    def coverage(self, plan, today: dt.date) -> dict[str, int]:
        """Open schemes the plan's collectivité may apply to, per source (the matcher's filters)."""
        from aidenum.matcher import filters
        applicant = filters.Applicant.from_collectivite(plan.collectivite)
        counts: dict[str, int] = {}
        with self.catalogue() as cat:
            for scheme in cat.all(without=LONG_FIELDS):
                if filters.check(scheme, applicant, self.referential, today).ok:
                    counts[scheme.source] = counts.get(scheme.source, 0) + 1
        return counts


def _file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_mtime_ns, info.st_size


LONG_FIELDS = ("raw", "description", "eligibility", "project_examples", "contact")
# Dispositif families (INTERFACES.md): a scheme belongs to one through Scheme.programmes.
FAMILY_LABELS = ("DETR", "DSIL", "DSID", "DPV", "FNADT", "France services", "FIPD", "FEDER",
                 "Conseiller numérique", "Banque des Territoires", "France Num")
