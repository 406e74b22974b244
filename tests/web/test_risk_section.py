"""The business page's risk section, in Japanese and in English: the 12-month probability, its
peer median, its change from last month, three to five reasons in words, and the sentence that
the score ranks the dialogue and never decides credit."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import WebWorld, login
from .test_risk_model import scored  # noqa: F401  (the fixture)


def _section(html: str) -> str:
    m = re.search(
        r'<section class="card" aria-labelledby="h-risk" id="risk">(.*?)</section>', html, re.S
    )
    assert m, "no risk section"
    return m.group(1)


def test_the_risk_section_in_both_languages(
    client: TestClient,
    web_world: WebWorld,
    scored: str,  # noqa: F811
) -> None:
    login(client, "cgc_officer")
    ja = _section(client.get(f"/businesses/{web_world.business_id}").text)
    assert "12か月" in ja and "8.0%" in ja
    assert "同業の中央値: 5.0%" in ja
    assert "前月からの変化: +3.0 ポイント" in ja
    assert "与信の判断には使いません" in ja
    reasons = re.findall(r'<li data-feature="[^"]+">([^<]+)</li>', ja)
    assert 3 <= len(reasons) <= 5, reasons
    assert all(re.search(r"[ぁ-んァ-ン一-龥]", r) for r in reasons)  # sentences in Japanese

    en = _section(client.get(f"/businesses/{web_world.business_id}?lang=en").text)
    assert "within 12 months: 8.0%" in en
    assert "Peer median: 5.0%" in en
    assert "Change from last month: +3.0 points" in en
    assert "It never decides credit." in en
    reasons_en = re.findall(r'<li data-feature="[^"]+">([^<]+)</li>', en)
    assert len(reasons_en) == len(reasons)
    assert not any(re.search(r"[ぁ-ん]", r) for r in reasons_en)
