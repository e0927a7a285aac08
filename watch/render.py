"""Render a digest for people: terminal text, Markdown, HTML e-mail body.

Templates live in ``templates/digest/`` so a project manager can reword them. HTML is rendered
with autoescaping (a « & » or « < » in a scheme title must not break the e-mail); every
template runs with ``StrictUndefined`` so a typo in a template fails loudly instead of
printing nothing.
"""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote
from pathlib import Path

import jinja2
from aidenum.catalogue.formatting import date_fr
from aidenum.catalogue.freshness import freshness_lines
from aidenum.catalogue.paths import shipped

TEMPLATES = shipped("templates", "digest")
FORMATS = {"terminal": "digest.txt.j2", "markdown": "digest.md.j2", "html": "digest.html.j2"}
WHY_CHARS = 220


fr_date = date_fr  # the templates' filter name


def deadline_text(item) -> str:
    """« clôture le 31/01/2025 (dans 12 jours) », « sans date limite », …"""
    scheme = item.scheme
    if item.category == "closed":
        return f"clôturé : {item.reason}"
    if item.category == "ineligible":
        return f"plus éligible : {item.reason}"
    if item.reason:  # a stale date: « date dépassée — à vérifier (…) »
        return item.reason
    if scheme.deadline is None:
        return "permanent" if scheme.recurrence == "ongoing" else "sans date limite connue"
    days = item.days_left
    when = "aujourd'hui" if days == 0 else ("demain" if days == 1 else f"dans {days} jours")
    return f"clôture le {fr_date(scheme.deadline)} ({when})"


def shorten(text: str, limit: int = WHY_CHARS) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", str(text))


# Characters left as they are in a link destination; everything else (spaces, parentheses,
# angle brackets, backslashes, quotes, non-ASCII) is percent-encoded so it cannot end the link.
_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"


def md_url(url: str) -> str:
    """An http(s) address as a Markdown link destination; "" for anything else (javascript:…)."""
    url = str(url or "").strip()
    if not re.match(r"^https?://", url, re.IGNORECASE):
        return ""
    return quote(url, safe=_URL_SAFE)


@lru_cache(maxsize=2)
def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=html,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(fr_date=fr_date, deadline=deadline_text, shorten=shorten, md=md_escape, md_url=md_url)
    return env


def render(digest, fmt: str = "terminal", catalogue_updated: str = "") -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format inconnu « {fmt} » (attendu : {', '.join(FORMATS)})")
    template = _environment(fmt == "html").get_template(FORMATS[fmt])
    shown = {i.scheme.id: i.scheme for a in digest.actions for i in a.items}
    return template.render(digest=digest, period=digest.period, actions=digest.actions,
                           catalogue_updated=catalogue_updated,
                           freshness=freshness_lines(shown.values(), digest.today),
                           has_aides_territoires=any(i.scheme.source == "at" for a in digest.actions
                                                     for i in a.items))


def subject(digest) -> str:
    return (f"Veille des aides – {digest.collectivite} – {fr_date(digest.today)} : "
            f"{digest.summary_fr()}")
