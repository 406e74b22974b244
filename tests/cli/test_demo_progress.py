"""``kizashi demo`` says what it is doing after its progress bar, in Japanese."""

from __future__ import annotations

import re


def test_demo_announces_each_step(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("demo", "--businesses", "12", "--no-serve")
    assert r.exit_code == 0, r.output
    out = r.output
    steps = [
        "モニタリングを実行します",
        "パネル(事業者ごとの月次データ)を更新しています…",
        "事業者の指標・ルールを計算しています…",
        "予兆フラグと要約を保存しています…",
        "未対応の予兆フラグ",
        "各組織の担当者と事業者の対応",  # the demo's responses to flags, after the first run
    ]
    at = [out.find(s) for s in steps]
    assert all(i >= 0 for i in at), (steps, at, out)
    assert at == sorted(at), out  # announced before each step, in order
    # Japanese only: the English lines of before are gone (logins and URLs aside)
    for english in ("businesses updated", "open flags", "creating the demo", "stored ", "rows"):
        assert english not in out, english
    assert not re.search(r"^  \S+ +(officer|owner|admin|auditor) ", out, re.M), out
