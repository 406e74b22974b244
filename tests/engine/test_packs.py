"""Rule packs: the default pack, error collection with line numbers, organisation copies."""

from __future__ import annotations

import pytest

from kizashi.engine.spec.packs import (
    PackError,
    default_pack,
    default_pack_text,
    derive_pack,
    lint_pack,
    load_pack_text,
)

BAD = """\
pack:
  id: my.org
  version: "1"
params:
  low: {value: 1}
  sales: {value: 2}
rules:
  - id: cash.low
    title: {ja: 低い, en: Low}
    explanation: {ja: "{value} {nope}", en: "{value.__class__}"}
    category: 資金繰り
    source: 試算表
    severity: high
    next_step: {ja: 連絡, en: Call}
    support: 確認
    condition: liqudity_months < low
    evidence:
      value: liquidity_months
  - id: cash.low
    title: {ja: x}
    explanation: {ja: x, en: x}
    category: なにか
    source: 試算表
    severity: urgent
    next_step: {ja: x, en: x}
    support: 確認
    condition: |
      liquidity_months < 1
      and sales >
"""


def test_default_pack_loads():
    pack = default_pack()
    assert pack.ref == "kizashi.default@2026.5.0"
    ids = [r.id for r in pack.rules]
    assert len(ids) == len(set(ids)) >= 12
    for needed in (
        "credit.delinquency",
        "credit.restructuring",
        "credit.accident_report",
        "finance.negative_net_assets",
        "finance.loss_before_depreciation",
        "finance.operating_loss_streak",
        "finance.sales_drop",
        "cash.low_liquidity",
        "cash.high_borrowings",
        "locaben.score_drop",
        "finance.annual_operating_loss",
        "finance.annual_ordinary_loss",
        "finance.annual_negative_net_assets",
    ):
        assert needed in ids


def test_all_problems_are_collected_with_lines():
    problems = lint_pack(BAD)
    text = [str(p) for p in problems]
    assert any(p.startswith("line 6: params.sales") for p in text)
    assert any(p.startswith("line 10:") and "{nope}" in p for p in text)
    assert any(
        (p.startswith("line 10:") and "only ','" in p) or "unknown field {value.__class__}" in p
        for p in text
    )
    assert any(p.startswith("line 16:") and "did you mean 'liquidity_months'" in p for p in text)
    assert any(p.startswith("line 19:") and "duplicate rule id" in p for p in text)
    assert any(p.startswith("line 20:") and "title" in p for p in text)
    assert any(p.startswith("line 22:") and "category" in p for p in text)
    assert any(p.startswith("line 24:") and "severity" in p for p in text)
    # the block-scalar condition's error is on its second line (file line 29)
    assert any(p.startswith("line 29:") and "condition" in p for p in text)
    assert len(problems) >= 9
    with pytest.raises(PackError) as e:
        load_pack_text(BAD)
    assert len(e.value.problems) == len(problems)


def test_yaml_syntax_error_has_line():
    problems = lint_pack("pack:\n  id: x\n  version: [1\n")
    assert problems and problems[0].where == "yaml"


def test_organisation_copy():
    base = default_pack()
    mine = derive_pack(base, "cgc.example", "2026.1.0-a", {"liquidity_min_months": 1.5})
    assert mine.ref == "cgc.example@2026.1.0-a"
    assert mine.based_on == base.ref
    assert mine.params["liquidity_min_months"].value == 1.5
    assert base.params["liquidity_min_months"].value == 1.0
    with pytest.raises(KeyError):
        derive_pack(base, "x", "1", {"no_such": 1})


def test_exported_text_round_trips():
    text = (
        default_pack_text()
        .replace("id: kizashi.default", "id: cgc.tokyo")
        .replace('version: "2026.5.0"', 'version: "1.0.0"')
        .replace("value: 1.0, ja: 手元", "value: 1.5, ja: 手元")
    )
    pack = load_pack_text(text)
    assert pack.ref == "cgc.tokyo@1.0.0"
    assert pack.params["liquidity_min_months"].value == 1.5


def test_evidence_without_data_is_a_lint_problem() -> None:
    """A constant (only parameters) is not evidence; it used to fail only at run time."""
    from kizashi.engine.spec.packs import lint_pack

    text = """pack: {id: t, version: "1", ja: t, en: t}
params:
  p: {value: -4, ja: a, en: b}
rules:
  - id: t.x
    title: {ja: a, en: b}
    explanation: {ja: "x", en: "x"}
    category: 収益性
    source: 試算表
    severity: low
    next_step: {ja: a, en: b}
    support: 確認
    condition: rolling_max(locaben_total_change, 3) <= p
    evidence: {t: -p}
"""
    problems = lint_pack(text)
    assert any("uses no indicator or panel column" in p.message for p in problems)
    assert all(p.line > 0 for p in problems)
