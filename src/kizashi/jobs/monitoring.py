"""A monitoring run over the store: sync the panel, evaluate every active pack, keep flags.

1. ``sync_panel`` brings the analytical panel up to date (only changed businesses).
2. For the shipped default pack and every organisation's active pack, ``run_monitoring``
   evaluates indicators and rules column-wise in DuckDB.
3. Episodes become flags: one flag per (business, pack, rule, opened month); a person's
   workflow state is carried over (``engine.exec.episodes.carry_over``: the run's moves in
   ``domain.vocabulary.FLAG_MOVES``), a cleared condition closes the flag, and an open flag
   whose episode a corrected history no longer has is closed, so a business × rule never has
   two open flags. Summaries (priority for the triage queue) are
   replaced per pack.
4. Indicator values, each business's peer percentiles (``pct_<indicator>`` beside the values)
   and peer statistics for the as-of month go to the analytics file, where the pages read them
   (after an access check).

The job is one unit (``jobs.monitoring_runs``): one run at a time per data directory; every
pack is evaluated first, with the panel and the analytics outputs written to a staged copy of
the analytics file; then one store transaction writes every pack's flags, summaries, finished
run record and audit event; then the staged file replaces the live one. A crash before the
commit leaves the store and the live file as they were (the next start marks the run failed);
a crash after it is completed by the next start. Running the same month twice changes nothing
the second time.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.access.policy import accessible_business_ids
from kizashi.domain.calendar import format_month
from kizashi.domain.panel import LOAN_COLUMNS
from kizashi.domain.vocabulary import Category, FlagState, OrgKind, Purpose, Role, RunStatus
from kizashi.engine.exec.episodes import carry_over
from kizashi.engine.exec.run import RunResult, run_monitoring
from kizashi.engine.spec.packs import Pack, default_pack, default_pack_text, load_pack_text
from kizashi.settings import Settings
from kizashi.store.analytics import mark_staged, publish_staged, stage_analytics
from kizashi.store.audit import audit_write
from kizashi.store.db import Store
from kizashi.store.models import (
    Business,
    CreditEvent,
    Flag,
    Loan,
    MonitoringRun,
    MonitoringSummary,
    RulePack,
)

from .monitoring_runs import fail_job, heartbeat, recover_runs, run_lock, start_run
from .panel_sync import read_loan_balances, read_panel, sync_panel


@dataclass(frozen=True)
class PackRun:
    pack_ref: str
    org_id: int | None
    businesses: int
    open_flags: int
    flags_opened: int
    flags_closed: int
    as_of: date | None = None
    run_id: int | None = None


def ensure_default_pack(store: Store) -> RulePack:
    pack = default_pack()
    with store.session() as s:
        row = s.execute(
            select(RulePack).where(RulePack.pack_id == pack.id, RulePack.version == pack.version)
        ).scalar_one_or_none()
        if row is None:
            row = RulePack(
                org_id=None,
                pack_id=pack.id,
                version=pack.version,
                title=pack.ja,
                yaml_text=default_pack_text(),
                active=True,
                created_at=datetime.now(UTC),
            )
            s.add(row)
        return row


def active_packs(store: Store) -> list[tuple[Pack, int | None]]:
    """The default pack, then each organisation's active pack."""
    out: list[tuple[Pack, int | None]] = [(default_pack(), None)]
    with store.session() as s:
        rows = (
            s.execute(
                select(RulePack).where(RulePack.org_id.is_not(None), RulePack.active.is_(True))
            )
            .scalars()
            .all()
        )
        out += [(load_pack_text(r.yaml_text), r.org_id) for r in rows]
    return out


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def _register_inputs(
    store: Store, org_id: int | None, today: date
) -> tuple[pa.Table, pa.Table, pa.Table]:
    with store.session() as s:
        bq = select(Business.id, Business.industry_code, Business.employees, Business.capital_yen)
        if org_id is not None:
            # An organisation's own pack runs only over businesses it may monitor.
            actor = Actor(
                user_id=None,
                org_id=org_id,
                org_kind=OrgKind.BANK,
                role=Role.OFFICER,
                login=f"org-{org_id}",
            )
            bq = bq.where(
                Business.id.in_(
                    accessible_business_ids(actor, Category.FINANCIALS, Purpose.MONITORING, today)
                )
            )
        biz = s.execute(bq).all()
        ids = [b[0] for b in biz]
        events = (
            s.execute(
                select(
                    CreditEvent.business_id,
                    CreditEvent.loan_id,
                    CreditEvent.kind,
                    CreditEvent.occurred_on,
                    CreditEvent.days_past_due,
                ).where(CreditEvent.business_id.in_(ids))
            ).all()
            if ids
            else []
        )
        loans = (
            s.execute(
                select(
                    Loan.business_id, Loan.balance, Loan.guarantee_ratio_pct, Loan.guarantor_org_id
                ).where(Loan.business_id.in_(ids))
            ).all()
            if ids
            else []
        )
    businesses = pa.table(
        {
            "business_id": pa.array(ids, pa.int64()),
            "industry_code": pa.array([b[1] for b in biz], pa.string()),
            "employees": pa.array([b[2] for b in biz], pa.int32()),
            "capital_yen": pa.array([b[3] for b in biz], pa.int64()),
        }
    )
    ev = pa.table(
        {
            "business_id": pa.array([e[0] for e in events], pa.int64()),
            "loan_id": pa.array([e[1] for e in events], pa.int64()),
            "kind": pa.array(
                [str(e[2].value if hasattr(e[2], "value") else e[2]) for e in events], pa.string()
            ),
            "occurred_on": pa.array([e[3] for e in events], pa.date32()),
            "days_past_due": pa.array([e[4] for e in events], pa.int32()),
        }
    )
    lc = LOAN_COLUMNS  # the loans' columns as run_monitoring reads them
    ln = pa.table(
        {
            lc.business_id: pa.array([x[0] for x in loans], pa.int64()),
            lc.balance: pa.array([x[1] for x in loans], pa.int64()),
            lc.guarantee_ratio_pct: pa.array([x[2] for x in loans], pa.int32()),
            str(lc.guaranteed): pa.array(
                [x[3] is not None and x[2] > 0 for x in loans], pa.bool_()
            ),
        }
    )
    return businesses, ev, ln


def _evidence_json(value: Any) -> str:
    """The engine gives evidence as a JSON string (or a struct); store canonical JSON text."""
    for _ in range(3):  # DuckDB JSON values may arrive as JSON text, possibly quoted once more
        if not isinstance(value, str):
            break
        value = json.loads(value)
    return json.dumps(value or {}, ensure_ascii=False, sort_keys=True, default=str)


def _store_flags(
    s: Session, result: RunResult, pack: Pack, org_id: int | None, run_id: int, evaluated: pa.Array
) -> tuple[int, int, int]:
    ref = pack.ref
    now = datetime.now(UTC)
    prev_rows = s.execute(select(Flag).where(Flag.pack_ref == ref)).scalars().all()
    existing = {(f.business_id, f.rule_id, f.opened_month): f for f in prev_rows}
    previous = pa.table(
        {
            "business_id": pa.array([f.business_id for f in prev_rows], pa.int64()),
            "rule_id": pa.array([f.rule_id for f in prev_rows], pa.string()),
            "opened_month": pa.array([f.opened_month for f in prev_rows], pa.date32()),
            "state": pa.array([FlagState(f.state).value for f in prev_rows], pa.string()),
            "state_reason": pa.array([f.state_reason for f in prev_rows], pa.string()),
            "is_open": pa.array([bool(f.is_open) for f in prev_rows], pa.bool_()),
        }
    )
    merged = carry_over(previous, result.episodes, evaluated, result.as_of).to_pylist()
    opened = closed = 0
    # closings first, flushed before any opening: the unique index allows one open flag per
    # business × pack × rule, and one flush may order its statements otherwise
    merged.sort(key=lambda e: bool(e["is_open"]))
    flushed = False
    for e in merged:
        if e["is_open"] and not flushed:
            s.flush()
            flushed = True
        key = (e["business_id"], e["rule_id"], e["opened_month"])
        f = existing.get(key)
        if e["vanished"]:  # its episode is gone from the corrected history: close it
            assert f is not None
            f.is_open = False
            f.closed_month = max(result.as_of, f.opened_month)
            f.state = FlagState(e["state"])
            f.run_id = run_id
            f.updated_at = now
            closed += 1
            continue
        if e.get("pack") is None:  # a stored open flag of a business outside this run
            continue
        state = FlagState(e["state"])
        fields = {
            "severity": e["severity"],
            "category": e["category"],
            "closed_month": e["closed_month"],
            "is_open": bool(e["is_open"]),
            "last_seen_month": e["closed_month"] or result.as_of,
            "evidence_opened": _evidence_json(e["evidence_opened"]),
            "evidence_latest": _evidence_json(e["evidence_latest"]),
        }
        if f is None:
            s.add(
                Flag(
                    business_id=e["business_id"],
                    org_id=org_id,
                    pack_ref=ref,
                    rule_id=e["rule_id"],
                    opened_month=e["opened_month"],
                    state=state,
                    state_reason=e["state_reason"],
                    run_id=run_id,
                    updated_at=now,
                    **fields,
                )
            )
            opened += 1
        else:
            changed = any(getattr(f, k) != v for k, v in fields.items()) or f.state != state
            if changed:
                if f.is_open and not fields["is_open"]:
                    closed += 1
                for k, v in fields.items():
                    setattr(f, k, v)
                f.state = state
                f.run_id = run_id
                f.updated_at = now
    open_count = sum(1 for e in merged if e.get("is_open") and e.get("pack") is not None)
    return opened, closed, open_count


