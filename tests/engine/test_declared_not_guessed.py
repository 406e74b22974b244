"""What the executor reads is declared: loan columns by ``LoanColumns``, indicators by their
declarations' fields (never by id), the executor chosen once."""

from __future__ import annotations

import ast
from pathlib import Path

import pyarrow as pa
import pytest

from kizashi.domain.panel import LOAN_COLUMNS, LoanColumns
from kizashi.engine.exec.executors import ArrayExecutor, SqlExecutor, executor_for
from kizashi.engine.exec.run import run_monitoring
from kizashi.engine.spec.indicators import load_indicators, rated_total
from kizashi.engine.spec.packs import load_pack_text

from .panels import month, row, table

EXEC = Path(__file__).resolve().parents[2] / "src" / "kizashi" / "engine" / "exec"

PACK = """\
pack: {id: test.small, version: "1"}
rules:
  - id: test.small_sales
    title: {ja: 売上が小さい, en: Small sales}
    explanation: {ja: "売上 {value:,.0f} 円", en: "sales {value:,.0f}"}
    category: 収益性
    source: 試算表
    severity: medium
    next_step: {ja: 連絡, en: Call}
    support: 確認
    condition: sales < 100
    evidence: {value: sales}
"""
BIZ = pa.table(
    {
        "business_id": pa.array([7, 8], pa.int64()),
        "industry_code": ["09", "09"],
        "employees": pa.array([1, 1], pa.int32()),
    }
)


def _run(loans: pa.Table, columns: LoanColumns = LOAN_COLUMNS) -> dict[int, dict]:
    panel = table([row(b, i, sales=50) for b in (7, 8) for i in range(3)])
    res = run_monitoring(panel, BIZ, None, load_pack_text(PACK), loans=loans, loan_columns=columns)
    return {r["business_id"]: r for r in res.summary.to_pylist()}


def _loans(**cols: list) -> pa.Table:
    return pa.table({"business_id": pa.array([7, 7, 8], pa.int64()), **cols})


def test_exposure_reads_the_declared_columns_only():
    """A decoy column the old guess preferred (``balance_end`` before ``balance``) is ignored."""
    loans = _loans(
        balance=pa.array([10_000_000, 5_000_000, 2_000_000], pa.int64()),
        balance_end=pa.array([1, 1, 1], pa.int64()),  # not the declared balance
        guarantee_ratio_pct=pa.array([80, None, 100], pa.int32()),
        guaranteed=[True, False, True],
    )
    s = _run(loans)
    assert s[7]["exposure_yen"] == 15_000_000 and s[8]["exposure_yen"] == 2_000_000
    # 80 % of the guaranteed loan; the unguaranteed one counts nothing
    assert s[7]["guaranteed_yen"] == 8_000_000 and s[8]["guaranteed_yen"] == 2_000_000


def test_other_names_are_declared_by_the_caller():
    loans = _loans(
        outstanding=pa.array([3_000_000, 1_000_000, 500_000], pa.int64()),
        pct=pa.array([100, 80, None], pa.int32()),
    )
    s = _run(
        loans,
        LoanColumns(balance="outstanding", guarantee_ratio_pct="pct", guaranteed=None),
    )
    assert s[7]["exposure_yen"] == 4_000_000 and s[7]["guaranteed_yen"] == 3_800_000
    assert s[8]["guaranteed_yen"] == 500_000  # NULL ratio counts 100 %


def test_a_loans_table_without_the_declared_balance_is_an_error_not_zero_exposure():
    loans = _loans(
        outstanding_yen=pa.array([3_000_000, 1_000_000, 500_000], pa.int64()),
        guarantee_ratio_pct=pa.array([100, 80, 100], pa.int32()),
        guaranteed=[True, True, True],
    )
    with pytest.raises(ValueError, match="loans: no column balance"):
        _run(loans)


def _string_literals(path: Path) -> set[str]:
    return {
        n.value
        for n in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_the_executor_knows_no_indicator_by_name():
    ids = {i.id for i in load_indicators()}
    named = {
        f"{path.name}: {lit}"
        for path in EXEC.glob("*.py")
        for lit in _string_literals(path)
        if lit in ids
    }
    assert not named, f"engine/exec names indicators (declare it in spec instead): {named}"
    assert rated_total(load_indicators()).sum_of  # the rating's total found by its declaration


def test_run_monitoring_chooses_the_executor_once():
    """No ``windows == …`` branches in run.py: the executors differ, run.py does not."""
    tree = ast.parse((EXEC / "run.py").read_text("utf-8"))
    compared = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Compare)
        and any(isinstance(x, ast.Name) and x.id == "windows" for x in [n.left, *n.comparators])
    ]
    assert not compared, f"run.py branches on windows at lines {compared}"
    assert isinstance(executor_for("numpy"), ArrayExecutor)
    assert isinstance(executor_for("sql"), SqlExecutor)
    with pytest.raises(ValueError, match="windows must be one of"):
        executor_for("pandas")


def test_both_executors_give_the_same_summary_with_loans():
    loans = _loans(
        balance=pa.array([10_000_000, 5_000_000, 2_000_000], pa.int64()),
        guarantee_ratio_pct=pa.array([80, None, 100], pa.int32()),
        guaranteed=[True, False, True],
    )
    panel = table([row(b, i, sales=50 + i) for b in (7, 8) for i in range(14)])
    a, b = (
        run_monitoring(panel, BIZ, None, loans=loans, history=True, windows=w)
        for w in ("numpy", "sql")
    )
    for name in ("indicators", "firings", "episodes", "summary", "peers"):
        assert getattr(a, name).equals(getattr(b, name)), name
    assert month(13) == a.as_of
