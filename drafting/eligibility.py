"""May the collectivité apply to the schemes of a draft? The matcher's own filters decide.

``aidenum.matcher.filters`` holds the rules (territory, beneficiaries, closed, business-only);
this module only asks them about the schemes a user names, and words the refusal (or, with
``--forcer``, the warning printed at the top of the document) around the collectivité's name.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aidenum.matcher import filters

from .grammar import name_of


@dataclass
class Ineligibility:
    scheme_id: str
    scheme_title: str
    reason: str        # the filter's reason without its « exclue : » prefix
    sentence: str      # a French sentence naming the collectivité and the scheme


def ineligibilities(collectivite, action, schemes, referential, today: dt.date) -> list[Ineligibility]:
    """The schemes the collectivité may not apply to, with the filters' reasons."""
    applicant = filters.Applicant.from_collectivite(collectivite)
    relay = filters.relays_to_businesses(action.text)
    name = name_of(collectivite.nom, collectivite.type)
    found = []
    for scheme in schemes:
        verdict = filters.check(scheme, applicant, referential, today, include_closed=False, relay=relay)
        if verdict.ok:
            continue
        reason = verdict.reason.removeprefix("exclue : ")
        found.append(Ineligibility(
            scheme.id, scheme.title, reason,
            f"{name.subject} est {name.agree('exclu')} de l'aide « {scheme.title} » ({scheme.id}) : "
            f"{reason}."))
    return found


def warning_text(found: list[Ineligibility]) -> list[str]:
    """The warning paragraphs of a draft written anyway (``--forcer``)."""
    return [f"{item.sentence} Ce projet de dossier a été rédigé à la demande expresse de l'utilisateur "
            f"(option --forcer) : la demande risque d'être déclarée irrecevable." for item in found]
