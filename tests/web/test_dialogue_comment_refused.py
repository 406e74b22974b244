"""An empty comment on a meeting record is refused on the page it was written on — the case
page (officer) and the shared records page (owner) — in the page's language, and nothing is
saved (before, the page redirected with 「保存しました」 as if it had been)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from kizashi.store.models import AuditEvent

from .conftest import csrf_from, login, snapshot
from .test_refusal_pages import _alert


def _refusals(store) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        q = select(func.count()).where(
            AuditEvent.action == "comment_dialogue", AuditEvent.decision == "deny"
        )
        return s.execute(q).scalar_one()


SAID = {"ja": "コメントを入力してください", "en": "Please enter a comment."}


def _shared_dialogue(client, w) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """An officer's case with one meeting record shared with the owner (through the API)."""
    login(client, "cgc_officer")
    h = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
    r = client.post(
        f"/api/v1/businesses/{w.business_id}/cases",
        json={"support_type": "improvement", "flag_ids": [w.flag_id], "purpose": "monitoring"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["row"]["id"]
    r = client.post(
        f"/api/v1/cases/{case_id}/dialogues",
        json={
            "held_on": date.today().isoformat(),
            "channel": "visit",
            "topics": "資金繰りの見通し",
            "shared_with_owner": True,
            "purpose": "monitoring",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    return case_id, r.json()["id"]


def _comment(client, page: str, dialogue_id: int, body: str):  # type: ignore[no-untyped-def]
    html = client.get(page).text
    return client.post(
        f"/dialogues/{dialogue_id}/comments",
        data={
            "csrf_token": csrf_from(html),
            "purpose": "monitoring",
            "back": page.split("?")[0],
            "body": body,
        },
    )


def test_an_empty_comment_is_refused_where_it_was_written(client, store, web_world):  # type: ignore[no-untyped-def]
    case_id, dialogue_id = _shared_dialogue(client, web_world)
    pages = {
        "cgc_officer": f"/cases/{case_id}",
        "owner": f"/businesses/{web_world.business_id}/dialogues",
    }
    for who, page in pages.items():
        client.cookies.clear()
        login(client, who)
        for lang in ("ja", "en"):
            assert client.get(f"{page}?lang={lang}&purpose=monitoring").status_code == 200
            before, refused = snapshot(store), _refusals(store)
            r = _comment(client, f"{page}?purpose=monitoring", dialogue_id, "   ")
            assert r.status_code == 409, (who, lang, r.status_code, r.headers)
            assert _alert(r.text) == SAID[lang], (who, lang)
            assert 'role="status"' not in r.text  # no 「保存しました」
            assert snapshot(store) == before  # nothing saved
            assert _refusals(store) == refused + 1  # the refusal is audited
        # a real comment is still saved and said so
        r = _comment(client, f"{page}?purpose=monitoring", dialogue_id, f"{who} のコメント")
        assert r.status_code == 303 and "saved=1" in r.headers["location"]
        assert f"{who} のコメント" in client.get(f"{page}?purpose=monitoring").text
