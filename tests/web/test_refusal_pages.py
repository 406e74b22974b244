"""A refused write is said in the page's language: the rules' own words (``Refused``) in
Japanese on a Japanese page — no Latin word in the message — and in English on an English
page; never one "日本語 (English)" string. Walked: a report sent without recipients, a sent
report edited, a dialogue recorded on a closed case, 対応不要 without a reason, a plan without a
title."""

from __future__ import annotations

import re

from kizashi.access import Actor
from kizashi.actions.cases import do_close_case, do_open_case
from kizashi.domain.support import Outcome, SupportType
from kizashi.domain.vocabulary import Purpose
from kizashi.store.models import User

from .conftest import csrf_from, login
from .japanese_only import latin_words, visible_text
from .test_reports import setup  # noqa: F401  (the fixture: an accountant, a consent, a plan)

ALERT = re.compile(r'<p class="alert" role="alert"[^>]*>(.*?)</p>', re.S)


def _alert(page: str) -> str:
    found = ALERT.findall(page)
    assert found, page[:2000]
    return visible_text(found[0]).strip()


def _lang(client, lang: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/reports?lang={lang}").status_code == 200


def _report(client, setup, recipients: list[str]) -> str:  # type: ignore[no-untyped-def]  # noqa: F811
    form = client.get(f"/businesses/{setup['bid']}/reports/new?purpose=monitoring")
    r = client.post(
        f"/businesses/{setup['bid']}/reports",
        data={
            "csrf_token": csrf_from(form.text),
            "kind": "monitoring",
            "cadence": "none",
            "period_to": "2025-06",
            "recipients": recipients,
            "comment": "在庫の回転が改善",
        },
    )
    assert r.status_code == 303, r.text
    return r.headers["location"].split("?")[0]


def test_report_refusals_in_the_pages_language(client, setup):  # type: ignore[no-untyped-def]  # noqa: F811
    login(client, "acct_officer")
    url = _report(client, setup, [])
    said = {}
    for lang in ("ja", "en"):
        _lang(client, lang)
        r = client.post(url + "/send", data={"csrf_token": csrf_from(client.get(url).text)})
        assert r.status_code == 409
        said[lang] = _alert(r.text)
    assert said["ja"] == "送り先を選んでください" and latin_words(said["ja"]) == []
    assert said["en"] == "Please choose at least one recipient."
    # a sent report cannot be edited
    _lang(client, "ja")
    sent = _report(client, setup, [str(setup["orgs"]["bank-a"])])
    r = client.post(sent + "/send", data={"csrf_token": csrf_from(client.get(sent).text)})
    assert r.status_code == 303
    for lang, expected in (
        ("ja", "送付済みの報告書は変えられません"),
        ("en", "A report that was sent cannot be changed."),
    ):
        _lang(client, lang)
        token = csrf_from(client.get(sent).text)
        r = client.post(sent, data={"csrf_token": token, "comment": "書き換え"})
        assert r.status_code == 409
        assert _alert(r.text) == expected
        assert "(" not in _alert(r.text)
    _lang(client, "ja")
    page = client.get(sent)
    assert latin_words(visible_text(page.text), {"acct_officer"}) == []


def test_case_and_flag_refusals_in_the_pages_language(client, store, web_world):  # type: ignore[no-untyped-def]
    w = web_world
    with store.session() as s:
        officer = Actor.from_user(s.query(User).filter_by(login="cgc_officer").one())
        case = do_open_case(
            s,
            officer,
            business_id=w.business_id,
            purpose=Purpose.MONITORING,
            support_type=SupportType.IMPROVEMENT,
        )
        do_close_case(
            s,
            officer,
            case_id=case.id,
            outcome=Outcome.IMPROVED,
            note=None,
            purpose=Purpose.MONITORING,
        )
        case_id = case.id
    login(client, "cgc_officer")
    url = f"/cases/{case_id}?purpose=monitoring"
    for lang, expected in (("ja", "この案件は終了しています"), ("en", "The case is closed.")):
        _lang(client, lang)
        token = csrf_from(client.get(url).text)
        r = client.post(
            f"/cases/{case_id}/dialogues?purpose=monitoring",
            data={
                "csrf_token": token,
                "held_on": "2026-11-02",
                "channel": "visit",
                "topics": "資金繰りの見通し",
            },
        )
        assert r.status_code == 409, r.text[:500]
        said = _alert(r.text)
        assert said == expected
        if lang == "ja":
            assert latin_words(said) == []
            assert latin_words(visible_text(r.text)) == ["cgc_officer"]
    # 対応不要 without a reason: the flag's own form says why
    for lang, expected in (
        ("ja", "対応不要とする理由を書いてください。"),
        ("en", "Please write why no action is needed."),
    ):
        _lang(client, lang)
        token = csrf_from(client.get(f"/businesses/{w.business_id}").text)
        r = client.post(
            f"/businesses/{w.business_id}/flags/{w.flag_id}/state",
            data={
                "csrf_token": token,
                "state": "not_needed",
                "reason": "",
                "purpose": "monitoring",
            },
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 200
        said = _alert(r.text)
        assert said == expected
        if lang == "ja":
            assert latin_words(said) == []


def test_plan_without_a_title_in_the_pages_language(client, web_world):  # type: ignore[no-untyped-def]
    bid = web_world.business_id
    login(client, "owner")
    for lang, expected in (
        ("ja", "計画の種類を選び、名前を入れてください。"),
        ("en", "Choose the kind of plan and give it a title."),
    ):
        _lang(client, lang)
        token = csrf_from(client.get(f"/businesses/{bid}/plans").text)
        r = client.post(
            f"/businesses/{bid}/plans",
            data={"csrf_token": token, "kind": "business", "title": "  "},
            files={"file": ("plan.csv", "年月,売上高\n2026-04,100\n".encode())},
        )
        assert r.status_code == 422
        said = _alert(r.text)
        assert said == expected, said
        if lang == "ja":
            assert latin_words(said) == []
