"""The JSON API under ``/api/v1``: one module per feature, each with its own ``router``.

``contract`` holds what every route shares (the route class, error bodies, id and text types).
A new feature adds its module here and to ``ROUTERS``; ``app.create_app`` includes them in order.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    admin,
    admin_users,
    audit,
    businesses,
    cases,
    cash,
    changes,
    consent,
    documents,
    flag_responses,
    loans,
    model,
    money,
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
    businesses.router,
    monitoring.router,
    flag_responses.router,
    cases.router,
    referrals.router,
    reports.router,
    loans.router,
    uploads.router,
    admin.router,
    admin_users.router,
    audit.router,
    consent.router,
    money.router,
    money_presets.router,
    payments.router,
    plans.router,
    cash.router,
    stress.router,
    model.router,
    risk_admin.router,
    triage.router,
    teams.router,
    timeliness.router,
    changes.router,
    documents.router,
)
