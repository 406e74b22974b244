"""Plans as the pages show them: item and kind labels (gettext messages) and the plan-against-
actual table's rows (one per period; per item plan, actual, deviation, cumulative deviation)."""

from __future__ import annotations

from typing import Any

from kizashi.access.plans import PlanProgress
from kizashi.domain.plans import ITEMS

from ..i18n import N_

ITEM_LABELS = {
    "sales": N_("Sales"),
    "gross_profit": N_("Gross profit"),
    "operating_profit": N_("Operating profit"),
    "cash": N_("Cash and deposits"),
    "borrowings": N_("Borrowings"),
}
KIND_LABELS = {
    "business": N_("Business plan"),
    "cash_flow": N_("Cash-flow plan"),
    "earnings_action": N_("Earnings improvement action plan"),
    "early_improvement": N_("Early management improvement plan"),
    "improvement": N_("Management improvement plan"),
}
GRANULARITY_LABELS = {"monthly": N_("Monthly"), "annual": N_("Annual")}


def progress_rows(p: PlanProgress) -> list[dict[str, Any]]:
    """One row per target period: its items in ``ITEMS`` order, each a dict of figures."""
    firing = {m.period for m in p.shortfall.history if m.firing} if p.shortfall else set()
    return [
        {
            "period": pc.period,
            "shortfall": pc.period in firing,
            "cells": [pc.item(code) for code in ITEMS],
        }
        for pc in p.comparison
    ]
