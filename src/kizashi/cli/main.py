"""Entry point of the ``kizashi`` command. Command modules register on import."""

from __future__ import annotations

from . import (  # noqa: F401  (imported for their command registrations)
    admin_cmd,
    audit_log_cmd,
    case_cmd,
    cash_cmd,
    changes_cmd,
    consent_cmd,
    demo_cmd,
    document_cmd,
    flag_cmd,
    ingest_cmd,
    loan_cmd,
    model_admin_cmd,
    model_cmd,
    payments_cmd,
    plan_cmd,
    referral_cmd,
    report_cmd,
    rules_cmd,
    run_cmd,
    serve_cmd,
    stress_cmd,
    synth_cmd,
    team_cmd,
    timeliness_cmd,
    triage_cmd,
    user_cmd,
)
from .app import app


def main() -> None:
    app()
