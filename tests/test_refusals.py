"""No refusal carries both languages in one string ("日本語 (English)"): a Japanese page or the
Japanese CLI would show the English half, an English page the Japanese half. A refusal is
``Refused(ja, en)`` / ``RefusedPermission(ja, en)`` (``kizashi.domain.refusals``) instead.

An ``ast`` walk of src/kizashi: every string (f-strings and implicit concatenation included)
inside a ``raise`` or passed to an exception's constructor (a callee named …Error, …Exception,
…Refused, …Required, or a local ``bad``/``refused`` helper)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kizashi.actions.loans import LoanRefused
from kizashi.actions.refusals import Refused, RefusedPermission, refusal_text

SRC = Path(__file__).resolve().parents[1] / "src" / "kizashi"
CJK = "\u3040-\u30ff\u3400-\u9fff\uff00-\uffef"
# Japanese text, then a bracket holding English words (no Japanese): "終了しています (case closed)".
# Each side of an "日本語 / English" message is looked at on its own (that older form of the
# ingest errors is a different matter, not this check's).
MIXED = re.compile(rf"[{CJK}][^()（）]*[(（](?=[^)）{CJK}]*[a-z]{{2,}}[\s:_])[^)）{CJK}]*[)）]")
CALLEE = re.compile(r"(Error|Exception|Refused|Required|^bad|^_?refused)$")


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _messages(tree: ast.AST) -> list[tuple[int, str]]:
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            roots.append(node.exc)
        elif isinstance(node, ast.Call) and CALLEE.search(_callee(node)):
            roots.extend([*node.args, *(k.value for k in node.keywords)])
    out = []
    for root in roots:
        for node in ast.walk(root):
            text = _text(node)
            if text is not None:
                out.append((getattr(node, "lineno", 0), text))
    return out


def mixed(source: str) -> list[tuple[int, str]]:
    found = {
        (n, s)
        for n, s in _messages(ast.parse(source))
        if any(MIXED.search(side) for side in s.split(" / "))
    }
    return sorted(found)


def test_the_check_finds_a_mixed_refusal():
    assert mixed('raise ValueError("この案件は終了しています (case closed)")')
    assert mixed('raise bad(f"添付ファイルが大きすぎます: {name} (attachment too large)")')
    assert mixed(
        'raise with_audit(PermissionError("登録できるのは担当者だけです "\n'
        '"(only an officer records loan data)"), record)'
    )
    assert not mixed('raise Refused("この案件は終了しています", "The case is closed.")')
    assert not mixed('fail("対応不要には理由が必要です (--reason 理由)")')


def test_no_raise_mixes_japanese_and_english():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for line, text in mixed(path.read_text("utf-8")):
            found.append(f"{path.relative_to(SRC)}:{line}: {text}")
    assert not found, "say it as Refused(ja, en), not one string:\n" + "\n".join(found)


@pytest.mark.parametrize("kind", [Refused, RefusedPermission])
def test_a_refusal_is_japanese_as_str_and_english_for_an_english_page(kind):
    exc = kind("この案件は終了しています", "The case is closed.")
    assert str(exc) == "この案件は終了しています"
    assert exc.english == "The case is closed."
    assert refusal_text(exc, "ja") == "この案件は終了しています"
    assert refusal_text(exc, "en") == "The case is closed."
    assert refusal_text(ValueError("case closed"), "en") is None


def test_a_loan_refusal_is_a_refusal():
    exc = LoanRefused(
        [
            ("当初金額は 1 円以上です", "The original amount is at least 1 yen."),
            ("残高は 0 円以上です", "The balance is at least 0 yen."),
        ]
    )
    assert isinstance(exc, Refused) and isinstance(exc, ValueError)
    assert str(exc) == "当初金額は 1 円以上です; 残高は 0 円以上です"
    assert exc.english == "The original amount is at least 1 yen. The balance is at least 0 yen."
