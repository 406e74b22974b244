"""Prepare the monthly panel for evaluation (SQL over the wide panel, never row by row).

From the wide panel (``kizashi.domain.panel``) this builds the *spine*: one row per business
and month from the business's first month up to the run's month, with

* ``has_data`` false on months the business did not supply (explicit gaps: their amounts are
  NULL, so any trailing sum over them is NULL — "not computable" — never zero);
* ``span``: the months the row's flows cover (1 for a monthly row, 0 for a gap; the panel's
  optional ``span_months`` column), so a trailing sum is computable when its frame's rows cover
  exactly its months;
* the chart items the pack needs, as signed sums of leaf columns (``Chart.leaf_terms``), or of
  the panel's stored subtotals where every part of the panel has them (the same integers,
  ~20 columns read instead of ~80: ``kizashi.domain.panel.terms_over``);
* ``fy_pos`` (months since the fiscal year start) for year-to-date sums, and ``fy_pos_lagK``
  (the ``fy_pos`` of the row K months back) for year-to-date sums K months back;
* credit events per month (``*_events`` counts, ``max_days_past_due``);
* loan balances at each month end from the store (``loan_balance``, ``guaranteed_balance``;
  NULL where none are known), on gap months too: they are the lenders' records, not the
  business's submissions;
* the business's plan in force (``domain.plans.PLAN_FEATURES``: the month's targets, NULL
  outside the plan), ``plan_pos`` (months since the plan's first month, NULL outside it) and
  ``plan_frame`` (``plan_pos`` or 0: the frame of ``plan_to_date``), when a rule reads them;
* ``major`` (日本標準産業分類 major group), ``size_band`` and ``peer_group`` from the register;
* the peer columns of the first pass (``_peer_k``), when there are any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kizashi.domain.bank_features import BANK_FEATURE_COLUMNS
from kizashi.domain.industry import major_groups
from kizashi.domain.panel import LATE_CORRECTION_COLUMNS, LOAN_BALANCE_COLUMNS, terms_over
from kizashi.domain.plans import PLAN_FEATURE_COLUMNS

from ..spec.indicators import EVENT_KINDS
from ..spec.locaben import Thresholds
from .dialect import Dialect
from .locaben_sql import size_band_sql


def major_sql(code: str, d: Dialect) -> str:
    """Industry middle-group code (two digits) → major group letter, as a CASE expression."""
    from kizashi.domain.industry import _read

    whens = " ".join(
        f"WHEN {code} BETWEEN {d.literal(m['middle_from'])} AND {d.literal(m['middle_to'])} "
        f"THEN {d.literal(m['code'])}"
        for m in _read("industries.yaml")["majors"]
        if m["code"] in major_groups()
    )
    return f"(CASE {whens} ELSE 'T' END)"


def businesses_sql(source: str, th: Thresholds, d: Dialect) -> str:
    """Register attributes: business_id, major, size_band, peer_group, employees, exposure."""
    code = "lpad(CAST(industry_code AS VARCHAR), 2, '0')"
    major = major_sql(code, d)
    band = size_band_sql("employees", th)
    return (
        f"SELECT business_id, {major} AS major, {band} AS size_band, "
        f"{major} || '|' || {band} AS peer_group, employees AS register_employees FROM {source}"
    )


def spine_sql(
    *,
    panel: str,
    panel_columns: Iterable[str],
    items: dict[str, dict[str, int]],
    businesses: str,
    events: str | None,
    as_of_m: int,
    start_m: int | None,
    business_range: tuple[int, int] | None,
    peer_values: tuple[str, list[str]] | None,
    d: Dialect,
    fy_lags: Iterable[int] = (),
    stored: Mapping[str, Mapping[str, int]] | None = None,
    loan_balances: str | None = None,
    bank_features: str | None = None,
    plan_targets: str | None = None,
) -> str:
    """The spine (see the module docstring) for the businesses in ``business_range``.

    ``stored``: the subtotal columns present in every part of the panel, with their leaf
    terms; the items are summed from them where they fit, from the leaves otherwise.
    ``loan_balances``: a relation (business_id, month, loan_balance, guaranteed_balance).
    ``bank_features``: a relation (business_id, month, ``BANK_FEATURE_COLUMNS``).
    ``plan_targets``: a relation (business_id, month, plan_pos, ``PLAN_FEATURE_COLUMNS``).
    """
    cols = set(panel_columns)
    mi = d.month_index
    conds = [f"{mi('month')} <= {as_of_m}"]
    if start_m is not None:
        conds.append(f"{mi('month')} >= {start_m}")
    if business_range is not None:
        conds.append(f"business_id BETWEEN {business_range[0]} AND {business_range[1]}")
    where = " AND ".join(conds)

    item_sql = []
    for name, terms in items.items():
        parts = [
            f"{'+' if sign > 0 else '-'} COALESCE({leaf}, 0)"
            for leaf, sign in terms_over(terms, stored or {}).items()
            if leaf in cols
        ]
        expr = " ".join(parts).lstrip("+ ") if parts else "0"
        item_sql.append((name, f"CAST({expr} AS {d.double})"))
    emp = "employees" if "employees" in cols else "NULL"
    # months a row covers: 1 for a monthly row; a trailing sum is computable when the rows in
    # its frame cover exactly its months (gaps cover 0)
    span = "COALESCE(span_months, 1)" if "span_months" in cols else "1"
    # late corrections of past months (jobs.panel_sync): 0 where the panel has no such column
    late = "".join(
        f", {f'COALESCE({c}, 0)' if c in cols else '0'} AS {c}" for c in LATE_CORRECTION_COLUMNS
    )

    ev_cols = ", ".join(
        f"COUNT(*) FILTER (WHERE kind = {d.literal(k)}) AS {k}_events" for k in EVENT_KINDS
    )
    if events:
        ev_conds = [f"{mi('occurred_on')} <= {as_of_m}"]
        if start_m is not None:
            ev_conds.append(f"{mi('occurred_on')} >= {start_m}")
        if business_range is not None:
            ev_conds.append(f"business_id BETWEEN {business_range[0]} AND {business_range[1]}")
        ev = (
            f"SELECT business_id, {mi('occurred_on')} AS m, {ev_cols}, "
            f"MAX(days_past_due) AS max_days_past_due FROM {events} "
            f"WHERE {' AND '.join(ev_conds)} GROUP BY 1, 2"
        )
    else:
        zero = ", ".join(f"0 AS {k}_events" for k in EVENT_KINDS)
        ev = f"SELECT CAST(NULL AS BIGINT) AS business_id, 0 AS m, {zero}, NULL AS max_days_past_due WHERE FALSE"

    p_items = "".join(f", {sql} AS {name}" for name, sql in item_sql)
    late_names = "".join(f", {c}" for c in LATE_CORRECTION_COLUMNS)
    late_zero = "".join(f", 0 AS {c}" for c in LATE_CORRECTION_COLUMNS)
    null_items = "".join(f", CAST(NULL AS {d.double}) AS {name}" for name, _ in item_sql)
    # without fiscal_year_start, the calendar year is taken as the fiscal year
    fy = mi("fiscal_year_start") if "fiscal_year_start" in cols else "(m - m % 12)"
    biz = businesses
    if business_range is not None:  # the chunk's businesses only: a small hash table
        biz = f"(SELECT * FROM {businesses} WHERE business_id BETWEEN {business_range[0]} AND {business_range[1]})"
    peer_join, peer_cols = "", ""
    if peer_values:
        rel, names = peer_values
        # restrict the peer values to the chunk's businesses before the join: the hash table is
        # built on this side, and otherwise holds the whole portfolio for every chunk
        if business_range is not None:
            lo, hi = business_range
            rel = f"(SELECT * FROM {rel} WHERE business_id BETWEEN {lo} AND {hi})"
        peer_join = f" LEFT JOIN {rel} AS pv ON pv.business_id = r.business_id AND pv.m = r.m"
        peer_cols = "".join(f", pv.{c}" for c in names)
    # fy_pos of the row k months back (0 before the first month), for year-to-date sums k back
    fy_join = "".join(
        f" LEFT JOIN (SELECT business_id, m + {k} AS m, fy_pos FROM r) AS fy{k}"
        f" ON fy{k}.business_id = r.business_id AND fy{k}.m = r.m"
        for k in sorted(fy_lags)
    )
    fy_cols = "".join(f", COALESCE(fy{k}.fy_pos, 0) AS fy_pos_lag{k}" for k in sorted(fy_lags))
    ev_out = "".join(f", COALESCE(ev.{k}_events, 0) AS {k}_events" for k in EVENT_KINDS)
    if loan_balances:
        lb_conds = [f"{mi('month')} <= {as_of_m}"]
        if business_range is not None:
            lb_conds.append(f"business_id BETWEEN {business_range[0]} AND {business_range[1]}")
        lb_join = (
            f" LEFT JOIN (SELECT business_id, {mi('month')} AS m, {', '.join(LOAN_BALANCE_COLUMNS)}"
            f" FROM {loan_balances} WHERE {' AND '.join(lb_conds)}) AS lb"
            " ON lb.business_id = r.business_id AND lb.m = r.m"
        )
        lb_cols = "".join(f", lb.{c}" for c in LOAN_BALANCE_COLUMNS)
    else:
        lb_join = ""
        lb_cols = "".join(f", CAST(NULL AS BIGINT) AS {c}" for c in LOAN_BALANCE_COLUMNS)
    if bank_features:
        bf_conds = [f"{mi('month')} <= {as_of_m}"]
        if business_range is not None:
            bf_conds.append(f"business_id BETWEEN {business_range[0]} AND {business_range[1]}")
        lb_join += (
            f" LEFT JOIN (SELECT business_id, {mi('month')} AS m, {', '.join(BANK_FEATURE_COLUMNS)}"
            f" FROM {bank_features} WHERE {' AND '.join(bf_conds)}) AS bf"
            " ON bf.business_id = r.business_id AND bf.m = r.m"
        )
        lb_cols += "".join(f", CAST(bf.{c} AS {d.double}) AS {c}" for c in BANK_FEATURE_COLUMNS)
    else:
        lb_cols += "".join(f", CAST(NULL AS {d.double}) AS {c}" for c in BANK_FEATURE_COLUMNS)
    if plan_targets:
        pt_conds = [f"{mi('month')} <= {as_of_m}"]
        if business_range is not None:
            pt_conds.append(f"business_id BETWEEN {business_range[0]} AND {business_range[1]}")
        lb_join += (
            f" LEFT JOIN (SELECT business_id, {mi('month')} AS m, plan_pos,"
            f" {', '.join(PLAN_FEATURE_COLUMNS)} FROM {plan_targets}"
            f" WHERE {' AND '.join(pt_conds)}) AS pt"
            " ON pt.business_id = r.business_id AND pt.m = r.m"
        )
        lb_cols += ", CAST(pt.plan_pos AS INTEGER) AS plan_pos"
        lb_cols += ", CAST(COALESCE(pt.plan_pos, 0) AS INTEGER) AS plan_frame"
        lb_cols += "".join(f", CAST(pt.{c} AS {d.double}) AS {c}" for c in PLAN_FEATURE_COLUMNS)
    else:
        lb_cols += ", CAST(NULL AS INTEGER) AS plan_pos, 0 AS plan_frame"
        lb_cols += "".join(f", CAST(NULL AS {d.double}) AS {c}" for c in PLAN_FEATURE_COLUMNS)
    return f"""
