"""Hand-made 全銀 records built from the layouts (formats.md §2.1), clearly synthetic.

We hold no real 03/01 file; these builders put each field at its byte position so a test can
read which field it sets. Text is CP932 (half-width kana).
"""

from __future__ import annotations


def _rec(length: int, fields: list[tuple[int, int, str, str]]) -> bytes:
    """(first byte 1-based, length, value, N/C) → one record of ``length`` bytes."""
    buf = bytearray(b" " * length)
    for start, size, value, attr in fields:
        raw = value.encode("cp932")
        raw = raw.rjust(size, b"0") if attr == "N" else raw.ljust(size, b" ")
        assert len(raw) == size, (start, value)
        buf[start - 1 : start - 1 + size] = raw
    return bytes(buf)


def header03(
    created: str,
    frm: str,
    to: str,
    account: str,
    name: str,
    opening: int,
    *,
    bank: str = "0001",
    branch: str = "123",
    kind: str = "1",
    code: str = "0",
) -> bytes:
    return _rec(
        200,
        [
            (1, 1, "1", "N"),
            (2, 2, "03", "N"),
            (4, 1, code, "N"),
            (5, 6, created, "N"),
            (11, 6, frm, "N"),
            (17, 6, to, "N"),
            (23, 4, bank, "N"),
            (27, 15, "ﾐｽﾞﾎ", "C"),
            (42, 3, branch, "N"),
            (45, 15, "ﾎﾝﾃﾝ", "C"),
            (60, 3, "000", "N"),
            (63, 1, kind, "N"),
            (64, 10, account, "N"),
            (74, 40, name, "C"),
            (114, 1, "2" if opening < 0 else "1", "N"),
            (115, 1, "1", "N"),
            (116, 14, str(abs(opening)), "N"),
        ],
    )


def data03(
    ref: str,
    day: str,
    direction: str,
    amount: int,
    *,
    payer: str = "",
    memo: str = "",
    trade: str = "11",
) -> bytes:
    return _rec(
        200,
        [
            (1, 1, "2", "N"),
            (2, 8, ref, "N"),
            (10, 6, day, "N"),
            (16, 6, day, "N"),
            (22, 1, direction, "N"),
            (23, 2, trade, "N"),
            (25, 12, str(amount), "N"),
            (82, 48, payer, "C"),
            (160, 20, memo, "C"),
        ],
    )


def trailer03(ins: int, in_sum: int, outs: int, out_sum: int, closing: int, records: int) -> bytes:
    return _rec(
        200,
        [
            (1, 1, "8", "N"),
            (2, 6, str(ins), "N"),
            (8, 13, str(in_sum), "N"),
            (21, 6, str(outs), "N"),
            (27, 13, str(out_sum), "N"),
            (40, 1, "2" if closing < 0 else "1", "N"),
            (41, 14, str(abs(closing)), "N"),
            (55, 7, str(records), "N"),
        ],
    )


def end03(total: int, accounts: int) -> bytes:
    return _rec(200, [(1, 1, "9", "N"), (2, 10, str(total), "N"), (12, 5, str(accounts), "N")])


def header01(created: str, account: str, name: str) -> bytes:
    return _rec(
        200,
        [
            (1, 1, "1", "N"),
            (2, 2, "01", "N"),
            (4, 1, "0", "N"),
            (5, 6, created, "N"),
            (11, 6, created, "N"),
            (17, 6, created, "N"),
            (23, 4, "0005", "N"),
            (27, 15, "ﾐﾂﾋﾞｼUFJ", "C"),
            (42, 3, "001", "N"),
            (45, 15, "ﾎﾝﾃﾝ", "C"),
            (60, 1, "1", "N"),
            (61, 7, account, "N"),
            (68, 40, name, "C"),
        ],
    )


def data01(
    ref: str, day: str, amount: int, payer: str, *, cancel: bool = False, edi: str = ""
) -> bytes:
    return _rec(
        200,
        [
            (1, 1, "2", "N"),
            (2, 6, ref, "N"),
            (8, 6, day, "N"),
            (14, 6, day, "N"),
            (20, 10, str(amount), "N"),
            (50, 48, payer, "C"),
            (128, 1, "1" if cancel else "0", "N"),
            (129, 20, edi, "C"),
        ],
    )


def trailer01(count: int, total: int, cancels: int = 0, cancel_sum: int = 0) -> bytes:
    return _rec(
        200,
        [
            (1, 1, "8", "N"),
            (2, 6, str(count), "N"),
            (8, 12, str(total), "N"),
            (20, 6, str(cancels), "N"),
            (26, 12, str(cancel_sum), "N"),
        ],
    )


def end01() -> bytes:
    return _rec(200, [(1, 1, "9", "N")])


def statement03() -> list[bytes]:
    """Two accounts, 令和6年 (2024) April; balances chain; the 2nd account overdrawn."""
    return [
        header03("060430", "060401", "060430", "1234567", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", 1_000_000),
        data03("00000001", "060401", "1", 500_000, payer="ｶ)ｽｽﾞｷｼﾖｳｶｲ", memo="ﾌﾘｺﾐ"),
        data03("00000002", "060425", "2", 300_000, memo="ｷﾕｳﾖ", trade="14"),
        data03("00000003", "060427", "2", 120_000, memo="ﾔﾁﾝ", trade="14"),
        trailer03(1, 500_000, 2, 420_000, 1_080_000, 3),
        header03("060430", "060401", "060430", "7654321", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", 10_000, kind="2"),
        data03("00000009", "060430", "2", 50_000, memo="ｼﾔｶｲﾎｹﾝ", trade="14"),
        trailer03(0, 0, 1, 50_000, -40_000, 1),
        end03(9, 2),
    ]
