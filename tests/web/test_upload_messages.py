"""The upload page shows each issue's details in the page's language, with its place.

Before, a Japanese page left an importer's English detail out; now the detail comes from the
catalogue of importer messages (``ingest.messages``) in Japanese, and in English on an English
page.
"""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from .conftest import WebWorld, login
from .test_uploads import TB_BAD_AMOUNT, post_page, trial_balance

# 資産 1,000,000 against 負債・純資産 900,000: the balance sheet is 100,000 off.
TB_UNBALANCED = trial_balance(
    ("2022-04", "普通預金", '"1,000,000"'),
    ("2022-04", "資本金", '"900,000"'),
)


def _row(page: str, code: str) -> str:
    m = re.search(
        rf'<tr class="issue issue-\w+" data-code="{re.escape(code)}">(.*?)</tr>', page, re.S
    )
    assert m, page
    return html.unescape(re.sub(r"<[^>]+>", " ", m.group(1)))


def test_japanese_page_shows_the_detail_in_japanese(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "owner")
    r = post_page(client, web_world.business_id, [("bad.csv", TB_BAD_AMOUNT)])
    assert r.status_code == 422
    row = _row(r.text, "amount.invalid")
    assert "「12万円くらい」は金額として読めません" in row
    assert "bad.csv" in row and " 3 " in row  # file, line and column beside it
    assert "not an amount" not in r.text


def test_numbers_of_an_accounting_check_in_japanese(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "owner")
    r = post_page(client, web_world.business_id, [("bs.csv", TB_UNBALANCED)])
    row = _row(r.text, "bs.unbalanced")
    assert "100,000" in row and "0 のはずです" in row
    assert "令和4年4月30日" in row  # the month end as a Japanese date
    assert "should be" not in r.text


def test_english_page_shows_the_english_detail(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    client.get("/portfolio?lang=en")
    r = post_page(client, web_world.business_id, [("bad.csv", TB_BAD_AMOUNT)])
    row = _row(r.text, "amount.invalid")
    assert "not an amount: '12万円くらい'" in row
