"""Compatibility shim, kept for this session only: the plan model and readers moved to the package
``aidenum.matcher.plans``. Import from there; this module will be removed once every branch has."""
from aidenum.matcher.plans import Action, Collectivite, Plan, PlanError, collectivite_type, load_plan  # noqa: F401
