"""Every table of the operational store on one metadata.

``models`` holds the core tables; features keep theirs in their own modules (plans, referrals,
support cases, triage), each importing ``models.Base``. Code that needs the whole schema — the
migration environment, tests that empty or compare every table — imports ``metadata`` from here,
so ``models`` never has to import the feature modules back.
"""

from __future__ import annotations

from . import (
    matching_models,
    plan_models,
    referral_models,
    reports_models,
    risk_admin_models,
    support_models,
    teams_models,
    triage_models,
)
from .models import Base

FEATURE_MODULES = (
    matching_models,
    plan_models,
    referral_models,
    support_models,
    triage_models,
    teams_models,
    reports_models,
    risk_admin_models,
)
metadata = Base.metadata
