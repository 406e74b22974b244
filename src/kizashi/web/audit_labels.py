"""What the audit log's codes are called, for people: each recorded action, each decision and
each finding of a chain verification, as gettext messages (the auditor's page and
``kizashi audit log`` show them in Japanese; an action not listed shows its code)."""

from __future__ import annotations

from .i18n import N_, Translator

# What each recorded action is called on the page; an action not listed shows its code.
ACTIONS: dict[str, str] = {
    "login": N_("Logged in"),
    "login_failed": N_("Failed login"),
    "login_locked": N_("Login ID locked"),
    "login_throttled": N_("Logins from an address throttled"),
    "logout": N_("Logged out"),
    "unlock_login": N_("Login lockout lifted"),
    "end_user_sessions": N_("Logged out everywhere"),
    "add_organisation": N_("Organisation added"),
    "add_user": N_("User added"),
    "activate_user": N_("User activated"),
    "deactivate_user": N_("User deactivated"),
    "change_password": N_("Password changed"),
    "change_role": N_("Role changed"),
    "manage_user": N_("User management"),
    "list_users": N_("User list"),
    "list": N_("Business list"),
    "read": N_("Data read"),
    "read_business_page": N_("Business page read"),
    "read_financials": N_("Financial figures read"),
    "read_plans": N_("Plans read"),
    "add_plan": N_("Plan added"),
    "add_plan_version": N_("Plan version added"),
    "import_plan": N_("Plan file imported"),
    "read_loans": N_("Loans read"),
    "read_flags": N_("Flags read"),
    "read_summary": N_("Flag summary read"),
    "read_indicators": N_("Indicators read"),
    "read_indicator_history": N_("Indicator history read"),
    "read_submissions": N_("Submissions read"),
    "upload_form": N_("Upload form opened"),
    "import_submission": N_("Data imported"),
    "add_business": N_("Business registered"),
    "import_businesses": N_("Businesses imported"),
    "add_loan": N_("Loan added"),
    "record_credit_event": N_("Credit event recorded"),
    "grant_consent": N_("Consent given"),
    "revoke_consent": N_("Consent revoked"),
    "change_flag_state": N_("Flag state changed"),
    "install_rule_pack": N_("Rule pack installed"),
    "install_default_pack": N_("Default rule pack installed"),
    "monitoring_run": N_("Monitoring run finished"),
    "monitoring_run_started": N_("Monitoring run started"),
    "monitoring_run_failed": N_("Monitoring run failed"),
    "load_synthetic_portfolio": N_("Synthetic portfolio loaded"),
    "store_portfolio_manifest": N_("Synthetic portfolio manifest stored"),
    "close_loan": N_("Loan paid off"),
    "confirm_account_mapping": N_("Account mapping confirmed"),
    "import_money": N_("Bank or invoice data imported"),
    "import_repayment_schedule": N_("Repayment schedule imported"),
    "list_consents": N_("Consents listed"),
    "read_bank_transactions": N_("Bank transactions read"),
    "read_cash_forecast": N_("Cash forecast read"),
    "read_flag_response": N_("Flag response read"),
    "read_invoices": N_("Invoices read"),
    "read_open_items": N_("Open items read"),
    "read_risk": N_("Risk score read"),
    "record_application_consent": N_("Consent at application recorded"),
    "request_consent": N_("Consent requested"),
    "respond_consent_request": N_("Consent request answered"),
    "risk_model_activated": N_("Risk model activated"),
    "risk_model_trained": N_("Risk model trained"),
    "save_column_mapping": N_("Column mapping saved"),
    "withdraw_consent_request": N_("Consent request withdrawn"),
    "assign_flag": N_("Flag assigned"),
    "assign_triage": N_("Triage assigned"),
    "unassign_triage": N_("Triage assignment removed"),
    "set_staff_capacity": N_("Staff capacity set"),
    "complete_action": N_("Action completed"),
    "loan_party": N_("Loan access"),
    "read_dialogue": N_("Dialogue record read"),
    "read_shared_dialogues": N_("Shared dialogue records read"),
    "save_money_preset": N_("Bank file settings saved"),
    "open_case": N_("Support case opened"),
    "update_case": N_("Support case updated"),
    "close_case": N_("Support case closed"),
    "add_dialogue": N_("Dialogue record added"),
    "comment_dialogue": N_("Comment on a dialogue record"),
    "set_non_financial": N_("Non-financial items set"),
    "read_audit_log": N_("Audit log read"),
    "read_audit_event": N_("Audit event read"),
    "export_audit_log": N_("Audit log exported"),
    "verify_audit_log": N_("Audit log verified"),
}
DECISIONS = {"allow": N_("Allowed"), "deny": N_("Refused"), "write": N_("Changed")}
PROBLEMS = {
    "missing": N_("Event {event}: the numbering has a gap (a row deleted or reordered)"),
    "prev_hash": N_("Event {event}: not linked to the hash of the event before it"),
    "changed": N_("Event {event}: its content does not match its keyed hash (changed)"),
    "legacy": N_("From event {event}, {count} events: still in the old form without the key"),
    "head": N_("The head record (event {event}) does not match the last event (tail removed)"),
    "checkpoint_bad": N_("Checkpoint line {event}: the signature is wrong"),
    "truncated": N_("A checkpoint records {event} events; the log has fewer (tail removed)"),
    "rewritten": N_("Event {event}: differs from the hash a checkpoint recorded (rewritten)"),
}


def action_label(t: Translator, code: str) -> str:
    return t.gettext(ACTIONS[code]) if code in ACTIONS else code


def decision_label(t: Translator, code: str) -> str:
    return t.gettext(DECISIONS[code]) if code in DECISIONS else code
