"""Training from the admin page and the API: the job runs in its own process (it outlives the
request), the page and the API show its status, then the version's evaluation on the
time-ordered hold-out and its card; activation stays a separate audited step. A job whose
process died is given up; a second job waits for the first (409)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.jobs.demo_world import DEMO_PASSWORD
from kizashi.model import registry
from kizashi.settings import Settings
from kizashi.store.audit import verify_chain
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent, User
from kizashi.store.risk_admin_models import RiskModelActive, RiskModelJob
from kizashi.web.app import create_app

from ..demo_cache import monitored_demo
from .conftest import csrf_from, login


def _wait(client: TestClient, job_id: int, seconds: float = 600) -> dict[str, object]:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r = client.get(f"/api/v1/admin/model-jobs/{job_id}")
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in ("finished", "failed"):
            return job
        time.sleep(1)
    raise AssertionError(f"job {job_id} still {job['status']}")


@pytest.fixture
def demo_client(store: Store, settings: Settings) -> Iterator[TestClient]:
    monitored_demo(store, settings, businesses=150, seed=11)
    with TestClient(create_app(settings, store), follow_redirects=False) as c:
        yield c


def test_train_in_the_background_evaluate_and_activate(
    demo_client: TestClient, store: Store, settings: Settings
) -> None:
    client = demo_client
    login(client, "hosho-admin", DEMO_PASSWORD)
    page = client.get("/admin/models")
    assert page.status_code == 200 and 'id="train-form"' in page.text
    r = client.post(
        "/admin/model-jobs",
        data={"test_months": "3", "calibration": "auto", "csrf_token": csrf_from(page.text)},
    )
    assert r.status_code == 303 and "job=" in r.headers["location"]
    job_id = int(r.headers["location"].split("job=")[1].split("#")[0])
    # the request has returned; the job runs on: a second one waits (409)
    tok = client.get("/api/v1/me").json()["csrf_token"]
    busy = client.post(
        "/api/v1/admin/model-jobs", json={"test_months": 3}, headers={"X-CSRF-Token": tok}
    )
    job = _wait(client, job_id)
    assert busy.status_code == 409, busy.text
    assert job["status"] == "finished", job
    version = str(job["version"])
    assert version in {v["version"] for v in registry.list_versions(settings.data_dir)}
    assert registry.active_version(settings.data_dir) is None  # saved inactive

    ev = client.get(f"/api/v1/admin/models/{version}/evaluation").json()
    assert ev["version"] == version and ev["cutoff"] and ev["test"]["rows"] > 0
    model = ev["measures"]["model"]
    for k in ("auc", "pr_auc", "recall_top5", "recall_top10", "brier", "ece"):
        assert model[k] is not None and 0 <= model[k] <= 1, k
    assert {"logistic", "rules"} <= set(ev["measures"])
    assert ev["calibration"] and all(c["n"] > 0 for c in ev["calibration"])
    # time-ordered: the test months all come after the training months
    assert ev["train"]["last_month"] < ev["test"]["first_month"]

    page = client.get(f"/admin/models?version={version}")
    assert f'data-job="{job_id}" data-status="finished"' in page.text
    assert 'id="measures"' in page.text and 'id="calibration"' in page.text
    assert "上位5%での捕捉率" in page.text and "与信の判断には使いません" in page.text
    r = client.post(f"/admin/models/{version}/activate", data={"csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    # the guarantor's own model, active for the guarantor only (ADR 0010)
    assert registry.read_doc(settings.data_dir, version)["meta"]["owner_org_id"] is not None
    with store.session() as s:
        active = dict(s.execute(select(RiskModelActive.org_id, RiskModelActive.version)).all())
    assert list(active.values()) == [version]
    assert registry.active_version(settings.data_dir) is None
    with store.session() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.actor_user_id).where(
                AuditEvent.action.like("risk_model%")
            )
        ).all()
    actions = {a for a, _ in events}
    assert {
        "risk_model_training_requested",
        "risk_model_training_started",
        "risk_model_trained",
        "risk_model_activated",
    } <= actions
    assert len({u for _, u in events}) == 1  # all of them the administrator's
    with store.session() as s:  # the job's process sealed its events into the same chain
        checked, problems = verify_chain(s)
    assert checked > 0 and problems == []


def test_a_failed_job_says_why_and_a_dead_one_is_given_up(
    client: TestClient, store: Store, web_world: object
) -> None:
    login(client, "a_admin")
    tok = client.get("/api/v1/me").json()["csrf_token"]
    r = client.post("/api/v1/admin/model-jobs", json={}, headers={"X-CSRF-Token": tok})
    assert r.status_code == 202, r.text
    job = _wait(client, r.json()["id"], 120)
    assert job["status"] == "failed" and "学習できません" in str(job["error"])
    # a running job whose process is gone: given up when the jobs are read, and a new one may go
    with store.session() as s:
        org = s.execute(select(User.org_id).where(User.login == "a_admin")).scalar_one()
        s.add(
            RiskModelJob(
                org_id=org,  # the organisation's own jobs are listed to its administrator
                status="running",
                test_months=6,
                calibration="auto",
                requested_at=datetime.now(UTC),
                started_at=datetime.now(UTC),
                host=None,
                pid=2**22 + 12345,  # above the usual pid_max: no such process
            )
        )
    listed = client.get("/api/v1/admin/model-jobs").json()
    assert listed[0]["status"] == "failed" and "中断" in listed[0]["error"]
    r = client.post(
        "/api/v1/admin/model-jobs",
        json={"cutoff": "2099-01", "test_months": 2, "calibration": "platt"},
        headers={"X-CSRF-Token": tok},
    )
    assert r.status_code == 202, r.text
    assert _wait(client, r.json()["id"], 120)["status"] == "failed"
    bad = client.post(
        "/api/v1/admin/model-jobs", json={"test_months": 0}, headers={"X-CSRF-Token": tok}
    )
    assert bad.status_code == 422
    with store.session() as s:
        failed = s.execute(
            select(AuditEvent.detail).where(AuditEvent.action == "risk_model_training_failed")
        ).scalars()
        assert len([json.loads(d) for d in failed]) == 3


def test_only_a_bank_or_guarantor_administrator_trains(
    client: TestClient, store: Store, web_world: object
) -> None:
    login(client, "cgc_officer")
    tok = client.get("/api/v1/me").json()["csrf_token"]
    r = client.post("/api/v1/admin/model-jobs", json={}, headers={"X-CSRF-Token": tok})
    assert r.status_code == 404
    assert client.get("/api/v1/admin/model-jobs").status_code == 404
    with store.session() as s:
        assert s.execute(select(RiskModelJob)).first() is None
        assert s.execute(
            select(AuditEvent).where(
                AuditEvent.action == "train_risk_model", AuditEvent.decision == "deny"
            )
        ).first()
