"""Layout faults only a real browser shows: chart labels that overlap, words split at phone width.

Real Chromium (see tests/web/test_browser.py for how it is found and when it skips).
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from itertools import pairwise

import pytest

from kizashi.web.charts import bar_chart
from kizashi.web.i18n import Translator

from .test_browser import browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}

_BOXES = """(sel) => Array.from(document.querySelectorAll(sel)).map(e => {
  const b = e.getBBox(); return [b.x, b.x + b.width, e.textContent]; })"""


def _months(first: date, n: int = 36) -> list[date]:
    out, y, m = [], first.year, first.month
    for _ in range(n):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# This machine has no Japanese font (年 and 月 fall back to a narrow glyph); Hiragino and Noto
# Sans CJK set digits and 年 wider. The second case widens the text by 12% to stand for them.
WIDER = "svg.chart text { font-size: 14px; }"


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("extra_css", ["", WIDER], ids=["page-font", "wider-font"])
def test_chart_axis_labels_never_overlap(browser, locale: str, extra_css: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    css = resources.files("kizashi.web").joinpath("static/kizashi.css").read_text("utf-8")
    css += extra_css
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    t = Translator(locale)
    for start_month in range(1, 13):  # every month a 36-month chart can start in
        months = _months(date(2023, start_month, 1))
        svg = str(bar_chart("売上高", months, [1_000_000 * (i % 5 + 1) for i in range(36)], t))
        page.set_content(
            f'<html lang="{locale}"><head><style>{css}</style></head>'
            f'<body><div style="width:540px">{svg}</div></body></html>'
        )
        for sel in ("svg.chart text.xyear", "svg.chart text.xlab"):
            boxes = sorted(page.evaluate(_BOXES, sel))
            assert boxes, sel
            for (_, right, a), (left, _, b) in pairwise(boxes):
                assert right + 2 <= left, (locale, start_month, sel, a, b, right, left)
    page.close()


def _login(page, base: str, who: str) -> None:  # type: ignore[no-untyped-def]
    from .conftest import PASSWORD

    page.goto(f"{base}/login")
    page.fill("input[name=login]", who)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


# Each element's text on one line: a word split over two lines gives two client rects (or a
# taller box); the page itself no wider than the phone.
_ONE_LINE = """(sel) => Array.from(document.querySelectorAll(sel)).map(e => {
  const r = document.createRange(); r.selectNodeContents(e);
  const tops = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
  return [e.textContent.trim(), tops.size]; })"""


def test_phone_width_header_and_names_do_not_split(server, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, ids = server
    page = browser.new_page(viewport=PHONE, locale="ja-JP")
    _login(page, base, "cgc_officer")
    for url in (f"{base}/portfolio", f"{base}/businesses/{ids['featured']}"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
        for sel in (
            "header.site nav a",
            "header.site nav button",
            "header.site .who small",
            ".brand > span:not(.mark)",
        ):
            split = [(text, n) for text, n in page.evaluate(_ONE_LINE, sel) if n > 1]
            assert not split, (url, sel, split)
    page.goto(f"{base}/portfolio")
    names = page.evaluate(_ONE_LINE, "table.data tbody td a")
    assert names
    split = [(text, n) for text, n in names if n > 1 and len(text) <= 12]
    assert not split, split  # a business name of up to 12 characters stays whole
    page.goto(f"{base}/businesses/{ids['featured']}")
    ((name, lines),) = page.evaluate(_ONE_LINE, "main h1")
    assert lines == 1, name
    page.close()
