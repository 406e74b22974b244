"""The business page is audited as one event naming the sections read; a refused section is its
own ``deny`` event; a refused page (the business itself not visible) is one ``deny`` event."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.store.db import Store
from kizashi.store.models import AuditEvent

from .conftest import WebWorld, login


def _events_after(store: Store, last_id: int) -> list[AuditEvent]:
    with store.session() as s:
        return list(
            s.execute(select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id))
            .scalars()
            .all()
        )


def _last_id(store: Store) -> int:
    with store.session() as s:
        return s.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()


def test_page_is_one_event_naming_its_sections(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    """The guarantor may read every section: one ``allow`` event, every section named."""
    login(client, "cgc_officer")
    before = _last_id(store)
    assert client.get(f"/businesses/{web_world.business_id}").status_code == 200
    events = _events_after(store, before)
    assert [(e.action, e.decision) for e in events] == [("read_business_page", "allow")]
    page = events[0]
    assert page.business_id == web_world.business_id and page.purpose == "monitoring"
    sections = json.loads(page.detail)["sections"]
    assert [s["action"] for s in sections] == [
        "read",
        "read_financials",
        "read_loans",
        "read_flags",
        "read_indicators",
        "read_risk",
    ]
    assert set(page.category.split(",")) == {"profile", "financials", "loans", "flags"}
    assert all(s["reason"].startswith("consent grant") for s in sections)


def test_refused_section_is_its_own_deny_event(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    """Bank A has no flags consent: that section is refused on its own, the rest is one event."""
    login(client, "a_officer")
    before = _last_id(store)
    assert client.get(f"/businesses/{web_world.business_id}").status_code == 200
    events = _events_after(store, before)
    assert [(e.action, e.decision, e.category) for e in events] == [
        ("read_flags", "deny", "flags"),
        ("read_business_page", "allow", "profile,financials,loans"),
    ]
    sections = json.loads(events[1].detail)["sections"]
    assert "read_flags" not in {s["action"] for s in sections}
    assert {s["action"] for s in sections} == {
        "read",
        "read_financials",
        "read_loans",
        "read_indicators",
        "read_risk",
    }


def test_refused_page_is_one_deny_event(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(client, "c_officer")
    before = _last_id(store)
    assert client.get(f"/businesses/{web_world.business_id}").status_code == 404
    events = _events_after(store, before)
    assert [(e.action, e.decision, e.business_id) for e in events] == [
        ("read", "deny", web_world.business_id)
    ]
