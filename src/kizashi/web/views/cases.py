"""Labels of a support case's words (``domain.support``) for pages and the CLI: English msgids
translated through the catalogue, keyed by the word's kind (the same value, e.g. ``owner``,
means different things as a role and as who does an action)."""

from __future__ import annotations

from ..i18n import N_, Translator

CASE_LABELS: dict[str, dict[str, str]] = {
    "support_type": {
        "core_business": N_("Core-business support"),
        "improvement": N_("Management improvement"),
        "turnaround": N_("Business turnaround"),
        "restart": N_("Fresh start (closure and restart)"),
    },
    "stage": {
        "intake": N_("Intake"),
        "diagnosis": N_("Diagnosis"),
        "planning": N_("Planning"),
        "follow_up": N_("Follow-up"),
    },
    "cadence": {
        "none": N_("No fixed cadence"),
        "monthly": N_("Monthly"),
        "quarterly": N_("Quarterly"),
    },
    "status": {"open": N_("Open"), "closed": N_("Closed")},
    "outcome": {
        "improved": N_("Improved"),
        "plan_agreed": N_("Plan agreed"),
        "referred": N_("Referred to another organisation"),
        "restructured": N_("Terms restructured or rehabilitated"),
        "closed_business": N_("Business closed"),
        "no_longer_needed": N_("Support no longer needed"),
    },
    "channel": {
        "visit": N_("Visit"),
        "office": N_("At our office"),
        "phone": N_("Phone"),
        "online": N_("Online"),
        "other": N_("Other"),
    },
    "party": {
        "owner": N_("The business"),
        "officer": N_("Our organisation"),
        "accountant": N_("Accountant"),
        "other": N_("Other"),
    },
    "item": {
        "manager": N_("Owner and management"),
        "business": N_("Business activities"),
        "environment": N_("Environment and stakeholders"),
        "internal": N_("Internal controls"),
    },
    "field": {
        "status": N_("Status"),
        "support_type": N_("Support type"),
        "stage": N_("Stage"),
        "owner_user_id": N_("Officer in charge"),
        "next_contact_on": N_("Next contact"),
        "cadence": N_("Cadence"),
        "outcome": N_("Outcome"),
        "note": N_("Note"),
    },
}


def case_label(t: Translator, kind: str, value: str | None) -> str:
    """The word in the translator's language (the value itself if unknown; — for none)."""
    if value is None:
        return "—"
    msgid = CASE_LABELS.get(kind, {}).get(value)
    return t.gettext(msgid) if msgid else value
