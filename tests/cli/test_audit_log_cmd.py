"""``kizashi audit log`` (filters, CSV, an auditor's scope) and ``kizashi user list``."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from kizashi.access import access_business_by_id
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent
from tests.web.japanese_only import latin_words
from tests.world import make_world


@pytest.fixture
def world(cli, store, tmp_path):
    (tmp_path / "data").mkdir(exist_ok=True)
    with store.session() as s:
        w = make_world(s)
    # a read refused to bank A's officer and one to bank B's (no consent in the bare world)
    for who in ("a_officer", "b_officer"):
        try:
            with store.session() as s:
                access_business_by_id(
                    s, w.actors[who], w.business.id, Category.FINANCIALS, Purpose.MONITORING
                )
        except NotFound:
            pass
    return w


def _ok(cli, *args: str) -> str:
    r = cli(*args)
    assert r.exit_code == 0, r.output
    return r.output


def test_the_operator_lists_and_filters_everything(cli, store, world) -> None:
    out = _ok(cli, "audit", "log", "--limit", "500")
    with store.session() as s:
        total = len(s.execute(select(AuditEvent.id)).all())
    assert f"監査ログ {total - 1:,} 件" in out  # the listing itself is the newest event
    refused = _ok(cli, "audit", "log", "--person", "b_officer").replace("\n", "")
    assert "拒否" in refused and "b_officer" in refused
    assert "データの閲覧" in refused
    assert latin_words(refused, {"b_officer"}) == [], refused


def test_an_auditor_sees_their_organisation_only(cli, world) -> None:
    out = _ok(cli, "audit", "log", "--as", "a_auditor", "--limit", "500")
    assert "a_officer" in out and "b_officer" not in out
    r = cli("audit", "log", "--as", "a_officer")
    assert r.exit_code == 1 and "監査担当の利用者だけ" in r.output


def test_csv_export(cli, world, tmp_path) -> None:
    text = _ok(cli, "audit", "log", "--csv", "--as", "a_auditor", "--person", "a_officer")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {r["login"] for r in rows} == {"a_officer"}
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)
    target = tmp_path / "audit.csv"
    out = _ok(cli, "audit", "log", "--csv", "--output", str(target), "--action", "add_user")
    assert "書き出しました" in out
    written = list(csv.DictReader(io.StringIO(target.read_text("utf-8"))))
    assert written and {r["action"] for r in written} == {"add_user"}


def test_a_bad_date_is_named(cli, world) -> None:
    r = cli("audit", "log", "--since", "2026-13-01")
    assert r.exit_code == 1 and "--since" in r.output and "2026-13-01" in r.output


def test_user_list(cli, world) -> None:
    out = _ok(cli, "user", "list", "--org", "bank-a")
    assert "A銀行 の利用者 3 人" in out
    for login in ("a_officer", "a_admin", "a_auditor"):
        assert login in out
    assert "管理者" in out and "監査担当" in out and "未ログイン" in out
    r = cli("user", "list", "--org", "nowhere")
    assert r.exit_code == 1 and "nowhere" in r.output