def _store_summary(s: Session, result: RunResult, pack: Pack, run_id: int) -> None:
    ind = {
        r["business_id"]: r
        for r in result.indicators.select(
            [
                c
                for c in ("business_id", "locaben_rating", "locaben_total")
                if c in result.indicators.column_names
            ]
        ).to_pylist()
    }
    rows = []
    for r in result.summary.to_pylist():
        i = ind.get(r["business_id"], {})
        rows.append(
            {
                "business_id": r["business_id"],
                "pack_ref": pack.ref,
                "as_of_month": result.as_of,
                "open_flags": r["open_flags"],
                "open_critical": r.get("open_critical", 0),
                "open_high": r.get("open_high", 0),
                "open_medium": r.get("open_medium", 0),
                "open_low": r.get("open_low", 0),
                "priority": float(r["priority"] or 0),
                "exposure_yen": int(r["exposure_yen"] or 0),
                "guaranteed_yen": int(r["guaranteed_yen"] or 0),
                "locaben_rating": i.get("locaben_rating"),
                "locaben_total": i.get("locaben_total"),
                "run_id": run_id,
            }
        )
    s.execute(delete(MonitoringSummary).where(MonitoringSummary.pack_ref == pack.ref))
    if rows:
        s.execute(insert(MonitoringSummary), rows)