WITH p AS (
  SELECT business_id, m, {emp} AS employees, {span} AS span{late}{p_items}, {fy} AS fy_m
  FROM (SELECT *, {mi("month")} AS m FROM {panel}) AS src WHERE {where}
),
ev AS ({ev}),
b AS (
  SELECT business_id, MIN(m) AS lo_m, COUNT(*) FILTER (WHERE src) AS n,
         ARG_MAX(fy_moy, m) AS fy_moy
  FROM (SELECT business_id, m, TRUE AS src, fy_m % 12 AS fy_moy FROM p
        UNION ALL SELECT business_id, m, FALSE, NULL FROM ev) AS u
  GROUP BY business_id
),
filler AS (
  SELECT g.business_id, g.m, g.fy_moy
  FROM (SELECT business_id, fy_moy, UNNEST(RANGE(lo_m, {as_of_m} + 1)) AS m
        FROM b WHERE n < {as_of_m} - lo_m + 1) AS g
  LEFT JOIN p ON p.business_id = g.business_id AND p.m = g.m
  WHERE p.business_id IS NULL
),
r AS (
  SELECT business_id, m, TRUE AS has_data, span, m - fy_m AS fy_pos, employees{late_names}{"".join(f", {n}" for n, _ in item_sql)}
  FROM p
  UNION ALL
  SELECT business_id, m, FALSE, 0, COALESCE(((m % 12) - fy_moy + 12) % 12, 0), NULL{late_zero}{null_items}
  FROM filler
)
SELECT r.business_id, r.m, {d.month_from_index("r.m")} AS month, r.has_data, r.span, r.fy_pos{fy_cols}, b.lo_m AS first_m,
       CASE WHEN r.has_data THEN COALESCE(r.employees, biz.register_employees) END AS employees
       {"".join(f", r.{c}" for c in LATE_CORRECTION_COLUMNS)}{"".join(f", r.{n}" for n, _ in item_sql)}{ev_out}, ev.max_days_past_due{lb_cols},
       COALESCE(biz.major, 'T') AS major, COALESCE(biz.size_band, 'micro') AS size_band,
       COALESCE(biz.peer_group, 'T|micro') AS peer_group{peer_cols}
FROM r
LEFT JOIN ev ON ev.business_id = r.business_id AND ev.m = r.m
JOIN b ON b.business_id = r.business_id
LEFT JOIN {biz} AS biz ON biz.business_id = r.business_id{peer_join}{fy_join}{lb_join}
"""
