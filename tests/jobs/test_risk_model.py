"""The risk model on a store: ``kizashi model train|list|activate|evaluate|card|explain|drift``,
the monitoring run's scores (with the model version) and the audit trail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.model import registry
from kizashi.store.models import AuditEvent
from kizashi.store.risk_scores import business_scores

from ..demo_cache import monitored_demo

ENGLISH = re.compile(r"\b(the|model|score|error|version|probability)\b", re.IGNORECASE)


@pytest.fixture
def demo(store, settings):
    monitored_demo(store, settings, businesses=150, seed=11)
    return settings


def test_train_activate_score_explain(cli, store, demo, tmp_path):
    data_dir = tmp_path / "data"
    out = cli("model", "train", "--test-months", "3")
    assert out.exit_code == 0, out.output
    version = re.search(r"版 (v\d{8}-\d{6})", out.output).group(1)
    assert "学習:" in out.output and "検証:" in out.output and "AUC" in out.output
    assert (data_dir / "models" / version / "card.ja.md").exists()
    card = cli("model", "card", version).output
    assert "データ期間" in card and "与信の判断には使いません" in card and "較正" in card
    assert "Data period" in cli("model", "card", version, "--lang", "en").output

    listed = cli("model", "list").output
    assert version in listed and not listed.startswith("*")
    assert cli("model", "activate", "v20990101-000000").exit_code == 1
    out = cli("model", "activate", version)
    assert out.exit_code == 0 and "有効にしました" in out.output
    assert cli("model", "list").output.startswith("*")
    assert registry.active_version(data_dir) == version

    run_monitoring_job(store, demo)  # the run scores with the active version
    rows = business_scores(data_dir, 1, version)
    assert rows and rows[0]["model_version"] == version
    assert 0.0 <= rows[0]["probability"] <= 1.0 and rows[0]["peer_median"] is not None
    assert rows[0]["model_org_id"] is None  # the deployment's model
    assert rows[0].get("triage") is None  # not stored: reads weigh it per organisation

    out = cli("model", "explain", "1", "--as", "owner1")
    assert out.exit_code == 0, out.output
    assert "12か月以内に重大な信用事象が起きる確率" in out.output
    reasons = [line for line in out.output.splitlines() if line.startswith("・")]
    assert 1 <= len(reasons) <= 5 and all("確率を押し" in r for r in reasons)
    assert "与信の判断には使いません" in out.output
    assert not ENGLISH.search(out.output.replace(version, ""))
    # another business's owner may not read it (and nothing is shown)
    refused = cli("model", "explain", "2", "--as", "owner1")
    assert refused.exit_code == 1 and "確率" not in refused.output

    drift = cli("model", "drift")
    assert drift.exit_code == 0 and "PSI" in drift.output
    assert cli("model", "evaluate").exit_code == 0

    with store.session() as s:
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert {"risk_model_trained", "risk_model_activated"} <= actions


def test_train_refuses_a_too_short_history(cli, store, demo):
    out = cli("model", "train", "--cutoff", "2023-01")
    assert out.exit_code == 1
    assert "学習できません" in out.output and "2023-01" in out.output
    assert not ENGLISH.search(out.output)