def _add_new_columns(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Give table ``name`` every column of ``new_rows`` it lacks (NULL in the older rows).

    A file written before an indicator or its percentile (``pct_<indicator>``) existed keeps
    working: its old months read as "no value", the next run fills the new columns.
    """
    have = {r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()}
    for column, typ, *_ in con.execute("DESCRIBE new_rows").fetchall():
        if column not in have:
            con.execute(f'ALTER TABLE {name} ADD COLUMN "{column}" {typ}')


def _store_analytics(path: Path, result: RunResult, pack: Pack) -> None:
    """Indicator values (with peer percentiles) and peer statistics of the as-of month, for the
    pages, into the staged file ``path`` (idempotent: a rerun of the month replaces its rows)."""
    con = duckdb.connect(str(path))
    try:
        for name, table in (("indicator_values", result.indicators), ("peer_stats", result.peers)):
            con.register("new_rows", table)
            exists = con.execute(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ?", [name]
            ).fetchall()[0][0]
            if not exists:
                con.execute(
                    f"CREATE TABLE {name} AS SELECT ?::VARCHAR AS pack_ref, ?::DATE AS as_of, * FROM new_rows WHERE FALSE",
                    [pack.ref, result.as_of],
                )
            else:
                _add_new_columns(con, name)
            con.execute(
                f"DELETE FROM {name} WHERE pack_ref = ? AND as_of = ?", [pack.ref, result.as_of]
            )
            con.execute(
                f"INSERT INTO {name} BY NAME SELECT ?::VARCHAR AS pack_ref, ?::DATE AS as_of, * FROM new_rows",
                [pack.ref, result.as_of],
            )
            con.unregister("new_rows")
    finally:
        con.close()


@dataclass(frozen=True)
class _Evaluated:
    pack: Pack
    org_id: int | None
    run_id: int
    businesses: pa.Table
    result: RunResult


def run_monitoring_job(
    store: Store, settings: Settings, *, month: date | None = None, console: Any = None
) -> list[PackRun]:
    """Run every active pack as one unit (see the module docstring); raises
    :class:`~kizashi.jobs.monitoring_runs.RunInProgress` when another run holds the data
    directory."""
    say = console.print if console is not None else (lambda *_a, **_k: None)
    data_dir = settings.data_dir
    with run_lock(data_dir):
        recovery = recover_runs(store, data_dir)
        if recovery.published:
            say("前回の実行を完了しました: その分析ファイルを使っています")
        for run_id in recovery.failed_runs:
            say(f"実行 {run_id} は以前に中断されていました: 失敗として記録しました")
        token = uuid.uuid4().hex
        staged = stage_analytics(data_dir)
        try:
            evaluated = _evaluate(store, staged, token, month, say)
            mark_staged(staged, token)
            if evaluated:
                say("予兆フラグと要約を保存しています…")
            out = _commit(store, evaluated, token)
        except BaseException as exc:
            try:
                fail_job(store, token, exc)
                recover_runs(store, data_dir)  # discards the staged file: the live one stays
            except Exception:  # the store is unreachable: the next start recovers instead
                pass
            raise
        publish_staged(data_dir)
    for r in out:
        say(
            f"{r.pack_ref}: {format_month(r.as_of) if r.as_of else '—'}時点で "
            f"{r.businesses:,} 事業者、"
            f"未対応の予兆フラグ {r.open_flags:,} 件(新規 {r.flags_opened:,} 件・"
            f"解消 {r.flags_closed:,} 件)"
        )
    return out


def _evaluate(
    store: Store, staged: Path, token: str, month: date | None, say: Any
) -> list[_Evaluated]:
    """Sync the staged panel and evaluate every active pack (nothing committed in the store
    but the ``running`` run records)."""
    data_dir = staged.parent
    say("パネル(事業者ごとの月次データ)を更新しています…")
    sync = sync_panel(store, data_dir, path=staged)
    say(f"パネル: {sync.businesses_changed:,} 事業者を更新({sync.rows_written:,} 行)")
    ensure_default_pack(store)
    panel = read_panel(data_dir, path=staged)
    if panel.num_rows == 0:
        say("月次データがまだありません: モニタリングするものはありません")
        return []
    as_of = month or max(panel.column("month").to_pylist())
    balances = read_loan_balances(data_dir, path=staged)
    out = []
    for pack, org_id in active_packs(store):
        businesses, events, loans = _register_inputs(store, org_id, as_of)
        if businesses.num_rows == 0:
            continue
        say(f"{pack.ref}: {businesses.num_rows:,} 事業者の指標・ルールを計算しています…")
        run_id = start_run(
            store,
            token=token,
            pack_ref=pack.ref,
            org_id=org_id,
            as_of=as_of,
            businesses=businesses.num_rows,
        )
        scoped = (
            panel
            if org_id is None
            else panel.filter(
                pc.is_in(panel.column("business_id"), value_set=businesses.column("business_id"))
            )
        )
        lb = balances
        if lb is not None and org_id is not None:
            lb = lb.filter(
                pc.is_in(lb.column("business_id"), value_set=businesses.column("business_id"))
            )
        result = run_monitoring(
            scoped, businesses, events, pack, as_of, loans=loans, loan_balances=lb
        )
        _store_analytics(staged, result, pack)
        heartbeat(store, token)
        out.append(_Evaluated(pack, org_id, run_id, businesses, result))
    return out


def _commit(store: Store, evaluated: list[_Evaluated], token: str) -> list[PackRun]:
    """One transaction: every pack's flags, summaries, finished run record and audit event."""
    out = []
    with store.session() as s:
        for ev in evaluated:
            pack, result = ev.pack, ev.result
            ids = ev.businesses.column("business_id").combine_chunks()
            opened, closed, open_count = _store_flags(s, result, pack, ev.org_id, ev.run_id, ids)
            _store_summary(s, result, pack, ev.run_id)
            run = s.get(MonitoringRun, ev.run_id)
            assert run is not None and run.token == token
            run.open_flags = open_count
            run.status = RunStatus.FINISHED
            run.finished_at = datetime.now(UTC)
            audit_write(
                s,
                Actor.system(),
                "monitoring_run",
                object_type="monitoring_run",
                object_id=ev.run_id,
                pack=pack.ref,
                as_of=result.as_of.isoformat(),
                opened=opened,
                closed=closed,
            )
            out.append(
                PackRun(
                    pack.ref,
                    ev.org_id,
                    ev.businesses.num_rows,
                    open_count,
                    opened,
                    closed,
                    result.as_of,
                    ev.run_id,
                )
            )
    return out
