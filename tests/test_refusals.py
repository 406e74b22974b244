"""No refusal carries both languages in one string ("日本語 (English)" or the older
"日本語 / English" of the importers): a Japanese page or the Japanese CLI would show the English
half, an English page the Japanese half. A refusal is ``Refused(ja, en)`` /
``RefusedPermission(ja, en)`` (``kizashi.domain.refusals``) or ``IngestError(ja, en)`` instead.

An ``ast`` walk of src/kizashi: every string (f-strings and implicit concatenation included)
inside a ``raise`` or passed to an exception's constructor (a callee named …Error, …Exception,
…Refused, …Required, …TooLarge, or a local ``bad``/``refused`` helper), to an importer's
``error``/``warning`` issue, or given as an HTTP ``detail``."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

from kizashi.actions.loans import LoanRefused
from kizashi.actions.refusals import Refused, RefusedPermission, refusal_text

SRC = Path(__file__).resolve().parents[1] / "src" / "kizashi"
CJK = "\u3040-\u30ff\u3400-\u9fff\uff00-\uffef"
# Japanese text, then a bracket holding English words (no Japanese): "終了しています (case closed)".
MIXED = re.compile(rf"[{CJK}][^()（）]*[(（](?=[^)）{CJK}]*[a-z]{{2,}}[\s:_])[^)）{CJK}]*[)）]")
# "日本語 / English": Japanese, " / ", then English words ("record 1, …: not a Zengin header")
ENGLISH_WORDS = re.compile(r"\b[A-Za-z][a-z]+[,:]?\s+[a-z]{2,}\b")
CALLEE = re.compile(r"(Error|Exception|Refused|Required|TooLarge|^bad|^_?refused|^error|^warning)$")


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
        elif isinstance(node, ast.keyword) and node.arg == "detail":
            roots.append(node.value)
    out = []
    for root in roots:
        for node in ast.walk(root):
            text = _text(node)
            if text is not None:
                out.append((getattr(node, "lineno", 0), text))
    return out


def _slashed(text: str) -> bool:
    """Japanese before a " / " and English words after it."""
    sides = text.split(" / ")
    return any(
        re.search(f"[{CJK}]", left) and ENGLISH_WORDS.search(re.sub(f"[{CJK}]+", " ", right))
        for left, right in itertools.pairwise(sides)
    )


def mixed(source: str) -> list[tuple[int, str]]:
    found = {
        (n, s)
        for n, s in _messages(ast.parse(source))
        if any(MIXED.search(side) for side in s.split(" / ")) or _slashed(s)
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


def test_the_check_finds_japanese_slash_english():
    # the older form of the importers' refusals, as it was in zengin.py, money.py, xmlsafe.py
    assert mixed('raise IngestError(f"{filename}: 空のファイルです / the file is empty")')
    assert mixed(
        'raise IngestError(\n    f"{filename}: 1 レコード目 データ区分・種別コード: 全銀ヘッダー"\n'
        '    f"ではありません / record 1, データ区分/種別コード: not a Zengin header record"\n)'
    )
    assert mixed(
        'error("upload.rejected", f"{f}: この形式は認識できません / unrecognised file format")'
    )
    assert mixed(
        'super().__init__(status_code=413, detail=(f"大きすぎます。 / The upload is too large"))'
    )
    # said once in each language, or a name with a slash, is fine
    assert not mixed('raise IngestError(f"{f}: 空のファイルです", f"{f}: the file is empty")')
    assert not mixed('raise IngestError(f"{f}: record 1, データ区分/種別コード: not a header")')
    assert not mixed('label_ja = "決算報告書 (CSV / Excel)"')


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
