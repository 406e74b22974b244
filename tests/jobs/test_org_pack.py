"""An organisation copies the default pack, changes a threshold and uses its own version."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.monitoring import read_flags
from kizashi.domain.vocabulary import Purpose
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.store.errors import NotFound
from kizashi.store.models import Flag, RulePack, User

from ..demo_cache import built_demo


def _actor(store, login):
    with store.session() as s:
        return Actor.from_user(s.execute(select(User).where(User.login == login)).scalar_one())


def test_export_edit_install_run(cli, store, settings, tmp_path):
    built_demo(store, settings, businesses=40, seed=11)
    out = tmp_path / "bank1.yaml"
    assert cli("rules", "export", "--out", str(out)).exit_code == 0
    text = out.read_text("utf-8")
    assert "id: kizashi.default" in text
    # The bank is stricter about liquidity: 2 months of sales instead of 1.
    mine = (
        text.replace("id: kizashi.default", "id: bank-demo-1.watchpoints")
        .replace('version: "2026.5.0"', 'version: "2026.2"')
        .replace("liquidity_min_months: {value: 1.0", "liquidity_min_months: {value: 2.0")
    )
    out.write_text(mine, "utf-8")
    assert cli("rules", "lint", str(out)).exit_code == 0
    r = cli("rules", "install", str(out), "--org", "bank-demo-1", "--as", "bank1")
    assert r.exit_code == 0, r.output
    r = cli("rules", "install", str(out), "--org", "bank-demo-1", "--as", "bank1")
    assert r.exit_code == 1 and "already installed" in r.output
    r = cli("rules", "install", str(out), "--org", "bank-demo-1", "--as", "bank2")
    assert r.exit_code == 1  # another bank's officer
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        mine.replace('version: "2026.2"', 'version: "2026.3"').replace(
            "condition: months_since(delinquency_events > 0) < recent_event_months",
            "condition: months_since(delinquency_events > 0) < nope_param",
        ),
        "utf-8",
    )
    r = cli("rules", "install", str(broken), "--org", "bank-demo-1", "--as", "bank1")
    assert r.exit_code == 1 and "line " in r.output and "nothing was installed" in r.output

    runs = run_monitoring_job(store, settings)
    refs = {r.pack_ref: r for r in runs}
    assert set(refs) == {"kizashi.default@2026.5.0", "bank-demo-1.watchpoints@2026.2"}
    assert refs["bank-demo-1.watchpoints@2026.2"].businesses < 40  # only businesses it may monitor
    with store.session() as s:
        own = (
            s.execute(select(Flag).where(Flag.pack_ref == "bank-demo-1.watchpoints@2026.2"))
            .scalars()
            .all()
        )
        liq_default = (
            s.execute(
                select(Flag.business_id).where(
                    Flag.pack_ref == "kizashi.default@2026.5.0",
                    Flag.rule_id == "cash.low_liquidity",
                )
            )
            .scalars()
            .all()
        )
        liq_own = (
            s.execute(
                select(Flag.business_id).where(
                    Flag.pack_ref == "bank-demo-1.watchpoints@2026.2",
                    Flag.rule_id == "cash.low_liquidity",
                )
            )
            .scalars()
            .all()
        )
        assert s.execute(
            select(RulePack.active).where(RulePack.pack_id == "bank-demo-1.watchpoints")
        ).scalar_one()
    assert own
    # A stricter threshold flags every business the default flags (within its scope), and more.
    scope = {f.business_id for f in own} | set(liq_own)
    assert set(liq_default) & scope <= set(liq_own)
    # The bank's own flags are its own: bank2 (with consent) sees default flags only.
    bid = next(f.business_id for f in own if f.is_open)  # read_flags shows open flags
    today = date(2026, 9, 30)
    with store.session() as s:
        mine_views = read_flags(s, _actor(store, "bank1"), bid, Purpose.MONITORING, today=today)
    assert any(v.pack_ref == "bank-demo-1.watchpoints@2026.2" for v in mine_views)
    for login in ("bank2", "bank3", "hosho"):
        try:
            with store.session() as s:
                views = read_flags(s, _actor(store, login), bid, Purpose.MONITORING, today=today)
        except NotFound:
            continue
        assert all(v.pack_ref == "kizashi.default@2026.5.0" for v in views)
