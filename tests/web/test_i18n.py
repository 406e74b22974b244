"""The Japanese catalogue is complete; yen, 和暦 and dates format as promised; charts are sound SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from kizashi.web.charts import Series, bar_chart, line_chart, nice_ticks
from kizashi.web.i18n import (
    ENUM_LABELS,
    Translator,
    catalogue,
    format_date,
    format_month,
    format_wareki_month,
    format_yen,
    format_yen_compact,
    negotiate,
    parse_po,
)

from .messages import used_messages


def test_japanese_catalogue_is_complete() -> None:
    ja = catalogue("ja")
    used = used_messages() | set(ENUM_LABELS.values())
    missing = sorted(used - set(ja))
    assert not missing, f"add these to locale/ja/LC_MESSAGES/kizashi.po: {missing}"
    unused = sorted(set(ja) - used)
    assert not unused, f"remove these unused entries from the ja catalogue: {unused}"


def test_placeholders_survive_translation() -> None:
    import re

    for msgid, msgstr in catalogue("ja").items():
        assert set(re.findall(r"\{(\w+)\}", msgid)) == set(re.findall(r"\{(\w+)\}", msgstr)), msgid


def test_po_parser() -> None:
    text = """
msgid ""
msgstr "Language: ja\\n"

msgid "Hello"
msgstr "こんにちは"

#, fuzzy
msgid "Draft"
msgstr "下書き"

msgid "Long "
"text"
msgstr "長い"
"文"

msgid "Empty"
msgstr ""
"""
    assert parse_po(text) == {"Hello": "こんにちは", "Long text": "長い文"}


def test_negotiate() -> None:
    assert negotiate(None, "en-GB", default="ja") == "en"
    assert negotiate("fr", None, default="ja") == "ja"
    assert negotiate(None, None, default="en") == "en"


@pytest.mark.parametrize(
    "amount,ja,en",
    [
        (12_345_678, "12,345,678円", "¥12,345,678"),
        (-500, "−500円", "−¥500"),
        (0, "0円", "¥0"),
        (None, "—", "—"),
    ],
)
def test_format_yen(amount, ja, en) -> None:  # type: ignore[no-untyped-def]
    assert format_yen(amount, "ja") == ja
    assert format_yen(amount, "en") == en


@pytest.mark.parametrize(
    "amount,ja,en",
    [
        (12_345_678, "1,235万円", "¥12.3M"),
        (-3_200_000, "−320万円", "−¥3.2M"),
        (1_234_567_890, "12.3億円", "¥1.2B"),
        (9_000, "9,000円", "¥9.0k"),
    ],
)
def test_format_yen_compact(amount, ja, en) -> None:  # type: ignore[no-untyped-def]
    assert format_yen_compact(amount, "ja") == ja
    assert format_yen_compact(amount, "en") == en


def test_wareki() -> None:
    assert format_wareki_month(date(2026, 11, 1)) == "令和8年11月"
    assert format_wareki_month(date(2019, 5, 1)) == "令和元年5月"
    assert format_wareki_month(date(2019, 4, 30)) == "平成31年4月"
    assert format_date(date(1989, 1, 7), "ja") == "昭和64年1月7日"
    assert format_date(date(2026, 11, 25), "en") == "25 Nov 2026"
    assert format_month(date(2026, 3, 1), "en") == "Mar 2026"


def test_translator_formats_with_params() -> None:
    t = Translator("ja")
    assert t.gettext("Page {page} of {pages}", page=2, pages=5) == "2 / 5 ページ"
    assert Translator("en").gettext("Page {page} of {pages}", page=2, pages=5) == "Page 2 of 5"
    assert t.enum_label("subrogation") == "代位弁済"


def test_nice_ticks() -> None:
    assert nice_ticks(0, 97) == [0, 25, 50, 75, 100]
    ticks = nice_ticks(-3_200_000, 12_000_000)
    assert ticks[0] <= -3_200_000 and ticks[-1] >= 12_000_000 and 0 in ticks


def test_charts_are_well_formed_svg_with_gaps() -> None:
    t = Translator("ja")
    months = [date(2025, m, 1) for m in range(1, 13)]
    values = [100, 120, None, -40, 80, 90, 100, 110, 120, 130, 140, 150]
    svg = str(bar_chart("売上高", months, values, t))
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}rect")) == 11  # the missing month is a gap, not a zero bar
    assert any("neg" in r.get("class", "") for r in root.findall(f"{ns}rect"))
    assert "直近 令和7年12月: 150円" in svg
    line = str(
        line_chart(
            "現預金",
            months,
            [Series("現預金", values, "#000"), Series("借入金", [50] * 12, "#111", dashed=True)],
            t,
        )
    )
    root = ET.fromstring(line)
    paths = root.findall(f"{ns}path")
    assert paths[0].get("d", "").count("M") == 2  # the line breaks at the gap
    assert "<script" not in svg + line


def test_chart_escapes_labels() -> None:
    svg = str(bar_chart("<b>&", [date(2025, 1, 1)], [1], Translator("en")))
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg
