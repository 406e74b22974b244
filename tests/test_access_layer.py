"""Business data is read through ``kizashi.access`` only (docs/architecture.md "Who reads
business data").

The business-data tables are found, not listed: ``business`` and every table that points at
it through foreign keys, directly or not (statements and their lines, loans and instalments,
credit events, consent grants and requests, flags and responses, bank and invoice data, and
whatever is added later). Outside the packages that may touch them — ``store`` (defines them),
``access`` (reads them for an actor, under consent, audited), ``actions`` (writes them: a write
reads the rows it changes) and the system jobs listed in ``SYSTEM_JOBS`` — no module may import
their ORM classes, import the store's models module whole, import the analytics file's
modules, or carry SQL naming those tables. A page, a command or an API route that needs such
data asks ``kizashi.access`` (a function that takes the actor).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import kizashi.store
from kizashi.store.models import Base
from tests.test_layers import SRC, _imports

# Packages that may read business tables directly.
MAY_READ = {"store", "access", "actions"}
# jobs/ run for the whole store as the system (docs/architecture.md): these modules may read
# business tables; a new job that needs to must be added here deliberately, and must not take
# an actor (what an actor reads goes through kizashi.access).
SYSTEM_JOBS = {
    "kizashi/jobs/demo.py",  # sets up the demo world (fictional institutions and logins)
    "kizashi/jobs/demo_consent.py",  # the demo's grants, requests and 包括同意 (by actions)
    "kizashi/jobs/demo_corrections.py",  # the demo's late correction: which month to re-submit
    "kizashi/jobs/demo_flags.py",  # the demo's responses to flags (by actions): which flags
    "kizashi/jobs/demo_loans.py",  # the demo's loans and credit events (by actions): which loans
    "kizashi/jobs/demo_referrals.py",  # the demo's referrals (by actions): which owner to ask
    "kizashi/jobs/demo_support.py",  # the demo's cases and dialogue records (by actions)
    "kizashi/jobs/monitoring.py",  # a monitoring run over every business (or an org's pack)
    "kizashi/jobs/panel_sync.py",  # store → analytics panel for every changed business
    "kizashi/jobs/portfolio_load.py",  # synthetic portfolio → store in bulk
    "kizashi/jobs/run_inputs.py",  # a run's businesses, credit events and loans (every business)
    "kizashi/jobs/synth_export.py",  # synthetic portfolio → accounting files
    "kizashi/jobs/monitoring_runs.py",  # run records, recovery of an interrupted run
    "kizashi/jobs/money_sync.py",  # store → analytics file: bank transactions, invoices
    "kizashi/jobs/risk_model.py",  # train and score the risk model over the whole panel
    "kizashi/jobs/risk_bank.py",  # the bank features the risk model trains on (every business)
    "kizashi/jobs/risk_history.py",  # the panel history the risk model trains on (every business)
}
# The analytics file holds business data too (panel, indicator values, bank transactions).
ANALYTICS_MODULES = ("kizashi.store.analytics", "kizashi.store.risk_scores")


def _business_tables() -> set[str]:
    for mod in pkgutil.walk_packages(kizashi.store.__path__, "kizashi.store."):
        if ".migrations" not in mod.name:
            importlib.import_module(mod.name)  # every module that maps tables on Base
    tables = Base.metadata.tables
    found = {"business"}
    grown = True
    while grown:
        grown = False
        for t in tables.values():
            if t.name not in found and any(fk.column.table.name in found for fk in t.foreign_keys):
                found.add(t.name)
                grown = True
    return found


BUSINESS_TABLES = _business_tables()
BUSINESS_CLASSES = {
    m.class_.__name__ for m in Base.registry.mappers if m.local_table.name in BUSINESS_TABLES
}
_SQL = re.compile(
    r"\b(from|join|update|into)\s+\"?(" + "|".join(sorted(BUSINESS_TABLES)) + r")\b\"?",
    re.IGNORECASE,
)


def _outside(path: Path) -> bool:
    rel = path.relative_to(SRC.parent).as_posix()
    package = rel.split("/")[1] if "/" in rel[len("kizashi/") :] else None
    return package not in MAY_READ and rel not in SYSTEM_JOBS


def test_the_business_tables_are_found() -> None:
    """The closure finds the tables everyone knows are business data (the test can fail)."""
    assert {"business", "statement", "statement_line", "loan", "repayment_instalment"} <= (
        BUSINESS_TABLES
    )
    assert {"consent_grant", "credit_event", "flag", "monitoring_summary"} <= BUSINESS_TABLES
    assert {"user_account", "organisation", "audit_event", "web_session"}.isdisjoint(
        BUSINESS_TABLES
    )
    assert {"Business", "Loan", "Flag", "ConsentGrant", "StatementLine"} <= BUSINESS_CLASSES


def _problems(path: Path) -> list[str]:
    rel = path.relative_to(SRC.parent).as_posix()
    tree = ast.parse(path.read_text("utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kizashi.store"):
            mod = node.module or ""
            for alias in node.names:
                if alias.name in BUSINESS_CLASSES or alias.name == "*":
                    out.append(f"{rel}:{node.lineno}: imports {alias.name} from {mod}")
                if mod == "kizashi.store" and alias.name in ("models", "analytics"):
                    out.append(f"{rel}:{node.lineno}: imports kizashi.store.{alias.name}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            m = _SQL.search(node.value)
            if m:
                out.append(f"{rel}:{node.lineno}: SQL on {m.group(2)}")
    for line, mod in _imports(path):
        if mod == "kizashi.store.models" and any(
            isinstance(n, ast.Import) and n.lineno == line for n in ast.walk(tree)
        ):
            out.append(f"{rel}:{line}: imports kizashi.store.models whole")
        if mod.startswith(ANALYTICS_MODULES):
            out.append(f"{rel}:{line}: imports {mod} (business data in the analytics file)")
    return out


def test_business_tables_are_read_through_access_only() -> None:
    problems = [p for path in sorted(SRC.rglob("*.py")) if _outside(path) for p in _problems(path)]
    assert not problems, (
        "business data read outside kizashi.access (add a read to kizashi/access/reads.py, or "
        "for a system job list it in SYSTEM_JOBS):\n" + "\n".join(problems)
    )


def test_the_check_catches_a_violation(tmp_path: Path) -> None:
    """A web module importing Loan, or running SQL on flags, is reported."""
    fake = SRC / "web" / "_layer_probe.py"
    assert not fake.exists()
    try:
        fake.write_text(
            "from kizashi.store.models import Loan, User\nQ = 'SELECT * FROM flag WHERE id = 1'\n",
            "utf-8",
        )
        found = _problems(fake)
    finally:
        fake.unlink()
    assert any("imports Loan" in p for p in found)
    assert not any("imports User" in p for p in found)
    assert any("SQL on flag" in p for p in found)


def _actor_uses(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    """Lines where ``actor`` is used other than as an argument of a ``do_*`` action (the
    author of a write it records)."""
    passed: set[int] = set()
    for call in ast.walk(fn):
        if isinstance(call, ast.Call):
            f = call.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name.startswith("do_"):
                for arg in (*call.args, *(k.value for k in call.keywords)):
                    if isinstance(arg, ast.Name) and arg.id == "actor":
                        passed.add(id(arg))
    return [
        n.lineno
        for n in ast.walk(fn)
        if isinstance(n, ast.Name) and n.id == "actor" and id(n) not in passed
    ]


def test_system_jobs_exist_and_work_for_nobody() -> None:
    """The allowlist names real modules (a renamed job is not silently exempt), and a system
    job reads for the whole store, never for a person: an ``actor`` it takes only signs the
    writes it hands to ``do_*`` actions."""
    problems = []
    for rel in sorted(SYSTEM_JOBS):
        path = SRC.parent / rel
        assert path.exists(), rel
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
                if "actor" in names:
                    problems += [
                        f"{rel}:{line}: {node.name} uses its actor beyond signing a do_* action"
                        for line in _actor_uses(node)
                    ]
    assert not problems, (
        "a job that works for a person reads through kizashi.access:\n" + "\n".join(problems)
    )


def test_an_actor_used_to_read_is_caught() -> None:
    code = (
        "def job(store, actor):\n    do_record(s, actor, x=1)\n    return read_flags(s, actor, 1)\n"
    )
    fn = ast.parse(code).body[0]
    assert isinstance(fn, ast.FunctionDef)
    assert _actor_uses(fn) == [3]
