"""What a business page remembers between requests, and that new data is never shown stale.

* Each statement's series figures are remembered by the statement's identity (statements are
  never changed once stored; a correction is a new statement): a page seen again reads no
  statement lines, and a corrected upload shows its figures at once.
* The charts' SVG is remembered by exactly the figures drawn (and the language): the same
  figures reuse it, other figures draw anew.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import event

from kizashi.access import reads
from kizashi.access.reads import read_monthly_series
from kizashi.actions.submissions import do_import_submission
from kizashi.store.db import Store
from kizashi.web.i18n import Translator
from kizashi.web.pages import businesses as pages
from kizashi.web.views.businesses import monthly_figures
from tests.world import make_world

APRIL = ("2025-04", [("普通預金", 1000), ("資本金", 800), ("売上高", 500), ("仕入高", 300)])
MAY = ("2025-05", [("普通預金", 1500), ("資本金", 800), ("売上高", 1200), ("仕入高", 500)])
MAY_FIXED = ("2025-05", [("普通預金", 1600), ("資本金", 800), ("売上高", 1300), ("仕入高", 500)])


def tb(*months: tuple[str, list[tuple[str, int]]]) -> bytes:
    rows = ["月,科目,当月残高"]
    rows += [f"{m},{name},{v}" for m, accounts in months for name, v in accounts]
    return ("\n".join(rows) + "\n").encode("utf-8")


@pytest.fixture
def world(store: Store):
    with store.session() as s:
        return make_world(s)


def _import(store: Store, actor, business_id: int, data: bytes, tmp_path: Path) -> None:
    with store.session() as s:
        out = do_import_submission(
            s, actor, business_id=business_id, files=[(data, "tb.csv")], raw_dir=tmp_path / "raw"
        )
    assert out.stored, out.reason


def test_series_figures_are_remembered_and_a_correction_shows_at_once(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    line_queries: list[str] = []
    reading = False  # count the page's reads only (an import reads lines too)

    def count(_conn, _cursor, statement: str, *_args) -> None:
        if reading and "FROM statement_line" in statement:
            line_queries.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        _import(store, owner, bid, tb(APRIL, MAY), tmp_path)

        def sales() -> list[int | None]:
            nonlocal reading
            reading = True
            try:
                with store.session() as s:
                    series = read_monthly_series(s, owner, bid, months=2)
            finally:
                reading = False
            return [p.values["sales"] for p in series]

        assert sales() == [500, 700]  # May's own flow: 1,200 − 500
        first = len(line_queries)
        assert sales() == [500, 700]
        assert len(line_queries) == first  # seen again: no statement lines read
        _import(store, owner, bid, tb(APRIL, MAY_FIXED), tmp_path)  # May corrected: version 2
        assert sales() == [500, 800]  # the correction at once, not the remembered figures
        assert len(line_queries) == first + 1  # only the new statement's lines were read
        reads._TOTALS.clear()
        assert sales() == [500, 800]  # the same when nothing is remembered
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def svgs(charts: list[dict]) -> list[str]:
    """The drawings without their element ids (numbered per drawing, unique in a page)."""
    return [re.sub(r"chart-([td])\d+", r"chart-\1N", str(c["svg"])) for c in charts]


def test_charts_are_remembered_by_their_figures(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    t = Translator("ja")

    def charts() -> list[dict]:
        with store.session() as s:
            return pages.build_charts(monthly_figures(read_monthly_series(s, owner, bid)), t)

    _import(store, owner, bid, tb(APRIL, MAY), tmp_path)
    before = charts()
    assert charts() is before  # the same figures: the same drawing, not drawn again
    _import(store, owner, bid, tb(APRIL, MAY_FIXED), tmp_path)
    after = charts()
    assert svgs(after) != svgs(before)
    assert "令和7年5月: 700円" in svgs(before)[0]  # May's sales as first stored
    assert "令和7年5月: 800円" in svgs(after)[0]  # and as corrected
    pages._draw_charts.cache_clear()
    assert svgs(charts()) == svgs(after)  # drawn anew: identical
    assert charts() is not after
    english = pages.build_charts(read_series_for(store, owner, bid), Translator("en"))
    assert svgs(english) != svgs(after)  # each language its own


def read_series_for(store: Store, owner, bid: int):
    with store.session() as s:
        return read_monthly_series(s, owner, bid)
