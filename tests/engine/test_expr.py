"""The expression language: parsing, types, errors with positions, and refusing anything unsafe."""

from __future__ import annotations

import pytest

from kizashi.engine.spec.expr import BinOp, Call, ExprError, Name, canonical, parse
from kizashi.engine.spec.functions import FUNCTIONS, check
from kizashi.engine.spec.indicators import name_types

NAMES = name_types()


def test_precedence():
    n = parse("a + b * 2 > 3 and not c or d")
    assert canonical(n) == "((((a + (b * 2.0)) > 3.0) and (not c)) or d)"


def test_calls_and_numbers():
    n = parse("lag(ttm(sales), 12) >= 1_000_000.5")
    assert isinstance(n, BinOp) and isinstance(n.left, Call) and n.left.fn == "lag"
    assert canonical(n) == "(lag(ttm(sales), 12.0) >= 1000000.5)"


@pytest.mark.parametrize(
    "text, line, col, fragment",
    [
        ("sales >", 1, 8, "expected a number"),
        ("sales\n  > = 3", 2, 5, "expected a number"),
        ("(sales + 1", 1, 11, "expected ')'"),
        ("sales $ 3", 1, 7, "unexpected character '$'"),
        ("a < b < c", 1, 7, "cannot be chained"),
        ("", 1, 1, "empty expression"),
    ],
)
def test_syntax_errors_have_positions(text, line, col, fragment):
    with pytest.raises(ExprError) as e:
        parse(text)
    assert (e.value.line, e.value.col) == (line, col)
    assert fragment in e.value.message


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('rm -rf /')",
        "sales.__class__",
        "open('x')",
        "sales; DROP TABLE panel",
        "sales -- comment",
        "[1, 2]",
        "lambda: 1",
        "'text'",
        "sales[0]",
        "eval(sales)",
    ],
)
def test_unsafe_text_is_rejected(text):
    with pytest.raises(ExprError):
        check(parse(text), NAMES)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("liqudity_months < 1", "did you mean 'liquidity_months'"),
        ("sales and true", "needs a condition"),
        ("streak(sales)", "streak() needs a condition"),
        ("lag(sales, 0)", "months must be a whole number"),
        ("lag(sales, n)", "months must be a whole number"),
        ("lag(sales)", "takes 2 argument(s)"),
        ("peer_quantile(sales, 2)", "q must be"),
        ("lagg(sales, 1)", "did you mean 'lag'"),
        ("insolvent + 1", "needs a number"),
    ],
)
def test_type_errors(text, fragment):
    with pytest.raises(ExprError) as e:
        check(parse(text), NAMES)
    assert fragment in e.value.message


def test_types():
    assert check(parse("liquidity_months < 1 and insolvent"), NAMES) == "bool"
    assert check(parse("if(insolvent, 1, null)"), NAMES) == "num"
    assert check(parse("pct_change(rolling_sum(sales, 3), 12)"), NAMES) == "num"


def test_nesting_limit():
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("(" * 100 + "1" + ")" * 100)


def test_every_function_has_docs():
    for f in FUNCTIONS.values():
        assert f.ja and f.en


def test_name_node():
    assert parse("sales") == Name(1, 1, "sales")
