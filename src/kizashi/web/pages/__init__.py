"""The HTML pages: one module per feature, each with its own ``router``.

A new feature adds its module here and to ``ROUTERS``; ``app.create_app`` includes them in order.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    admin,
    audit,
    businesses,
    cases,
    changes,
    consent,
    exports,
    flag_responses,
    loans,
    login,
    model,
    money_presets,
    monitoring,
    payments,
    plans,
    referrals,
    reports,
    risk_admin,
    stress,
    teams,
    timeliness,
    triage,
    uploads,
)

ROUTERS: tuple[APIRouter, ...] = (
    login.router,
    businesses.router,
    monitoring.router,
    flag_responses.router,
    cases.router,
    referrals.router,
    loans.router,
    uploads.router,
    money_presets.router,
    payments.router,
    consent.router,
    admin.router,
    audit.router,
    model.router,
    risk_admin.router,
    triage.router,
    teams.router,
    timeliness.router,
    stress.router,
    plans.router,
    reports.router,
    exports.router,
    changes.router,
)
