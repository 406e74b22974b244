"""The 借入・保証 pages: the lender enters a loan and a 延滞, marks it 完済; an import with a bad
row stores nothing and lists each problem by line and column; others see the 404 page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kizashi.store.db import Store

from .conftest import WebWorld, csrf_from, login, snapshot

HEADER = (
    "事業者ID,融資番号,貸付金融機関コード,保証協会コード,保証番号,保証割合,当初金額,残高,"
    "残高基準日,金利,実行日,据置期間終了日,最終期限"
)


def test_the_lender_works_on_the_loans_page(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    bid = web_world.business_id
    login(client, "a_officer")
    page = client.get(f"/businesses/{bid}/loans")
    assert page.status_code == 200 and "融資を登録する" in page.text
    token = csrf_from(page.text)
    form = {
        "csrf_token": token, "loan_number": "A-20", "lender": "bank-a", "guarantor": "cgc",
        "guarantee_number": "H-20", "guarantee_ratio_pct": "80", "original_amount": "5000000",
        "balance": "5000000", "balance_as_of": "2026-10-31", "interest_rate_pct": "1.75",
        "start_date": "2026-04-01", "grace_end_date": "2026-09-30", "maturity_date": "2031-03-31",
    }  # fmt: skip
    r = client.post(f"/businesses/{bid}/loans", data=form)
    assert r.status_code == 303, r.text[:500]
    page = client.get(r.headers["location"])
    assert "融資を登録しました" in page.text and "A-20" in page.text and "責任共有" in page.text
    r = client.post(f"/businesses/{bid}/loans", data=form)  # the same number again
    assert r.status_code == 409 and "登録済み" in r.text
    from sqlalchemy import select

    from kizashi.store.models import Loan

    with store.session() as s:
        loan_id = s.execute(select(Loan.id).where(Loan.loan_number == "A-20")).scalar_one()
    r = client.post(
        f"/businesses/{bid}/credit-events",
        data={"csrf_token": token, "kind": "delinquency", "occurred_on": "2026-11-30",
              "loan_id": str(loan_id), "days_past_due": "35", "note": "約定遅れ"},
    )  # fmt: skip
    assert r.status_code == 303, r.text[:300]
    r = client.post(
        f"/businesses/{bid}/loans/{loan_id}/close",
        data={"csrf_token": token, "paid_off_on": "2026-12-20"},
    )
    assert r.status_code == 303
    page = client.get(f"/businesses/{bid}/loans").text
    row = page.split(f'id="loan-{loan_id}"')[1].split("</tr>")[0]
    assert "完済" in row and "令和8年12月20日" in row
    assert "延滞" in page and "約定遅れ" in page
    assert 'id="loans-link"' in client.get(f"/businesses/{bid}").text

    bad = f"{HEADER}\n{bid},A-21,bank-a,,,0,1000000,1000000,2026-10-31,1.0,2026-04-01,,2030-03-31\n{bid},A-22,bank-a,,,0,1000000,1000000,2026-10-31,1.0,2026-04-01,,2020-03-31\n"
    before = snapshot(store)
    r = client.post(
        "/loans/import",
        data={"csrf_token": token, "kind": "loans"},
        files={"file": ("loans.csv", bad.encode("cp932"), "text/csv")},
    )
    assert r.status_code == 422
    assert (
        'id="import-problems"' in r.text
        and "最終期限" in r.text
        and "何も登録していません" in r.text
    )
    assert snapshot(store) == before


def test_others_cannot_enter(client: TestClient, store: Store, web_world: WebWorld) -> None:
    bid = web_world.business_id
    for who in ("c_officer", "other_owner", "a_admin"):
        client.cookies.clear()
        login(client, who)
        assert client.get(f"/businesses/{bid}/loans").status_code == 404
        if who != "c_officer":  # a bank's officer may open the import form (its own loans)
            assert client.get("/loans/import").status_code == 404
    client.cookies.clear()
    login(client, "owner")  # the business reads its loans, enters none
    page = client.get(f"/businesses/{bid}/loans")
    assert page.status_code == 200 and "融資を登録する" not in page.text


def test_an_english_page_says_why_an_entry_was_refused(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    """The refusal names what is wrong, in the page's language (not a generic "refused")."""
    bid = web_world.business_id
    login(client, "a_officer")
    token = csrf_from(client.get(f"/businesses/{bid}/loans?lang=en").text)
    form = {
        "csrf_token": token, "loan_number": "A-30", "lender": "bank-a", "guarantor": "",
        "guarantee_ratio_pct": "0", "original_amount": "3000000", "balance": "3000000",
        "balance_as_of": "2026-10-31", "interest_rate_pct": "1.5", "start_date": "2026-04-01",
        "maturity_date": "2026-03-31",
    }  # fmt: skip
    r = client.post(f"/businesses/{bid}/loans", data=form)
    assert r.status_code == 409
    assert "The maturity date is before the start date." in r.text
    assert "check the number, the amounts" not in r.text  # not the generic sentence
    r = client.post(f"/businesses/{bid}/loans", data={**form, "maturity_date": "2030-03-31"})
    assert r.status_code == 303
    r = client.post(f"/businesses/{bid}/loans", data={**form, "maturity_date": "2030-03-31"})
    assert r.status_code == 409 and "Loan number A-30 is already recorded." in r.text
    r = client.post(
        f"/businesses/{bid}/credit-events",
        data={"csrf_token": token, "kind": "delinquency", "occurred_on": "2026-11-30"},
    )
    assert r.status_code == 409 and "A delinquency needs its days past due (1 or more)." in r.text
    # the Japanese page gives the same reason in Japanese, whole
    client.get(f"/businesses/{bid}/loans?lang=ja")
    r = client.post(
        f"/businesses/{bid}/credit-events",
        data={"csrf_token": token, "kind": "delinquency", "occurred_on": "2026-11-30"},
    )
    assert r.status_code == 409 and "延滞には延滞日数 (1 以上) が必要です" in r.text
    assert "needs days past due" not in r.text
