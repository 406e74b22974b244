"""The model's bank and invoice features: a selection of the monitoring rules' monthly bank
features (``engine.exec.bank_features.compute_bank_features``) joined to the feature rows.

Where a business sent bank data for the month, the row gets the features below, each read from
the bank months up to its own (windows over the past three months or the past, never later
ones), with its peer percentile ``pct_<feature>`` among the peer group's businesses with a
value that month (the engine's rule: ``percentile_sql``, at least 5 of them); elsewhere NaN
(LightGBM learns a branch for "unknown") and ``bank_data`` = 0.

Left out on purpose: the receivables schedule and the 13-week cash forecast (``open_receivables``,
``cash_shortfall_week``, ``cash_lowest_yen``) exist for the as-of month only, and the unpaid
invoices behind them are unpaid *as of today*: for a past month they would tell the model what
was later paid (leakage). The Benford statistic and the books' roundness test the books'
authenticity, not the business's credit.
"""

from __future__ import annotations

from functools import cache

import duckdb
import numpy as np
import pyarrow as pa

from kizashi.engine.exec.compiler import percentile_sql

from .features import Feature, Frame

PEER_MIN_N = 5  # the engine's default ``peer_min_n``
# the monthly bank feature columns the features below read (of ``BANK_FEATURE_COLUMNS``)
BANK_INPUTS = (
    "bank_balance",
    "bank_deposits",
    "bank_payroll",
    "bank_social_insurance",
    "bank_rent",
    "bank_loan_payments",
    "bank_high_rate_tx",
    "bank_negative_days",
    "bank_top_customer_pct",
    "invoices_issued",
)

# (id, direction, ja, en, unit, SQL over the windows of ``_SQL``)
_BANK: tuple[tuple[str, int, str, str, str, str], ...] = (
    (
        "bank_negative_days_3m",
        1,
        "口座残高がマイナスになった日数(直近3か月)",
        "Days the bank balance was below zero, last 3 months",
        "days",
        "neg3",
    ),
    (
        "bank_high_rate_tx_3m",
        1,
        "ファクタリング・消費者金融などとの入出金(直近3か月)",
        "Transactions with factoring companies or consumer lenders, last 3 months",
        "count",
        "hr3",
    ),
    (
        "bank_cash_cover_months",
        -1,
        "口座残高が売上入金の何か月分か",
        "Bank balance in months of customer deposits",
        "months",
        "CASE WHEN dep3 > 0 AND bank_balance IS NOT NULL THEN bank_balance / (dep3 / n3) END",
    ),
    (
        "bank_deposits_change_pct",
        0,
        "売上入金の増減(直近3か月とその前の3か月)",
        "Customer deposits, last 3 months against the 3 before",
        "%",
        "CASE WHEN n3 = 3 AND np3 = 3 AND dep_prev3 > 0 "
        "THEN 100.0 * (dep3 - dep_prev3) / dep_prev3 END",
    ),
    (
        "bank_loan_service_pct",
        1,
        "借入金の返済・利息が売上入金に占める割合(直近3か月)",
        "Loan repayments and interest as a share of customer deposits, last 3 months",
        "%",
        "CASE WHEN dep3 > 0 THEN 100.0 * loan3 / dep3 END",
    ),
    (
        "bank_regular_gap_months",
        1,
        "給与・社会保険料・家賃の支払が口座から途絶えている月数(最長)",
        "Months since payroll, social insurance or rent was last paid from the account (longest)",
        "months",
        "GREATEST(m - last_payroll, m - last_social, m - last_rent)",
    ),
    (
        "bank_top_customer_pct",
        0,
        "売上入金に占める最大の取引先の割合",
        "Largest customer's share of deposits",
        "%",
        "bank_top_customer_pct",
    ),
    (
        "bank_invoice_collection_pct",
        0,
        "発行した請求書に対する売上入金の割合(直近3か月)",
        "Customer deposits against invoices issued, last 3 months",
        "%",
        "CASE WHEN inv3 > 0 THEN 100.0 * dep3 / inv3 END",
    ),
)

