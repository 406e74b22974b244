"""Early-warning quality of a rule pack on a synthetic portfolio (docs/performance.md,
"### Early warning on a synthetic portfolio").

    .venv/bin/kizashi synth --businesses 20000 --out /tmp/q5 --seed 5
    .venv/bin/python bench/bench_flag_quality.py /tmp/q5 [--pack FILE] [--json]

Uses the synth ground truth in ``businesses`` (``path``: healthy / recovering / distressed;
``outcome``: none / restructuring / delinquency / subrogation; ``outcome_month``) — the engine
never sees those columns. One run of the pack at the panel's last month (as-of) gives every flag
episode of the whole history (opened / closed month), so "open at month M" is
``opened_month <= M and (closed_month is null or closed_month > M)``.

Measures
- recall: share of businesses whose outcome is 延滞 or 代位弁済 that had an open *financial*
  flag (any rule whose id does not start with ``credit.``) 3 / 6 / 12 months before the outcome
  month, counting only outcomes whose reference month lies in the last 24 months of the panel
  (so that there is history to flag on); median lead time from the first financial flag opened
  before the outcome (and still open, or opened within 24 months before it) to the outcome;
- false alarms: share of ``healthy`` businesses with any open flag, and with an open
  high/critical flag, at the as-of month and 6 / 12 months before it; open flags per business;
- triage: precision of the top-100 / top-500 of ``summary.priority`` at the as-of month, where a
  hit is a ``distressed`` business (it has had, or will have within 12 months after the panel, a
  credit event); and the same among businesses without any credit event up to the as-of month
  (the early-warning case: only financial flags can rank them), where a hit is a business whose
  outcome is still to come.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb


def measure(d: Path, pack_path: str | None = None) -> dict:
    from kizashi.engine.exec.run import run_monitoring
    from kizashi.engine.spec.packs import load_pack
    from kizashi.synth import LOAN_COLUMNS as SYNTH_LOANS

    pack = load_pack(pack_path) if pack_path else None
    t = time.perf_counter()
    res = run_monitoring(
        d, d, d / "credit_events", pack, loans=d / "loans", loan_columns=SYNTH_LOANS
    )
    seconds = time.perf_counter() - t
    con = duckdb.connect()
    con.register("ep", res.episodes)
    con.register("summ", res.summary)
    con.execute(f"CREATE VIEW biz AS SELECT * FROM read_parquet('{d}/businesses/*.parquet')")
    con.execute(f"CREATE VIEW ev AS SELECT * FROM read_parquet('{d}/credit_events/*.parquet')")
    as_of = res.as_of.isoformat()
    A = f"DATE '{as_of}'"
    fin = "e.rule_id NOT LIKE 'credit.%'"
    out: dict = {"pack": res.pack, "as_of": as_of[:7], "engine_seconds": round(seconds, 1)}
    n_biz = con.execute("SELECT COUNT(*) FROM biz").fetchone()[0]
    out["businesses"] = n_biz
    out["paths"] = dict(
        con.execute("SELECT path, COUNT(*) FROM biz GROUP BY 1 ORDER BY 1").fetchall()
    )

    def open_at(ref: str) -> str:
        return f"e.opened_month <= {ref} AND (e.closed_month IS NULL OR e.closed_month > {ref})"

    # ---------------------------------------------------------------- recall and lead time
    recall = {}
    for n in (3, 6, 12):
        ref = f"(b.outcome_month - INTERVAL {n} MONTH)"
        hit, tot = con.execute(f"""
            SELECT COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM ep e WHERE e.business_id = b.business_id
                     AND {fin} AND {open_at(ref)})), COUNT(*)
            FROM biz b
            WHERE b.outcome IN ('delinquency', 'subrogation')
              AND {ref} >= {A} - INTERVAL 23 MONTH AND {ref} <= {A}""").fetchone()
        recall[f"{n}m"] = {"flagged": round(hit / max(tot, 1), 4), "n": tot}
    out["recall_financial"] = recall
    lead = con.execute(f"""
        SELECT MEDIAN(date_diff('month', first_open, outcome_month)), COUNT(*) FROM (
          SELECT b.business_id, b.outcome_month, MIN(e.opened_month) AS first_open
          FROM biz b JOIN ep e ON e.business_id = b.business_id AND {fin}
            AND e.opened_month <= b.outcome_month
            AND (e.closed_month IS NULL OR e.closed_month > b.outcome_month - INTERVAL 24 MONTH)
          WHERE b.outcome IN ('delinquency', 'subrogation') AND b.outcome_month <= {A}
            AND b.outcome_month >= {A} - INTERVAL 23 MONTH
          GROUP BY ALL)""").fetchone()
    out["median_lead_months"] = lead[0]
    # stricter: before the FIRST credit event of any kind (条件変更 included), all distressed
    first_ev = {}
    for n in (3, 6, 12):
        hit, tot = con.execute(f"""
            WITH f AS (SELECT business_id, date_trunc('month', MIN(occurred_on)) AS first_m FROM ev GROUP BY 1)
            SELECT COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM ep e WHERE e.business_id = f.business_id
                     AND {fin} AND {open_at(f"(f.first_m - INTERVAL {n} MONTH)")})), COUNT(*)
            FROM f JOIN biz b USING (business_id)
            WHERE b.path = 'distressed' AND f.first_m - INTERVAL {n} MONTH >= {A} - INTERVAL 23 MONTH
              AND f.first_m - INTERVAL {n} MONTH <= {A}""").fetchone()
        first_ev[f"{n}m"] = {"flagged": round(hit / max(tot, 1), 4), "n": tot}
    out["recall_financial_before_first_event"] = first_ev

    # ---------------------------------------------------------------- false alarms
    healthy = {}
    for back in (0, 6, 12):
        ref = f"({A} - INTERVAL {back} MONTH)"
        any_, hi, flags = con.execute(f"""
            SELECT AVG(CASE WHEN EXISTS (SELECT 1 FROM ep e WHERE e.business_id = b.business_id
                     AND {open_at(ref)}) THEN 1.0 ELSE 0.0 END),
                   AVG(CASE WHEN EXISTS (SELECT 1 FROM ep e WHERE e.business_id = b.business_id
                     AND e.severity IN ('high', 'critical') AND {open_at(ref)}) THEN 1.0 ELSE 0.0 END),
                   AVG((SELECT COUNT(*) FROM ep e WHERE e.business_id = b.business_id AND {open_at(ref)}))
            FROM biz b WHERE b.path = 'healthy'""").fetchone()
        healthy[f"{back}m_before_as_of"] = {
            "any_open": round(any_, 4),
            "high_or_critical_open": round(hi, 4),
            "open_flags_per_business": round(flags, 3),
        }
    out["healthy"] = healthy
    out["healthy_by_rule_at_as_of"] = {
        r: round(v, 4)
        for r, v in con.execute(f"""
            SELECT e.rule_id, COUNT(DISTINCT e.business_id) / (SELECT COUNT(*) FROM biz WHERE path = 'healthy')
            FROM ep e JOIN biz b USING (business_id)
            WHERE b.path = 'healthy' AND {open_at(A)} GROUP BY 1 ORDER BY 2 DESC""").fetchall()
    }
    out["open_flags_per_business_at_as_of"] = {
        p: round(v, 3)
        for p, v in con.execute(f"""
            SELECT b.path, AVG(COALESCE(o.k, 0)) FROM biz b LEFT JOIN (
              SELECT business_id, COUNT(*) AS k FROM ep e WHERE {open_at(A)} GROUP BY 1) o USING (business_id)
            GROUP BY 1 ORDER BY 1""").fetchall()
    }
    out["open_flags_per_business_at_as_of"]["all"] = round(
        con.execute(f"SELECT COUNT(*) FROM ep e WHERE {open_at(A)}").fetchone()[0] / n_biz, 3
    )

    # ---------------------------------------------------------------- triage ranking
    con.execute(f"""
        CREATE TEMP TABLE ranked AS
        SELECT s.business_id, s.priority, b.path, b.outcome, b.outcome_month,
               EXISTS (SELECT 1 FROM ev WHERE ev.business_id = s.business_id
                       AND ev.occurred_on < {A} + INTERVAL 1 MONTH) AS had_event
        FROM summ s JOIN biz b USING (business_id)""")
    tri = {}
    for label, where, hit in (
        ("all businesses (hit = distressed path)", "TRUE", "path = 'distressed'"),
        (
            "no credit event yet (hit = distressed: its first event is still to come)",
            "NOT had_event",
            "path = 'distressed'",
        ),
    ):
        row = {}
        base = con.execute(
            f"SELECT AVG(CASE WHEN {hit} THEN 1.0 ELSE 0.0 END), COUNT(*), "
            f"COUNT(*) FILTER (WHERE priority > 0) FROM ranked WHERE {where}"
        ).fetchone()
        row["base_rate"] = round(base[0], 4)
        row["n"] = base[1]
        row["with_priority"] = base[2]
        for k in (100, 500):
            p = con.execute(f"""
                SELECT AVG(CASE WHEN {hit} THEN 1.0 ELSE 0.0 END) FROM (
                  SELECT * FROM ranked WHERE {where} AND priority > 0
                  ORDER BY priority DESC, business_id LIMIT {k})""").fetchone()[0]
            row[f"precision_top_{k}"] = None if p is None else round(p, 4)
        tri[label] = row
    out["triage"] = tri
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="a `kizashi synth` output directory")
    ap.add_argument("--pack", help="a rule pack YAML (default: the default pack)")
    a = ap.parse_args()
    print(json.dumps(measure(Path(a.data), a.pack), ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
