"""Signed checkpoints outside the database catch what the key alone cannot."""

from __future__ import annotations

from kizashi.store.audit_checkpoints import (
    FILE_NAME,
    read_checkpoints,
    verify_checkpoints,
    write_checkpoint,
)

from .audit_attacks import delete_everything, delete_tail, fill, flip_deny_to_allow, recompute


def _check(store, directory):
    key = store.audit_key.get()
    checkpoints, problems = read_checkpoints(directory, key)
    with store.read_session() as s:
        problems += verify_checkpoints(s, checkpoints)
    return checkpoints, [(p.event_id, p.code) for p in problems]


def test_checkpoint_records_the_head_and_matches(store, tmp_path):
    fill(store, 4)
    cp = write_checkpoint(store, tmp_path / "cp")
    assert (cp.count, cp.head_id) == (4, 4)
    fill(store, 2)
    write_checkpoint(store, tmp_path / "cp")
    checkpoints, problems = _check(store, tmp_path / "cp")
    assert [c.count for c in checkpoints] == [4, 6] and problems == []
    assert (tmp_path / "cp" / FILE_NAME).stat().st_mode & 0o777 == 0o600


def test_truncation_is_detected(store, tmp_path):
    fill(store, 5)
    write_checkpoint(store, tmp_path / "cp")
    delete_tail(store, 3)
    assert _check(store, tmp_path / "cp")[1] == [(5, "truncated")]


def test_full_deletion_is_detected(store, tmp_path):
    fill(store, 5)
    write_checkpoint(store, tmp_path / "cp")
    delete_everything(store)
    assert _check(store, tmp_path / "cp")[1] == [(5, "truncated")]


def test_recomputation_with_the_key_is_caught_by_the_checkpoint(store, tmp_path):
    fill(store, 5, deny_at=2)
    write_checkpoint(store, tmp_path / "cp")
    flip_deny_to_allow(store)
    recompute(store, key=store.audit_key.get())
    assert _check(store, tmp_path / "cp")[1] == [(5, "rewritten")]


def test_forged_or_changed_checkpoint_lines_are_reported(store, tmp_path):
    fill(store, 5)
    write_checkpoint(store, tmp_path / "cp")
    path = tmp_path / "cp" / FILE_NAME
    line = path.read_text()
    path.write_text(line + line.replace('"count": 5', '"count": 3') + "not json\n")
    checkpoints, problems = _check(store, tmp_path / "cp")
    assert len(checkpoints) == 1 and problems == [(2, "checkpoint_bad"), (3, "checkpoint_bad")]


def test_truncation_behind_many_checkpoints_is_one_finding(store, tmp_path):
    for _ in range(3):
        fill(store, 2)
        write_checkpoint(store, tmp_path / "cp")
    delete_tail(store, 1)
    assert _check(store, tmp_path / "cp")[1] == [(6, "truncated")]
