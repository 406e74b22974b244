"""`kizashi audit verify` finds each way of rewriting the audit log, and refuses no data."""

from __future__ import annotations

import pytest

from kizashi.store.audit_key import AuditKey
from tests.store.audit_attacks import (
    delete_everything,
    delete_tail,
    fill,
    flip_deny_to_allow,
    recompute,
)


@pytest.fixture
def sealed(cli, store, tmp_path):
    """Six events, one of them a denial, and a checkpoint outside the database."""
    (tmp_path / "data").mkdir()
    fill(store, 6, deny_at=4)
    r = cli("audit", "checkpoint")
    assert r.exit_code == 0, r.output
    assert "チェックポイントを記録しました: イベント 6 件" in r.output
    return store


def _verify_fails(cli, *expected: str) -> str:
    r = cli("audit", "verify")
    out = r.output.replace("\n", "")
    assert r.exit_code == 1, out
    assert "監査ログの改ざんまたは欠落を検出しました" in out
    for text in expected:
        assert text in out
    assert "error" not in out.lower() and "event " not in out  # Japanese only
    return out


def test_intact_log_verifies(cli, sealed):
    r = cli("audit", "verify")
    assert r.exit_code == 0, r.output
    out = r.output.replace("\n", "")
    assert "監査ログは無傷です: イベント 6 件を検証し、チェックポイント 1 件と一致しました" in out


def test_deleted_tail_is_detected(cli, sealed):
    delete_tail(sealed, 3)
    _verify_fails(cli, "チェックポイントにはイベント 6 件", "3 件しかありません")


def test_deny_flipped_and_recomputed_without_the_key_is_detected(cli, sealed):
    flip_deny_to_allow(sealed)
    recompute(sealed, key=None)
    _verify_fails(cli, "鍵のない旧形式", "チェックポイントに記録されたハッシュと異なります")


def test_deny_flipped_and_recomputed_with_the_key_is_caught_by_the_checkpoint(cli, sealed):
    flip_deny_to_allow(sealed)
    recompute(sealed, key=sealed.audit_key.get())
    _verify_fails(cli, "イベント 6: チェックポイントに記録されたハッシュと異なります")


def test_recomputed_with_a_guessed_key_is_detected(cli, sealed):
    flip_deny_to_allow(sealed)
    recompute(sealed, key=AuditKey(b"guessed-key-guessed-key-guessed-key"))
    _verify_fails(cli, "イベント 1: 内容が鍵付きハッシュと一致しません")


def test_everything_deleted_is_detected(cli, sealed):
    delete_everything(sealed)
    _verify_fails(cli, "チェックポイントにはイベント 6 件", "0 件しかありません")


def test_changed_row_is_detected(cli, sealed):
    from sqlalchemy import update

    from kizashi.store.models import AuditEvent

    with sealed.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 4).values(decision="allow"))
    _verify_fails(cli, "イベント 4: 内容が鍵付きハッシュと一致しません")


def test_without_checkpoints_verify_warns(cli, store, tmp_path):
    (tmp_path / "data").mkdir()
    fill(store, 2)
    r = cli("audit", "verify")
    assert r.exit_code == 0, r.output
    assert "外部チェックポイントがありません" in r.output.replace("\n", "")


def test_missing_data_directory_is_refused(cli, store, tmp_path, monkeypatch):
    from kizashi.cli import context

    missing = tmp_path / "nowhere"
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(missing))
    monkeypatch.delenv("KIZASHI_DATABASE_URL")
    context.settings.cache_clear()
    r = cli("audit", "verify")
    assert r.exit_code == 1
    assert "データディレクトリ" in r.output and "ありません" in r.output
    assert not missing.exists()  # nothing created


def test_missing_database_is_refused(cli, store, tmp_path, monkeypatch):
    from kizashi.cli import context

    (tmp_path / "data").mkdir()
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KIZASHI_DATABASE_URL")
    context.settings.cache_clear()
    r = cli("audit", "verify")
    assert r.exit_code == 1 and "データベース" in r.output
    assert not (tmp_path / "data" / "kizashi.db").exists()


def test_missing_key_file_is_refused(cli, store, tmp_path, monkeypatch):
    from kizashi.cli import context

    (tmp_path / "data").mkdir()
    monkeypatch.delenv("KIZASHI_AUDIT_KEY")
    context.settings.cache_clear()
    r = cli("audit", "verify")
    assert r.exit_code == 1 and "監査鍵" in r.output
    assert not (tmp_path / "data" / "audit_key").exists()


def test_reseal_turns_a_legacy_log_into_a_keyed_one(cli, store, tmp_path):
    (tmp_path / "data").mkdir()
    fill(store, 3)
    recompute(store, key=None)  # written by kizashi before the key existed
    r = cli("audit", "verify")
    assert r.exit_code == 1 and "イベント 1 から 3 件: 鍵のない旧形式" in r.output.replace("\n", "")
    r = cli("audit", "reseal")
    assert r.exit_code == 0 and "旧形式のイベント 3 件" in r.output, r.output
    r = cli("audit", "verify")
    assert r.exit_code == 0 and "イベント 4 件を検証" in r.output.replace("\n", ""), r.output


def test_key_rotation_reseals_under_the_new_key(cli, sealed, tmp_path, monkeypatch):
    from kizashi.cli import context
    from tests.conftest import TEST_AUDIT_KEY

    old = tmp_path / "audit_key.old"
    old.write_text(TEST_AUDIT_KEY)
    new_key = "a-brand-new-audit-key-0123456789abcdef"
    monkeypatch.setenv("KIZASHI_AUDIT_KEY", new_key)
    context.settings.cache_clear()
    r = cli("audit", "verify")
    assert r.exit_code == 1  # the new key does not verify the old chain yet
    r = cli("audit", "reseal", "--old-key-file", str(old))
    assert r.exit_code == 0, r.output
    assert "イベント 6 件を新しい監査鍵で封印し直しました" in r.output
    r = cli("audit", "verify")
    assert r.exit_code == 0, r.output
    assert "イベント 7 件を検証し、チェックポイント 1 件と一致しました" in r.output.replace(
        "\n", ""
    )
    monkeypatch.setenv("KIZASHI_AUDIT_KEY", TEST_AUDIT_KEY)
    context.settings.cache_clear()
    assert cli("audit", "verify").exit_code == 1  # the old key no longer verifies anything


def test_key_rotation_refuses_a_tampered_chain(cli, sealed, tmp_path, monkeypatch):
    from kizashi.cli import context
    from tests.conftest import TEST_AUDIT_KEY

    flip_deny_to_allow(sealed)
    old = tmp_path / "audit_key.old"
    old.write_text(TEST_AUDIT_KEY)
    monkeypatch.setenv("KIZASHI_AUDIT_KEY", "a-brand-new-audit-key-0123456789abcdef")
    context.settings.cache_clear()
    r = cli("audit", "reseal", "--old-key-file", str(old))
    assert r.exit_code == 1 and "封印し直せません" in r.output
