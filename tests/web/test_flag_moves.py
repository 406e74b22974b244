"""The web layer's flag moves come from the one table, ``domain.vocabulary.FLAG_MOVES``.

The API's accepted states (``FlagMoveIn`` / ``FlagDismissIn`` in the OpenAPI document) and the
page's buttons are compared with the person's moves read from the table here: a move added to
the table and not to the API (or the reverse, a state hard-coded in a route) fails.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI

from kizashi.domain.vocabulary import (
    FLAG_MOVES,
    OWNER_MAY_SET,
    REASON_REQUIRED,
    FlagEvent,
    FlagState,
    Role,
)
from kizashi.web.pages.monitoring import flag_actions
from kizashi.web.views.monitoring import FlagOut, Texts

PERSON_TARGETS = {m.after.value for m in FLAG_MOVES if m.event == FlagEvent.PERSON}


def _values(prop: dict[str, Any]) -> set[str]:
    """The strings a JSON Schema property accepts (``const`` or ``enum``)."""
    if "const" in prop:
        return {prop["const"]}
    assert "enum" in prop, prop
    return set(prop["enum"])


def test_api_accepts_exactly_the_persons_moves(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    move = _values(schemas["FlagMoveIn"]["properties"]["state"])
    dismiss = _values(schemas["FlagDismissIn"]["properties"]["state"])
    assert move | dismiss == PERSON_TARGETS
    assert not move & dismiss
    # a state that needs a reason is only accepted with one
    assert dismiss == {s.value for s in REASON_REQUIRED}
    assert "reason" in schemas["FlagDismissIn"]["required"]
    assert "reason" not in schemas["FlagMoveIn"].get("required", [])
    # never 解消 (the run's finding) nor 新規
    assert {FlagState.RESOLVED.value, FlagState.NEW.value}.isdisjoint(move | dismiss)


def _flag(state: FlagState, *, is_open: bool = True) -> FlagOut:
    text = Texts(ja="手元資金が少ない", en="Little cash")
    return FlagOut(
        id=1,
        rule_id="cash.low_liquidity",
        pack_ref="default@1",
        severity="high",
        category="資金繰り",
        source="試算表",
        support="確認",
        state=state.value,
        state_reason=None,
        is_open=is_open,
        opened_month=date(2026, 9, 30),
        closed_month=None if is_open else date(2026, 10, 31),
        last_seen_month=date(2026, 9, 30),
        title=text,
        explanation=text,
        next_step=text,
        evidence={},
    )


@pytest.mark.parametrize("state", list(FlagState))
@pytest.mark.parametrize("role", [Role.OFFICER, Role.OWNER])
def test_page_buttons_are_the_persons_moves_from_the_state(state: FlagState, role: Role) -> None:
    table = {m.after.value for m in FLAG_MOVES if m.event == FlagEvent.PERSON and m.before == state}
    if role == Role.OWNER:
        table &= {s.value for s in OWNER_MAY_SET}
    assert set(flag_actions(_flag(state), role)) == table
    assert flag_actions(_flag(state, is_open=False), role) == []  # a closed flag offers none


def test_the_owner_may_set_only_what_the_table_lets_anyone_set() -> None:
    assert {s.value for s in OWNER_MAY_SET} <= PERSON_TARGETS
    assert {s.value for s in REASON_REQUIRED} <= PERSON_TARGETS
