"""``kizashi ingest`` and ``kizashi run`` killed by SIGKILL at random points (seeded), on each
backend: nothing half-stored, the audit chain intact, the rerun idempotent, no run left
unfinished (``tests/jobs/faults.py`` says how; ``bench/bench_fault_injection.py`` does 100)."""

from __future__ import annotations

from .faults import ingest_trial, run_trial, setup_lab, summarise

TRIALS = 1  # of each command per backend: a run trial is ~20 s of real processes on 2 cores


def test_killed_ingest_and_run_leave_the_store_whole(store, settings, tmp_path):
    lab = setup_lab(store, settings, tmp_path / "work", seed=7)
    trials = []
    for _ in range(TRIALS):
        trials.append(ingest_trial(lab))
        trials.append(run_trial(lab, further_run=False))
    report = summarise(trials)
    assert report["failures"] == 0, report
