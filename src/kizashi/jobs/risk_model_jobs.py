"""Training the risk model as a job requested from a page or the API.

A request records a ``queued`` row (``do_request_training``) and ``start_training`` starts
``kizashi model run-job <id>`` as a separate process in its own session: the training (minutes)
survives the request, the web worker that served it and a restart of the server. The process
claims the row (``queued`` → ``running``: one process wins, even with several web workers),
trains the requesting organisation's own model on what it may read (``risk_model.train`` with
the job's ``org_id``, ADR 0010: the new version is saved inactive, owned and audited) and
records ``finished`` with the version or ``failed`` with the reason; its output goes to
``<data_dir>/models/jobs/<id>.log``. A ``running`` job whose process died is marked failed when
the next one is requested or the jobs are listed.

Why a process and not a thread or a job row polled by the web workers: a thread dies with the
worker (uvicorn recycles them), and a poller needs every worker to run one. The child process
gets the app's settings as ``KIZASHI_*`` variables, so it opens the same store and data
directory as the app that started it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.org_models import training_scope
from kizashi.actions.risk_admin import do_claim_training_job, do_finish_training_job
from kizashi.model.pipeline import NotEnoughHistory
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import User
from kizashi.store.risk_admin_models import RiskModelJob

from . import risk_model

RUNNER = "from kizashi.cli.main import main; main()"


def settings_env(settings: Settings, database_url: str | None = None) -> dict[str, str]:
    """The settings as the ``KIZASHI_*`` environment a child process reads them from (the
    database: ``database_url``, the app's store, when given)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        key = f"KIZASHI_{name.upper()}"
        env[key] = value if isinstance(value, str) else json.dumps(value)
    env["KIZASHI_DATABASE_URL"] = database_url or settings.resolved_database_url
    return env


def log_path(data_dir: Path, job_id: int) -> Path:
    return data_dir / "models" / "jobs" / f"{job_id}.log"


def start_training(settings: Settings, store: Store, job_id: int) -> subprocess.Popen[bytes]:
    """Start the process that runs job ``job_id`` on ``store`` (it is not waited for)."""
    log = log_path(settings.data_dir, job_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIZASHI_")}
    env.update(settings_env(settings, store.url))
    with log.open("ab") as out:
        proc = subprocess.Popen(  # our own interpreter and module, no shell
            [sys.executable, "-c", RUNNER, "model", "run-job", str(job_id)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    threading.Thread(target=proc.wait, daemon=True).start()  # reaped when it ends
    return proc


def run_training_job(store: Store, settings: Settings, job_id: int) -> str | None:
    """Claim and run job ``job_id`` in this process; the version it saved (None: not claimed,
    or the training failed: the reason is on the job)."""
    with store.session() as s:
        job = s.get(RiskModelJob, job_id)
        if job is None:
            return None
        user = (
            s.execute(select(User).where(User.id == job.requested_by_user_id)).scalar_one_or_none()
            if job.requested_by_user_id is not None
            else None
        )
        actor = Actor.from_user(user) if user is not None else Actor.system()
        options = (job.cutoff, job.test_months, job.calibration)
        org_id = job.org_id  # the requesting administrator's organisation: its own model
        if not do_claim_training_job(
            s, actor, job_id=job_id, host=socket.gethostname(), pid=os.getpid()
        ):
            return None
    cutoff, test_months, calibration = options
    try:
        scope = None
        if org_id is not None:  # what the organisation may read, as its administrator (audited)
            with store.session() as s:
                scope = training_scope(s, actor, org_id)
        version, _meta = risk_model.train(
            store,
            settings,
            actor,
            cutoff=cutoff,
            test_months=test_months,
            calibration=calibration,
            scope=scope,
        )
    except NotEnoughHistory as exc:
        where = f"基準月 {exc.cutoff} より前に" if exc.cutoff else ""
        error = (
            f"学習できません: {where}12か月後の結果がわかっていて事象を含む学習データがありません"
            "(検証月数に加えて、13か月以上の月次データと信用事象の履歴が必要です)"
        )
    except ValueError as exc:  # no panel yet (the message is Japanese)
        error = f"学習できません: {exc}"
    except duckdb.IOException:  # no analytics file: no monitoring run yet
        error = "学習できません: 月次データがまだありません(kizashi run でパネルを作ってください)"
    except Exception as exc:  # recorded on the job, then raised for the log
        with store.session() as s:
            do_finish_training_job(
                s, actor, job_id=job_id, error=f"学習中にエラーが起きました({type(exc).__name__})"
            )
        raise
    else:
        with store.session() as s:
            do_finish_training_job(s, actor, job_id=job_id, version=version)
        return version
    with store.session() as s:
        do_finish_training_job(s, actor, job_id=job_id, error=error)
    return None
