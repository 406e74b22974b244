"""``kizashi payments match|list``: invoices matched to the deposits that paid them, in
Japanese, under consent (請求書 and 口座 to read; the right to submit 請求書 to match)."""

from __future__ import annotations

import json

import pytest

from tests.actions.test_payment_matching import BANK, ISSUED_156
from tests.web.japanese_only import latin_words
from tests.world import make_world


@pytest.fixture
def matched(cli, store, tmp_path):
    with store.session() as s:
        bid = make_world(s).business.id
    (tmp_path / "156.xml").write_bytes(ISSUED_156)
    (tmp_path / "meisai.csv").write_bytes(BANK.encode("cp932"))
    for name in ("156.xml", "meisai.csv"):
        r = cli("ingest", str(tmp_path / name), "--business", str(bid), "--as", "owner")
        assert r.exit_code == 0, r.output
    return bid


def test_list_shows_the_fee_deducted_deposit(cli, matched):
    r = cli("payments", "list", "--business", str(matched), "--as", "owner", "--json")
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.output)
    assert (row["invoice_number"], row["transaction_yen"], row["amount_yen"], row["fee_yen"]) == (
        "156",
        280_800,
        280_800,
        440,
    )
    assert row["rule"] == "fee" and row["invoice_yen"] == 281_240
    text = cli("payments", "list", "--business", str(matched), "--as", "owner").output
    assert "振込手数料差引" in text and "440円" in text
    assert latin_words(text) == [], text


def test_match_again_in_japanese(cli, matched):
    r = cli("payments", "match", "--business", str(matched), "--as", "owner")
    assert r.exit_code == 0, r.output
    assert "入金済みの請求書 1 件" in r.output and "440円" in r.output
    assert latin_words(r.output) == [], r.output


def test_refused_without_consent(cli, matched):
    for cmd in ("list", "match"):
        r = cli("payments", cmd, "--business", str(matched), "--as", "b_officer")
        assert r.exit_code == 1 and "円" not in r.output
