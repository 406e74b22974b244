"""A flag stored without evidence (or with only part of it) still reads as a sentence: the values
it lacks read 「—」, never the rule's raw template ``{value:.2f}``, in the HTMX fragment a state
change swaps in and on the business page, in Japanese and in English."""

from __future__ import annotations

import re

from kizashi.store.models import Flag

from .conftest import csrf_from, login
from .japanese_only import latin_words, visible_text

PLACEHOLDER = re.compile(r"\{[a-z_0-9]+(?::[^}]*)?\}")


def _explanation(html: str) -> str:
    m = re.search(r'<p class="explanation">(.*?)</p>', html, re.S)
    assert m, html[:2000]
    return visible_text(m.group(1)).strip()


def _set_evidence(store, flag_id: int, evidence: str) -> None:  # type: ignore[no-untyped-def]
    with store.session() as s:
        s.get(Flag, flag_id).evidence_latest = evidence


def test_a_flag_without_evidence_reads_as_a_sentence(client, store, web_world):  # type: ignore[no-untyped-def]
    w = web_world
    login(client, "cgc_officer")
    url = f"/businesses/{w.business_id}/flags/{w.flag_id}/state"
    seen = {}
    for evidence in ("{}", '{"value": 0.4321}'):  # none at all; one value of three
        _set_evidence(store, w.flag_id, evidence)
        for lang, state in (("ja", "acknowledged"), ("en", "in_progress")):
            page = client.get(f"/businesses/{w.business_id}?lang={lang}&purpose=monitoring")
            assert page.status_code == 200
            on_page = _explanation(page.text.split(f'id="flag-{w.flag_id}"', 1)[1])
            r = client.post(
                url,
                data={"state": state, "purpose": "monitoring", "csrf_token": csrf_from(page.text)},
                headers={"HX-Request": "true"},
            )
            assert r.status_code == 200 and r.text.lstrip().startswith("<article"), r.text[:500]
            fragment = _explanation(r.text)
            for text in (on_page, fragment):
                assert not PLACEHOLDER.search(text) and "{" not in text, (evidence, lang, text)
                assert "—" in text, (evidence, lang, text)  # the values it lacks
            seen[(evidence, lang)] = fragment
    assert seen[("{}", "ja")].startswith("令和") and "手元流動性" in seen[("{}", "ja")]
    assert latin_words(seen[("{}", "ja")]) == []
    assert seen[("{}", "en")].startswith("Liquidity at the end of ")
    assert "0.43" in seen[('{"value": 0.4321}', "ja")]  # what it has is shown
    assert "0.43" in seen[('{"value": 0.4321}', "en")]
