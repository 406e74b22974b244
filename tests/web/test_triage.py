"""The triage queue over the web: capacities set by the administrator, the queue's proposal and
reason, one-click assignment within capacity (409 beyond it), and CSV/.xlsx downloads that carry
exactly the rows the API lists."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from kizashi.actions.organisations import do_add_user
from kizashi.domain.vocabulary import Role
from kizashi.store.models import AuditEvent, Organisation, User

from .conftest import PASSWORD, SYSTEM, login


def _team(store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with store.session() as s:
        cgc = s.execute(select(Organisation).where(Organisation.code == "cgc")).scalar_one()
        ids = {}
        for name, role in (("cgc_admin", Role.ADMIN), ("cgc_officer2", Role.OFFICER)):
            u = do_add_user(
                s, SYSTEM, org=cgc, login=name, password=PASSWORD, display_name=name, role=role
            )
            ids[name] = u.id
        ids["cgc_officer"] = s.execute(
            select(User.id).where(User.login == "cgc_officer")
        ).scalar_one()
        return ids


def _token(client) -> str:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/me").json()["csrf_token"]


def test_capacity_queue_assignment_and_exports(client, store, web_world):  # type: ignore[no-untyped-def]
    ids = _team(store)
    period = f"{date.today():%Y-%m}"
    # an officer may not set capacities (audited refusal)
    login(client, "cgc_officer")
    r = client.put(
        f"/api/v1/admin/users/{ids['cgc_officer']}/capacity",
        json={"per_month": 5},
        headers={"X-CSRF-Token": _token(client)},
    )
    assert r.status_code == 404
    client.post("/logout", headers={"X-CSRF-Token": _token(client)})
    client.cookies.clear()
    login(client, "cgc_admin")
    tok = _token(client)
    for who, n in (("cgc_officer", 0), ("cgc_officer2", 1)):
        r = client.put(
            f"/api/v1/admin/users/{ids[who]}/capacity",
            json={"per_month": n},
            headers={"X-CSRF-Token": tok},
        )
        assert r.status_code == 200, r.text
    assert "cgc_officer2" in client.get("/admin/users").text
    client.cookies.clear()

    login(client, "cgc_officer")
    tok = _token(client)
    q = client.get(f"/api/v1/triage?period={period}").json()
    row = next(i for i in q["items"] if i["business_id"] == web_world.business_id)
    # only officer 2 has capacity: the business is proposed to them, with the reason in words
    assert row["status"] == "proposed" and row["officer_user_id"] == ids["cgc_officer2"]
    assert "手元資金が月商1か月分未満" in row["reason"] and "保証割合 80%" in row["reason"]
    loads = {o["user_id"]: o for o in q["officers"]}
    assert loads[ids["cgc_officer"]]["proposed"] == 0

    # over capacity: officer 1 has none
    r = client.post(
        f"/api/v1/businesses/{web_world.business_id}/triage-assignment",
        json={
            "officer_user_id": ids["cgc_officer"],
            "period": period,
        },
        headers={"X-CSRF-Token": tok},
    )
    assert r.status_code == 409
    r = client.post(
        f"/api/v1/businesses/{web_world.business_id}/triage-assignment",
        json={
            "officer_user_id": ids["cgc_officer2"],
            "period": period,
        },
        headers={"X-CSRF-Token": tok},
    )
    assert r.status_code == 200, r.text
    q = client.get(f"/api/v1/triage?period={period}").json()
    row = next(i for i in q["items"] if i["business_id"] == web_world.business_id)
    assert row["status"] == "assigned"
    loads = {o["user_id"]: o for o in q["officers"]}
    assert loads[ids["cgc_officer2"]]["left"] == 0 and loads[ids["cgc_officer2"]]["assigned"] == 1
    with store.session() as s:
        actions = set(
            s.execute(
                select(AuditEvent.action).where(
                    AuditEvent.action.in_(["assign_triage", "set_staff_capacity"])
                )
            ).scalars()
        )
    assert actions == {"assign_triage", "set_staff_capacity"}

    # the downloads carry exactly the API's rows (Japanese headers for a Japanese user)
    api_rows = [[i["rank"], i["business_id"], i["name"], i["reason"]] for i in q["items"]]
    body = client.get(f"/api/v1/triage?period={period}&format=csv").content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert table[0][:3] == ["順位", "事業者ID", "事業者名"]
    assert [[int(r[0]), int(r[1]), r[2], r[6]] for r in table[1:]] == api_rows
    page_csv = client.get(f"/triage/export.csv?period={period}").content.decode("utf-8-sig")
    assert page_csv == body
    wb = load_workbook(io.BytesIO(client.get(f"/triage/export.xlsx?period={period}").content))
    ws = wb.active
    cells = [list(r) for r in ws.iter_rows(values_only=True)]
    assert [[r[0], r[1], r[2], r[6]] for r in cells[1:]] == api_rows
    res = client.get(f"/triage?period={period}")
    page = res.text
    assert res.status_code == 200, page[page.find("<main") :][:2000]
    assert web_world.business_name in page and "割当済" in page, page[page.find("<main") :][:3000]


def test_page_assigns_in_one_click(client, store, web_world):  # type: ignore[no-untyped-def]
    ids = _team(store)
    period = f"{date.today():%Y-%m}"
    login(client, "cgc_admin")
    page = client.get("/admin/users").text
    import re

    tok = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post(
        f"/admin/users/{ids['cgc_officer']}/capacity", data={"per_month": "2", "csrf_token": tok}
    )
    assert r.status_code == 303
    client.cookies.clear()
    login(client, "cgc_officer")
    page = client.get("/triage").text
    tok = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post(
        f"/businesses/{web_world.business_id}/triage/assign",
        data={
            "officer_user_id": str(ids["cgc_officer"]),
            "period": period,
            "csrf_token": tok,
        },
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert f'id="b{web_world.business_id}" data-status="assigned"' in page


def test_a_business_in_an_open_case_leaves_the_queue(client, store, web_world):  # type: ignore[no-untyped-def]
    from kizashi.access import Actor
    from kizashi.actions.cases import do_open_case
    from kizashi.domain.support import SupportType
    from kizashi.domain.vocabulary import Purpose

    login(client, "cgc_officer")
    ids = [i["business_id"] for i in client.get("/api/v1/triage").json()["items"]]
    assert web_world.business_id in ids
    with store.session() as s:
        officer = s.execute(select(User).where(User.login == "cgc_officer")).scalar_one()
        case = do_open_case(
            s,
            Actor.from_user(officer),
            business_id=web_world.business_id,
            purpose=Purpose.MONITORING,
            support_type=SupportType.IMPROVEMENT,
        )
        case_id = case.id
    ids = [i["business_id"] for i in client.get("/api/v1/triage").json()["items"]]
    assert web_world.business_id not in ids, case_id
