"""``kizashi model weight|jobs|run-job`` (Japanese output): an organisation's weighting, shown,
changed and reset (audited, its administrator or the operator with --org); a training job
requested as the page does, run by ``run-job`` in the foreground."""

from __future__ import annotations

import re

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.risk_admin import do_request_training
from kizashi.store.models import AuditEvent, User
from tests.world import make_world

LATIN = re.compile(r"[A-Za-z]{3,}")


def _world(store):  # type: ignore[no-untyped-def]
    with store.session() as s:
        make_world(s)


def test_weight_show_set_reset(cli, store):  # type: ignore[no-untyped-def]
    _world(store)
    out = cli("model", "weight", "--as", "a_admin")
    assert out.exit_code == 0 and "リスクスコア 50%、ルール 50%(既定値)" in out.output
    out = cli("model", "weight", "--set", "80", "--as", "a_admin")
    assert out.exit_code == 0 and "リスクスコア 80%、ルール 20%(組織の設定)" in out.output
    # the operator names the organisation; another organisation's weight is its own
    out = cli("model", "weight", "--org", "cgc")
    assert "リスクスコア 50%" in out.output
    refused = cli("model", "weight", "--set", "10", "--as", "a_officer")
    assert refused.exit_code == 1 and "権限がありません" in refused.output
    assert cli("model", "weight", "--set", "101", "--as", "a_admin").exit_code != 0
    out = cli("model", "weight", "--reset", "--as", "a_admin")
    assert "リスクスコア 50%" in out.output and "既定値" in out.output
    assert cli("model", "weight").exit_code == 1  # the operator must name an organisation
    for o in (out.output, refused.output):
        assert not LATIN.search(o), o
    with store.session() as s:
        actions = list(
            s.execute(
                select(AuditEvent.action).where(AuditEvent.action.like("%risk_weight"))
            ).scalars()
        )
    assert actions.count("set_risk_weight") >= 2 and "reset_risk_weight" in actions


def test_a_requested_job_runs_and_fails_in_words(cli, store):  # type: ignore[no-untyped-def]
    _world(store)
    with store.session() as s:
        admin = s.execute(select(User).where(User.login == "a_admin")).scalar_one()
        job = do_request_training(s, Actor.from_user(admin), test_months=3)
        job_id = job.id
    out = cli("model", "run-job", str(job_id))
    assert out.exit_code == 1 and "学習できません" in out.output
    listed = cli("model", "jobs")
    assert listed.exit_code == 0 and "失敗" in listed.output
    again = cli("model", "run-job", str(job_id))  # no longer queued: not run twice
    assert again.exit_code == 1 and "待機中ではありません" in again.output
    assert cli("model", "jobs", "--as", "a_officer").exit_code == 1
