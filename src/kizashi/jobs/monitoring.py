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

The job computes; the store writes are actions (``kizashi.actions.monitoring``): the default
pack's row, each run's record, and ``do_record_run`` for each pack's flags, summaries, finished
run record and audit event. The analytics file's tables are declared in
``store.analytics_schema``.

The job is one unit (``jobs.monitoring_runs``): one run at a time per data directory; every
pack is evaluated first, with the panel and the analytics outputs written to a staged copy of
the analytics file; then one store transaction records every pack's run (``do_record_run``
per pack, all in the same unit of work); then the staged file replaces the live one. A crash before the
commit leaves the store and the live file as they were (the next start marks the run failed);
a crash after it is completed by the next start. Running the same month twice changes nothing
the second time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.monitoring import do_install_default_pack, do_record_run
from kizashi.domain.calendar import format_month
from kizashi.engine.exec.bank_features import compute_bank_features
from kizashi.engine.exec.run import RunResult, run_monitoring
from kizashi.engine.spec.packs import Pack, default_pack, load_pack_text
from kizashi.settings import Settings
from kizashi.store.analytics import mark_staged, publish_staged, stage_analytics
from kizashi.store.analytics_schema import (
    BANK_TRANSACTIONS,
    INDICATOR_VALUES,
    INVOICE_PAYMENTS,
    INVOICES,
    OPEN_ITEMS,
    PEER_STATS,
    write_run_output,
)
from kizashi.store.db import Store
from kizashi.store.models import Loan, RepaymentInstalment, RulePack

from .money_sync import read_money_table, sync_money
from .monitoring_runs import fail_job, heartbeat, recover_runs, run_lock, start_run
from .panel_sync import read_loan_balances, read_panel, sync_panel
from .risk_model import score_run
from .run_inputs import read_plan_targets, register_inputs


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
    with store.session() as s:
        return do_install_default_pack(s, Actor.system())


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


def _store_analytics(path: Path, result: RunResult, pack: Pack) -> None:
    """Indicator values (with peer percentiles) and peer statistics of the as-of month, for the
    pages, into the staged file ``path`` (idempotent: a rerun of the month replaces its rows)."""
    con = duckdb.connect(str(path))
    try:
        write_run_output(con, INDICATOR_VALUES, pack.ref, result.as_of, result.indicators)
        write_run_output(con, PEER_STATS, pack.ref, result.as_of, result.peers)
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
    money = sync_money(store, data_dir, path=staged)
    say(
        f"入出金明細: {money.transactions_added:,} 件を追加、請求書・売掛金・買掛金: "
        f"{money.businesses_rewritten:,} 事業者を更新"
    )
    ensure_default_pack(store)
    panel = read_panel(data_dir, path=staged)
    if panel.num_rows == 0:
        say("月次データがまだありません: モニタリングするものはありません")
        return []
    as_of = month or max(panel.column("month").to_pylist())
    balances = read_loan_balances(data_dir, path=staged)
    bank = _bank_features(store, staged, panel, as_of)
    if bank is not None:
        say(f"入出金明細の特徴量: {bank.num_rows:,} 行(事業者 × 月)")
    plans = read_plan_targets(store)  # sparse: the businesses with a monthly plan only
    out = []
    for pack, org_id in active_packs(store):
        businesses, events, loans = register_inputs(store, org_id, as_of)
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
        bf = bank
        if bf is not None and org_id is not None:
            bf = bf.filter(
                pc.is_in(bf.column("business_id"), value_set=businesses.column("business_id"))
            )
        pt = plans
        if pt is not None and org_id is not None:
            pt = pt.filter(
                pc.is_in(pt.column("business_id"), value_set=businesses.column("business_id"))
            )
        result = run_monitoring(
            scoped,
            businesses,
            events,
            pack,
            as_of,
            loans=loans,
            loan_balances=lb,
            bank_features=bf,
            plan_targets=pt,
        )
        _store_analytics(staged, result, pack)
        # the active risk models (the deployment's, each organisation's) score the shared run
        if org_id is None and (
            scored := score_run(staged, data_dir, result, events, bf, store=store)
        ):
            say(f"リスクモデル {scored} で採点しました")
        heartbeat(store, token)
        out.append(_Evaluated(pack, org_id, run_id, businesses, result))
    return out


def _bank_features(store: Store, staged: Path, panel: pa.Table, as_of: date) -> pa.Table | None:
    """The bank features (``engine.exec.bank_features``) from the staged analytics file's money
    tables and the store's repayment schedules; None when no bank transaction is stored."""
    tx = read_money_table(staged.parent, BANK_TRANSACTIONS.name, path=staged)
    if tx.num_rows == 0:
        return None
    inv = read_money_table(staged.parent, INVOICES.name, path=staged)
    oi = read_money_table(staged.parent, OPEN_ITEMS.name, path=staged)
    pay = read_money_table(staged.parent, INVOICE_PAYMENTS.name, path=staged)
    with store.read_session() as s:
        rows = s.execute(
            select(
                Loan.business_id,
                RepaymentInstalment.due_date,
                RepaymentInstalment.principal,
                RepaymentInstalment.interest,
                RepaymentInstalment.paid_on,
            ).join(Loan, Loan.id == RepaymentInstalment.loan_id)
        ).all()
    inst = pa.table(
        {
            "business_id": pa.array([r[0] for r in rows], pa.int64()),
            "due_date": pa.array([r[1] for r in rows], pa.date32()),
            "principal": pa.array([r[2] for r in rows], pa.int64()),
            "interest": pa.array([r[3] for r in rows], pa.int64()),
            "paid_on": pa.array([r[4] for r in rows], pa.date32()),
        }
    )
    return compute_bank_features(
        tx,
        as_of,
        invoices=inv if inv.num_rows else None,
        open_items=oi if oi.num_rows else None,
        payments=pay if pay.num_rows else None,
        panel=panel,
        instalments=inst,
    )


def _commit(store: Store, evaluated: list[_Evaluated], token: str) -> list[PackRun]:
    """One transaction: every pack's run recorded (flags, summaries, finished run record and
    audit event, ``do_record_run``)."""
    out = []
    system = Actor.system()
    with store.session() as s:
        for ev in evaluated:
            done = do_record_run(
                s,
                system,
                run_id=ev.run_id,
                token=token,
                pack=ev.pack,
                org_id=ev.org_id,
                result=ev.result,
                evaluated=ev.businesses.column("business_id").combine_chunks(),
            )
            out.append(
                PackRun(
                    ev.pack.ref,
                    ev.org_id,
                    ev.businesses.num_rows,
                    done.open_flags,
                    done.opened,
                    done.closed,
                    ev.result.as_of,
                    ev.run_id,
                )
            )
    return out