_W3 = "PARTITION BY business_id ORDER BY m RANGE BETWEEN 2 PRECEDING AND CURRENT ROW"
_WPREV = "PARTITION BY business_id ORDER BY m RANGE BETWEEN 5 PRECEDING AND 3 PRECEDING"
_WALL = "PARTITION BY business_id ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
# per business × bank month, from that month and earlier ones only
_WINDOWS = f"""
SELECT business_id, m, bank_balance, bank_top_customer_pct,
       SUM(bank_negative_days) OVER ({_W3}) AS neg3,
       SUM(bank_high_rate_tx) OVER ({_W3}) AS hr3,
       SUM(bank_deposits) OVER ({_W3}) AS dep3,
       COUNT(*) OVER ({_W3}) AS n3,
       SUM(bank_deposits) OVER ({_WPREV}) AS dep_prev3,
       COUNT(*) OVER ({_WPREV}) AS np3,
       SUM(bank_loan_payments) OVER ({_W3}) AS loan3,
       SUM(invoices_issued) OVER ({_W3}) AS inv3,
       MAX(CASE WHEN bank_payroll > 0 THEN m END) OVER ({_WALL}) AS last_payroll,
       MAX(CASE WHEN bank_social_insurance > 0 THEN m END) OVER ({_WALL}) AS last_social,
       MAX(CASE WHEN bank_rent > 0 THEN m END) OVER ({_WALL}) AS last_rent
FROM (SELECT *, year(month) * 12 + month(month) - 1 AS m FROM bank)
"""


@cache
def bank_catalogue() -> tuple[Feature, ...]:
    """The bank features in a fixed order: ``bank_data``, each value, then each percentile."""
    out = [
        Feature(
            "bank_data",
            0,
            "口座の入出金データ",
            "Bank account data for the month",
            "presence",
            None,
            "bank",
        )
    ]
    for fid, d, ja, en, unit, _sql in _BANK:
        out.append(Feature(fid, d, ja, en, unit, None, "bank"))
    for fid, d, ja, en, _unit, _sql in _BANK:
        out.append(
            Feature(
                f"pct_{fid}",
                d,
                f"{ja}の同業内順位",
                f"{en}, rank among peers",
                "percentile",
                fid,
                "bank_percentile",
            )
        )
    return tuple(out)


def add_bank_features(
    frame: Frame, bank: pa.Table | None, *, con: duckdb.DuckDBPyConnection | None = None
) -> Frame:
    """``frame`` with the bank feature columns appended (``bank_catalogue``).

    ``bank``: the monthly bank features (business_id, month, the ``BANK_INPUTS`` at least) of
    every month up to the frame's last, as ``compute_bank_features`` returns them (None or
    empty: no bank data, every row ``bank_data`` = 0). A row's values come from its own bank
    month and the ones before it; the percentiles rank the frame's rows of the same peer group
    and month (so score a whole month at once, as the monitoring run does)."""
    cat = bank_catalogue()
    n = len(frame)
    extra = np.full((n, len(cat)), np.nan, dtype=frame.X.dtype)
    extra[:, 0] = 0.0
    if bank is not None and bank.num_rows and n:
        values = ", ".join(f"CAST({sql} AS DOUBLE) AS {fid}" for fid, *_, sql in _BANK)
        pcts = ", ".join(
            percentile_sql(
                f"j.{fid}",
                "j.peer_group, j.month",
                f"COUNT(j.{fid}) OVER (PARTITION BY j.peer_group, j.month)",
                PEER_MIN_N,
            )
            + f" AS pct_{fid}"
            for fid, *_ in _BANK
        )
        own = con is None
        con = con or duckdb.connect()
        try:
            con.register("bank", bank.select(["business_id", "month", *BANK_INPUTS]))
            con.register(
                "k",
                pa.table(
                    {
                        "row": pa.array(np.arange(n, dtype=np.int64)),
                        "business_id": pa.array(frame.business_id.astype(np.int64, copy=False)),
                        "month": pa.array(frame.month, pa.date32()),
                        "peer_group": pa.array(frame.peer_group, pa.string()),
                    }
                ),
            )
            # the percentiles partition by peer group: rows without one rank nowhere
            t = con.sql(
                f"""WITH w AS ({_WINDOWS}),
                j AS (SELECT k.row, k.peer_group, k.month, {values}
                      FROM k JOIN w ON w.business_id = k.business_id
                       AND w.m = year(k.month) * 12 + month(k.month) - 1)
                SELECT j.row, {", ".join(f"j.{fid}" for fid, *_ in _BANK)},
                       {pcts}, j.peer_group IS NULL AS no_peers
                FROM j"""
            ).to_arrow_table()
            con.unregister("bank")
            con.unregister("k")
        finally:
            if own:
                con.close()
        rows = t.column("row").to_numpy()
        extra[rows, 0] = 1.0
        no_peers = t.column("no_peers").to_numpy(zero_copy_only=False).astype(bool)
        for j, f in enumerate(cat[1:], 1):
            col = t.column(f.id).cast(pa.float64()).to_numpy(zero_copy_only=False)
            if f.kind == "bank_percentile":
                col = np.where(no_peers, np.nan, col)
            extra[rows, j] = col
    names = (*frame.names, *(f.id for f in cat))
    return Frame(
        frame.business_id,
        frame.month,
        frame.peer_group,
        np.hstack([frame.X, extra]),
        names,
        frame.rule_points,
    )
