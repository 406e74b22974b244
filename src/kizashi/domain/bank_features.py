"""The monthly features of money that moved, as the rules see them (business × month).

Computed from the columnar tables of ``kizashi.domain.bank`` (bank transactions, invoices,
open items) and the panel by ``kizashi.engine.exec.bank_features``; joined to the engine's
spine when a rule reads them, like the lenders' loan balances (``domain.panel``). NULL where a
business sent no bank data for the month. Amounts are whole yen; payments are positive numbers.
"""

from __future__ import annotations

# (name, ja, en)
BANK_FEATURES: tuple[tuple[str, str, str], ...] = (
    (
        "bank_balance",
        "口座の月末残高(全口座の合計、円)",
        "bank balance at month end, all accounts (yen)",
    ),
    ("bank_tx", "その月の入出金の件数", "bank transactions in the month"),
    (
        "bank_deposits",
        "売上入金(取引先からの入金。それがない月は分類できない入金、円)",
        "deposits from customers (in a month without any, the unclassified money in; yen)",
    ),
    ("bank_payroll", "給与・賞与の支払(円)", "payroll paid (yen)"),
    ("bank_social_insurance", "社会保険料・労働保険料の支払(円)", "social insurance paid (yen)"),
    ("bank_rent", "家賃・地代の支払(円)", "rent paid (yen)"),
    ("bank_tax", "税金の支払(円)", "taxes paid (yen)"),
    ("bank_utilities", "水道光熱費・通信費の支払(円)", "utilities paid (yen)"),
    (
        "bank_loan_payments",
        "借入金の返済と利息の支払(円)",
        "loan repayments and interest paid (yen)",
    ),
    (
        "bank_high_rate_tx",
        "ファクタリング・消費者金融などとの入出金の件数",
        "transactions with factoring companies or consumer lenders",
    ),
    ("bank_negative_days", "残高がマイナスになった日数", "days the balance went below zero"),
    (
        "bank_top_customer_pct",
        "売上入金に占める最大の取引先の割合(%)",
        "largest customer's share of deposits (%)",
    ),
    (
        "bank_benford_mad",
        "支払額の先頭数字とベンフォードの法則の平均絶対偏差(直近12か月)",
        "mean absolute deviation of payment first digits from Benford's law (last 12 months)",
    ),
    (
        "bank_benford_chi2",
        "支払額の先頭数字のベンフォードの法則に対するカイ二乗統計量(自由度 8、直近12か月)",
        "Pearson's chi-square of payment first digits against Benford's law (8 degrees of"
        " freedom, last 12 months)",
    ),
    (
        "bank_benford_n",
        "ベンフォード検定に使った支払の件数(直近12か月)",
        "payments in the Benford test (last 12 months)",
    ),
    (
        "invoices_issued",
        "発行した請求書の合計(税込、円)",
        "invoices issued in the month (tax included, yen)",
    ),
    (
        "invoices_overdue",
        "発行した請求書のうち基準月末に支払期日を過ぎて未入金の額(発行月別、円)",
        "what invoices issued in the month still ask, unpaid past their due date at the as-of"
        " month's end (yen)",
    ),
    (
        "open_receivables",
        "売掛金の残高一覧・未入金の請求書の合計(基準月のみ、円)",
        "receivables schedule or unpaid invoices issued (as-of month only, yen)",
    ),
    (
        "cash_shortfall_week",
        "資金繰り予測で残高がマイナスになる最初の週(基準月のみ、0 = 不足なし)",
        "first week the 13-week cash forecast goes below zero (as-of month only; 0 = none)",
    ),
    (
        "cash_lowest_yen",
        "資金繰り予測の13週間の最低残高(基準月のみ、円)",
        "lowest closing balance of the 13-week cash forecast (as-of month only, yen)",
    ),
    (
        "book_round_items",
        "試算表の主な科目のうち1万円単位で割り切れる科目の数",
        "main P/L items of the books that are whole multiples of ¥10,000",
    ),
)
BANK_FEATURE_COLUMNS = tuple(n for n, _, _ in BANK_FEATURES)
# the P/L leaves the roundness count looks at (rent and officers' pay are round by nature)
ROUND_ITEMS = (
    "sales",
    "purchases",
    "salaries",
    "subcontracting",
    "utilities",
    "supplies",
    "travel",
    "communication",
    "advertising",
    "commissions",
)
# Benford's first-digit probabilities log10(1 + 1/d), d = 1..9
BENFORD = (
    0.30103,
    0.176091,
    0.124939,
    0.09691,
    0.0791812,
    0.0669468,
    0.0579919,
    0.0511525,
    0.0457575,
)


def benford_stats(counts: tuple[int, ...] | list[int]) -> tuple[float, float]:
    """The first-digit counts c1..c9 against Benford: (MAD, Pearson's chi-square).

    MAD = Σ|c_d/n − p_d| / 9 (Nigrini's mean absolute deviation: how far the digits are from
    Benford, whatever the sample size); χ² = Σ (c_d − n·p_d)² / (n·p_d) (how unlikely the counts
    are by chance, 8 degrees of freedom: it grows with n for the same proportions). The engine
    computes both in SQL (``engine.exec.bank_features``); this is the reference its tests use.
    """
    n = sum(counts)
    if n == 0:
        return (0.0, 0.0)
    mad = sum(abs(c / n - p) for c, p in zip(counts, BENFORD, strict=True)) / 9
    chi2 = sum((c - n * p) ** 2 / (n * p) for c, p in zip(counts, BENFORD, strict=True))
    return (mad, chi2)
