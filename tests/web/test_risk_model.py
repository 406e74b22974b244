"""The risk score on the API and the business page, and the administrator's model pages.

A small model (fitted here on synthetic numbers, saved as a version) and two months of scores in
the analytics file stand in for ``kizashi model train`` and a monitoring run (tested in
tests/jobs/test_risk_model.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.access.org_models import active_model
from kizashi.model import registry
from kizashi.model.features import catalogue
from kizashi.model.fit import fit_model
from kizashi.settings import Settings
from kizashi.store.analytics import analytics_path
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent, User
from kizashi.store.risk_scores import write_scores

from .conftest import WebWorld, csrf_from, login
from .japanese_only import latin_words, visible_text

NAMES = tuple(f.id for f in catalogue())


def _version(data_dir: Path, owner_org_id: int | None = None) -> str:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(3000, len(NAMES)))
    y = (X[:, NAMES.index("flags_high")] > 1).astype(float)
    model = fit_model(X, y, NAMES, baseline=False)
    model.meta = {"cutoff": "2025-03", "metrics": {}}
    return registry.save_model(data_dir, model, owner_org_id=owner_org_id)


def _org_of(store: Store, login_name: str) -> int:
    with store.session() as s:
        return int(s.execute(select(User.org_id).where(User.login == login_name)).scalar_one())


def _active(store: Store, data_dir: Path, org_id: int) -> str | None:
    with store.session() as s:
        current = active_model(s, data_dir, org_id)
    return current.version if current else None


def _score(data_dir: Path, version: str, business_id: int, other: int) -> None:
    analytics_path(data_dir).parent.mkdir(parents=True, exist_ok=True)
    for month, p in ((date(2026, 8, 1), 0.05), (date(2026, 9, 1), 0.08)):
        rows = {
            "business_id": [business_id, other],
            "peer_group": ["g", "g"],
            "probability": [p, 0.02],
            "rule_priority": [4.0, 0.0],
            "triage": [90.0, 10.0],
            "flags_critical": [0.0, 0.0],
            "flags_high": [3.0, 0.0],
            "flags_medium": [0.0, 0.0],
            "flags_low": [0.0, 0.0],
            "flags_credit": [0.0, 0.0],
            "max_dpd_3m": [0.0, 0.0],
        }
        write_scores(analytics_path(data_dir), version, month, pa.table(rows))


@pytest.fixture
def scored(settings: Settings, web_world: WebWorld) -> str:
    version = _version(settings.data_dir)
    registry.set_active(settings.data_dir, version, "test")
    _score(settings.data_dir, version, web_world.business_id, web_world.other_business_id)
    return version


def test_api_gives_probability_peer_median_change_and_reasons(
    client: TestClient, web_world: WebWorld, scored: str
) -> None:
    login(client, "cgc_officer")
    r = client.get(f"/api/v1/businesses/{web_world.business_id}/risk")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scored"] and body["model_version"] == scored
    assert body["probability"] == pytest.approx(0.08) and body["as_of"] == "2026-09-30"
    assert body["peer_median"] == pytest.approx(0.05) and body["change"] == pytest.approx(0.03)
    assert 1 <= len(body["reasons"]) <= 5
    top = body["reasons"][0]
    assert top["feature"] == "flags_high" and top["contribution"] > 0
    assert "未対応の予兆フラグ(重要度 高)が3件" in top["text"]
    assert "与信の判断には使いません" in body["note"]
    en = client.get(f"/api/v1/businesses/{web_world.business_id}/risk?lang=en").json()
    assert en["reasons"][0]["text"].startswith("Open flags (high) is 3")
    # no consent from the other business: the same 404 as a missing one
    assert client.get(f"/api/v1/businesses/{web_world.other_business_id}/risk").status_code == 404


def test_no_active_model_says_so(client: TestClient, web_world: WebWorld) -> None:
    login(client, "cgc_officer")
    body = client.get(f"/api/v1/businesses/{web_world.business_id}/risk").json()
    assert body["scored"] is False and body["probability"] is None


def test_business_page_shows_the_score_to_institutions_only(
    client: TestClient, app, web_world: WebWorld, scored: str
) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    page = client.get(f"/businesses/{web_world.business_id}")
    assert page.status_code == 200
    assert 'id="risk"' in page.text and "8.0%" in page.text
    assert "与信の判断には使いません" in page.text and "同業の中央値: 5.0%" in page.text
    assert 'data-feature="flags_high"' in page.text
    owner = TestClient(app, follow_redirects=False)
    login(owner, "owner")
    mine = owner.get(f"/businesses/{web_world.business_id}")
    assert mine.status_code == 200 and 'id="risk"' not in mine.text


def test_admin_pages_and_api_list_show_and_activate(
    client: TestClient, app, store: Store, settings: Settings, web_world: WebWorld
) -> None:  # type: ignore[no-untyped-def]
    org = _org_of(store, "a_admin")
    first = _version(settings.data_dir, org)  # the administrator's organisation's versions
    second = registry.save_model(
        settings.data_dir, registry.load_model(settings.data_dir, first), owner_org_id=org
    )
    login(client, "a_admin")
    page = client.get("/admin/models")
    assert page.status_code == 200
    assert f'data-version="{first}"' in page.text and f'data-version="{second}"' in page.text
    assert "与信の判断には使いません" in page.text
    shown = visible_text(page.text).replace(first, "").replace(second, "")
    # measure names and the command line are what a Japanese reader is shown on purpose
    assert not latin_words(shown, {"AUC", "Brier", "model", "train", "a_admin"})
    r = client.post(f"/admin/models/{first}/activate", data={"csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    assert _active(store, settings.data_dir, org) == first
    assert registry.active_version(settings.data_dir) is None  # the shared pointer: untouched
    card = client.get(f"/admin/models?version={first}")
    assert "モデルカード" in card.text and "限界" in card.text

    token = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
    listed = client.get("/api/v1/admin/models").json()
    assert [m["version"] for m in listed] == [second, first] and listed[1]["active"]
    detail = client.get(f"/api/v1/admin/models/{second}?lang=en").json()
    assert "Limits" in detail["card"] and detail["active"] is False
    r = client.post(f"/api/v1/admin/models/{second}/activate", headers=token)
    assert r.status_code == 200 and r.json() == {"version": second, "previous": first}
    assert (
        client.post("/api/v1/admin/models/v20990101-000000/activate", headers=token).status_code
        == 404
    )
    with store.session() as s:
        acts = (
            s.execute(
                select(AuditEvent.object_id).where(AuditEvent.action == "risk_model_activated")
            )
            .scalars()
            .all()
        )
    assert set(acts) == {first, second}

    # an officer (not an administrator) gets nothing and changes nothing
    officer = TestClient(app, follow_redirects=False)
    login(officer, "a_officer")
    assert officer.get("/admin/models").status_code == 404
    assert officer.get("/api/v1/admin/models").status_code == 404
    tok = {"X-CSRF-Token": officer.get("/api/v1/me").json()["csrf_token"]}
    assert officer.post(f"/api/v1/admin/models/{first}/activate", headers=tok).status_code == 404
    assert _active(store, settings.data_dir, org) == second
