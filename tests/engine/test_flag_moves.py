"""Every state the run gives a flag (``carry_over``) is a run move of ``FLAG_MOVES``."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from kizashi.domain.vocabulary import FLAG_MOVES, RUN_EVENTS, FlagEvent, FlagState
from kizashi.engine.exec.episodes import carry_over

OPENED = date(2026, 3, 1)
AS_OF = date(2026, 9, 1)
CASES = [
    (before, event)
    for before in (None, *FlagState)
    for event in RUN_EVENTS
    if not (before is None and event == FlagEvent.GONE)
]


def _carry(before: FlagState | None, event: FlagEvent) -> dict:
    cur = pa.table(
        {
            "business_id": pa.array([] if event == FlagEvent.GONE else [1], pa.int64()),
            "rule_id": pa.array([] if event == FlagEvent.GONE else ["r"], pa.string()),
            "opened_month": pa.array([] if event == FlagEvent.GONE else [OPENED], pa.date32()),
            "is_open": pa.array([] if event == FlagEvent.GONE else [event == "open"], pa.bool_()),
        }
    )
    prev = pa.table(
        {
            "business_id": pa.array([] if before is None else [1], pa.int64()),
            "rule_id": pa.array([] if before is None else ["r"], pa.string()),
            "opened_month": pa.array([] if before is None else [OPENED], pa.date32()),
            "state": pa.array([] if before is None else [before.value], pa.string()),
            "state_reason": pa.array([] if before is None else ["季節要因"], pa.string()),
            "is_open": pa.array([] if before is None else [True], pa.bool_()),
        }
    )
    out = carry_over(prev, cur, pa.array([1], pa.int64()), AS_OF).to_pylist()
    assert len(out) == 1
    return out[0]


@pytest.mark.parametrize(("before", "event"), CASES)
def test_every_run_move_is_in_the_table(before: FlagState | None, event: FlagEvent) -> None:
    row = _carry(before, event)
    after = FlagState(row["state"])
    assert any(m.before == before and m.event == event and m.after == after for m in FLAG_MOVES)
    # a person's 対応不要 keeps its reason; any other state has none from the run
    if event != FlagEvent.GONE:
        assert row["state_reason"] == ("季節要因" if after == FlagState.NOT_NEEDED else None)
    assert row["vanished"] == (event == FlagEvent.GONE)


def test_a_stored_state_outside_the_vocabulary_is_an_error() -> None:
    prev = pa.table(
        {
            "business_id": pa.array([1], pa.int64()),
            "rule_id": pa.array(["r"]),
            "opened_month": pa.array([OPENED], pa.date32()),
            "state": pa.array(["対応中"]),  # the engine's old labels: no longer a state
            "state_reason": pa.array([None], pa.string()),
            "is_open": pa.array([True]),
        }
    )
    cur = pa.table(
        {
            "business_id": pa.array([1], pa.int64()),
            "rule_id": pa.array(["r"]),
            "opened_month": pa.array([OPENED], pa.date32()),
            "is_open": pa.array([True]),
        }
    )
    with pytest.raises(ValueError, match="no run move"):
        carry_over(prev, cur, pa.array([1], pa.int64()), AS_OF)
