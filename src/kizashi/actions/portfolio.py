"""Load a synthetic portfolio (``kizashi.synth``) into the operational store: the writes.

``kizashi.jobs.portfolio_load`` generates the portfolio chunk by chunk and calls
:func:`do_load_portfolio_chunk` once per chunk, each in its own unit of work (a failure leaves
earlier chunks complete and the failing chunk absent), each audited as one write. Statements are
stored as real trial balances would be: cumulative from the fiscal-year start, one Submission
per business pointing at the generator manifest (:func:`do_store_portfolio_manifest`) as its
raw file, so every number traces to its source.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy import insert
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.domain.industry import industries
from kizashi.domain.panel import item_columns, pl_columns
from kizashi.domain.periods import month_end
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Relation, StatementKind
from kizashi.store.audit import audit_write
from kizashi.store.models import (
    Business,
    BusinessLink,
    ConsentGrant,
    CreditEvent,
    Loan,
    Organisation,
    Statement,
    Submission,
)
from kizashi.store.rawfiles import put_raw_file
from kizashi.synth import PortfolioChunk


def do_store_portfolio_manifest(
    session: Session, actor: Actor, *, raw_dir: Path, manifest: bytes
) -> str:
    """Keep the generator's manifest as the raw file the portfolio's submissions point at
    (idempotent); its sha256."""
    if not actor.is_system:
        raise PermissionError("only the instance operator loads a synthetic portfolio")
    raw = put_raw_file(session, raw_dir, manifest, "synthetic-portfolio.json")
    audit_write(
        session,
        actor,
        "store_portfolio_manifest",
        object_type="raw_file",
        object_id=raw.sha256,
        size=len(manifest),
    )
    return raw.sha256


@dataclass(frozen=True)
class Institutions:
    guarantor_id: int
    bank_ids: tuple[int, ...]
    supporter_ids: tuple[int, ...]


@dataclass
class LoadSummary:
    businesses: int = 0
    loans: int = 0
    statements: int = 0
    statement_lines: int = 0
    credit_events: int = 0
    consents: int = 0
    business_ids: dict[int, int] = field(default_factory=dict)  # synthetic id → store id


def _consents(
    rng: np.random.Generator,
    business_id: int,
    lenders: set[int],
    guaranteed: bool,
    inst: Institutions,
    valid_from: date,
    now: datetime,
) -> list[dict]:
    """A plausible pattern: guaranteed borrowers consent to the 保証協会; most consent to their
    lenders; six in ten have an accountant with full consent; some consent to nobody."""
    rows: list[dict] = []

    def grant(org: int, cats: Iterable[Category], purpose: Purpose) -> None:
        rows.extend(
            {
                "business_id": business_id,
                "grantee_org_id": org,
                "category": c,
                "purpose": purpose,
                "valid_from": valid_from,
                "valid_to": None,
                "revoked_at": None,
                "granted_by_user_id": None,
                "created_at": now,
            }
            for c in cats
        )

    monitoring = (Category.PROFILE, Category.FINANCIALS, Category.LOANS, Category.FLAGS)
    if guaranteed and rng.random() < 0.92:
        grant(inst.guarantor_id, monitoring, Purpose.MONITORING)
    for bank in sorted(lenders):
        if rng.random() < 0.85:
            grant(bank, monitoring, Purpose.MONITORING)
    if rng.random() < 0.6:
        grant(
            inst.supporter_ids[business_id % len(inst.supporter_ids)],
            (*monitoring, Category.QUALITATIVE),
            Purpose.SUPPORT,
        )
    return rows


def _cumulative(panel: pa.Table) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """Sort by business and month; P/L columns become year-to-date sums (trial-balance style).

    The synthetic panel has monthly rows only (``span_months`` 1), so every row is a month.
    """
    panel = panel.sort_by([("business_id", "ascending"), ("month", "ascending")])
    biz = panel.column("business_id").to_numpy()
    fy = panel.column("fiscal_year_start").to_numpy()
    new_group = np.ones(len(biz), dtype=bool)
    new_group[1:] = (biz[1:] != biz[:-1]) | (fy[1:] != fy[:-1])
    group_id = np.cumsum(new_group) - 1
    cum: dict[str, np.ndarray] = {}
    pl = set(pl_columns())
    for code in item_columns():
        values = panel.column(code).to_numpy().astype(np.int64)
        if code in pl:
            total = np.cumsum(values)
            first = np.flatnonzero(new_group)
            before = total[first] - values[first]  # running total before each group's first row
            values = total - before[group_id]
        cum[code] = values
    return panel, cum


def _bulk_insert(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """executemany with plain tuples: the fast path for millions of statement lines."""
    if not rows:
        return
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    for start in range(0, len(rows), 100_000):
        conn.exec_driver_sql(sql, rows[start : start + 100_000])


def do_load_portfolio_chunk(
    session: Session,
    actor: Actor,
    chunk: PortfolioChunk,
    inst: Institutions,
    raw_sha256: str,
    summary: LoadSummary,
    *,
    rng: np.random.Generator,
    today: date,
) -> None:
    """Store one chunk of a synthetic portfolio in this unit of work, audited as one write
    (``load_synthetic_portfolio``): businesses and their organisations, loans, instalments,
    credit events, links, consents, submissions, statements and their lines."""
    if not actor.is_system:
        raise PermissionError("only the instance operator loads a synthetic portfolio")
    now = datetime.now(UTC)
    biz_t = chunk.businesses.to_pylist()
    inds = industries()
    # Each business gets its own organisation (the tenant that owns its data).
    org_ids = (
        session.execute(
            insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True),
            [
                {
                    "kind": OrgKind.BUSINESS,
                    "name": b["name"],
                    "code": f"synth-{b['business_id']}-{raw_sha256[:8]}",
                    "corporate_number": b["corporate_number"],
                    "created_at": now,
                }
                for b in biz_t
            ],
        )
        .scalars()
        .all()
    )
    biz_ids = (
        session.execute(
            insert(Business).returning(Business.id, sort_by_parameter_order=True),
            [
                {
                    "org_id": org_id,
                    "corporate_number": b["corporate_number"],
                    "name": b["name"],
                    "industry_code": b["industry_code"],
                    "industry_major": inds[b["industry_code"]].major,
                    "prefecture_code": b["prefecture_code"],
                    "fiscal_year_end_month": b["fiscal_year_end_month"],
                    "employees": b["employees"],
                    "capital_yen": b["capital_yen"],
                    "founded_on": b["founded_on"],
                    "created_at": now,
                }
                for org_id, b in zip(org_ids, biz_t, strict=True)
            ],
        )
        .scalars()
        .all()
    )
    ids = {b["business_id"]: db_id for b, db_id in zip(biz_t, biz_ids, strict=True)}
    summary.business_ids.update(ids)

    loans_t = chunk.loans.to_pylist()
    loan_rows = []
    links: set[tuple[int, int, Relation]] = set()
    lenders: dict[int, set[int]] = {}
    guaranteed: set[int] = set()
    for ln in loans_t:
        bid = ids[ln["business_id"]]
        bank = inst.bank_ids[ln["lender_index"] % len(inst.bank_ids)]
        gid = inst.guarantor_id if ln["guaranteed"] else None
        lenders.setdefault(bid, set()).add(bank)
        links.add((bank, bid, Relation.LENDER))
        if gid:
            guaranteed.add(bid)
            links.add((gid, bid, Relation.GUARANTOR))
        loan_rows.append(
            {
                "business_id": bid,
                "lender_org_id": bank,
                "guarantor_org_id": gid,
                "loan_number": f"{ln['loan_id']:010d}",
                "original_amount": ln["original_amount"],
                "balance": ln["balance_end"],
                "balance_as_of": today,
                "guarantee_ratio_pct": ln["guarantee_ratio_pct"] or 0,
                "interest_rate_bp": ln["interest_rate_bp"],
                "start_date": ln["start_date"],
                "grace_end_date": ln["grace_end_date"],
                "maturity_date": ln["maturity_date"],
            }
        )
    loan_ids = (
        session.execute(insert(Loan).returning(Loan.id, sort_by_parameter_order=True), loan_rows)
        .scalars()
        .all()
        if loan_rows
        else []
    )
    loan_map = {ln["loan_id"]: db for ln, db in zip(loans_t, loan_ids, strict=True)}
    rep = chunk.repayments
    if rep.num_rows:
        _bulk_insert(
            session,
            "repayment_instalment",
            ("loan_id", "due_date", "principal", "interest", "paid_on"),
            [
                (loan_map[lid], due, p, i, paid)
                for lid, due, p, i, paid in zip(
                    rep.column("loan_id").to_pylist(),
                    rep.column("due_date").to_pylist(),
                    rep.column("principal").to_pylist(),
                    rep.column("interest").to_pylist(),
                    rep.column("paid_on").to_pylist(),
                    strict=True,
                )
            ],
        )
    ev_rows = [
        {
            "business_id": ids[e["business_id"]],
            "loan_id": loan_map[e["loan_id"]],
            "kind": e["kind"],
            "occurred_on": e["occurred_on"],
            "days_past_due": e["days_past_due"],
            "note": None,
            "recorded_by_org_id": inst.guarantor_id if e["kind"] == "subrogation" else None,
        }
        for e in chunk.credit_events.to_pylist()
    ]
    if ev_rows:
        session.execute(insert(CreditEvent), ev_rows)
    if links:
        session.execute(
            insert(BusinessLink),
            [
                {"org_id": o, "business_id": b, "relation": r, "created_at": now}
                for o, b, r in sorted(links)
            ],
        )
    consent_rows: list[dict] = []
    for b in biz_t:
        bid = ids[b["business_id"]]
        consent_rows += _consents(
            rng,
            bid,
            lenders.get(bid, set()),
            bid in guaranteed,
            inst,
            date(today.year - 1, 4, 1),
            now,
        )
    if consent_rows:
        session.execute(insert(ConsentGrant), consent_rows)

    sub_ids = (
        session.execute(
            insert(Submission).returning(Submission.id, sort_by_parameter_order=True),
            [
                {
                    "business_id": ids[b["business_id"]],
                    "raw_sha256": raw_sha256,
                    "filename": "synthetic-portfolio.json",
                    "format": "kizashi-synth",
                    "encoding": "utf-8",
                    "uploaded_by_user_id": None,
                    "uploaded_by_org_id": None,
                    "report_json": None,
                    "created_at": now,
                }
                for b in biz_t
            ],
        )
        .scalars()
        .all()
    )
    sub_of = {ids[b["business_id"]]: s for b, s in zip(biz_t, sub_ids, strict=True)}

    panel, cum = _cumulative(chunk.panel)
    pb = panel.column("business_id").to_numpy()
    months = panel.column("month").to_pylist()
    fys = panel.column("fiscal_year_start").to_pylist()
    stmt_rows = [
        {
            "business_id": ids[int(pb[i])],
            "submission_id": sub_of[ids[int(pb[i])]],
            "kind": StatementKind.MONTHLY_TB,
            "fiscal_year_start": fys[i],
            "period_start": fys[i],
            "period_end": month_end(months[i]),
            "version": 1,
            "superseded_by_id": None,
            "created_at": now,
        }
        for i in range(panel.num_rows)
    ]
    stmt_ids = np.asarray(
        session.execute(
            insert(Statement).returning(Statement.id, sort_by_parameter_order=True), stmt_rows
        )
        .scalars()
        .all(),
        dtype=np.int64,
    )
    line_rows: list[tuple[int, str, str, int]] = []
    for code, values in cum.items():
        nz = np.flatnonzero(values)
        line_rows.extend(
            zip(
                stmt_ids[nz].tolist(),
                [code] * len(nz),
                [""] * len(nz),
                values[nz].tolist(),
                strict=True,
            )
        )
    _bulk_insert(
        session,
        "statement_line",
        ("statement_id", "item_code", "as_reported_name", "amount"),
        line_rows,
    )
    audit_write(
        session,
        actor,
        "load_synthetic_portfolio",
        object_type="raw_file",
        object_id=raw_sha256,
        businesses=len(biz_t),
        first_id=chunk.first_id,
        last_id=chunk.last_id,
    )
    summary.businesses += len(biz_t)
    summary.loans += len(loan_rows)
    summary.statements += len(stmt_rows)
    summary.statement_lines += len(line_rows)
    summary.credit_events += len(ev_rows)
    summary.consents += len(consent_rows)
