from __future__ import annotations

import pytest

from kizashi.domain.chart import load_chart
from kizashi.ingest.mapping import CLEARING, THRESHOLD, map_account, normalise_name
from kizashi.ingest.model import Account

CASES = [
    ("普通預金", "cash_and_deposits", 1.0),
    ("城北信当座預金", "cash_and_deposits", 0.85),
    ("普通預金(三菱UFJ)", "cash_and_deposits", 0.9),
    ("仮払消費税", "other_current_assets", 1.0),
    ("仮受消費税", "other_current_liabilities", 1.0),
    ("[製]減価償却費", "mfg_depreciation", 1.0),
    ("[製]給料", "mfg_labour", 1.0),
    ("(製)外注加工費", "mfg_subcontracting", 1.0),
    ("[製]旅費交通費", "mfg_overhead", 0.9),
    ("製造給料", "mfg_labour", 1.0),
    ("減価償却費(製造)", "mfg_depreciation", 1.0),
    ("減価償却費", "depreciation", 1.0),
    ("旅費・交通費", "travel", 1.0),
    ("ｿﾌﾄｳｪｱ", "software", 1.0),
    ("ソフトウェア勘定", "software", 1.0),
    ("諸口", CLEARING, 1.0),
    ("元入金", "capital_stock", 1.0),
]


@pytest.mark.parametrize(("name", "code", "confidence"), CASES)
def test_mapping(name: str, code: str, confidence: float) -> None:
    m = map_account(Account(name))
    assert (m.code, m.confidence) == (code, confidence)
    assert m.name == name  # the as-reported name is kept


def test_every_chart_label_maps_to_its_own_leaf() -> None:
    for item in load_chart().leaves:
        assert map_account(Account(item.ja)).code == item.code, item.ja


def test_fuzzy_and_category_need_confirmation() -> None:
    fuzzy = map_account(Account("通信費用"))
    assert fuzzy.code == "communication" and fuzzy.needs_confirmation
    cat = map_account(Account("ナントカ引当", category="販売費及び一般管理費"))
    assert cat.code == "other_sga" and cat.confidence < THRESHOLD and cat.needs_confirmation
    freee = map_account(Account("XYZ銀行", category="現金及び預金"))
    assert freee.code == "cash_and_deposits" and not freee.needs_confirmation
    assert map_account(Account("全く不明")).code is None


def test_confirmations_win() -> None:
    m = map_account(Account("借入金", code="202"), {"202 借入金": "long_term_borrowings"})
    assert (m.code, m.method, m.needs_confirmation) == ("long_term_borrowings", "confirmed", False)


def test_normalise() -> None:
    assert normalise_name("　工具、器具 及び・備品 ") == "工具器具及び備品"
