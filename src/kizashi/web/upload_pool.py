"""Uploads analysed off the event loop, each in its own worker process (ADR 0006).

An upload goes through three steps, none of them on the event loop (the route awaits a
thread that waits for a process):

1. a short transaction reads what the analysis needs — the confirmations remembered for the
   business and a saved column mapping — after the upload decision (``decide_upload``, pure;
   a refused actor skips the analysis and gets the audited 404 of step 3);
2. the analysis (``analyse_remembered``) runs in a fresh process forked from a fork server:
   its address space is capped with ``resource.setrlimit`` (``upload_worker_memory_mb``), it
   is killed after ``upload_timeout_seconds``, and at most ``upload_workers`` run at once;
   the memory it used goes back to the system when it exits;
3. ``do_import_submission`` stores the result atomically, as before, with the report of
   step 2 (a new analysis in the worker only if the confirmations changed in between).

No database connection or transaction is held while a file is analysed. A worker that runs
out of memory, crashes or overruns becomes a located error in the report, never a 500.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI

from kizashi.access import Actor
from kizashi.access.reads import upload_target_if_allowed
from kizashi.actions.mappings import load_column_preset, load_confirmations
from kizashi.actions.submissions import ImportOutcome, analyse_remembered, do_import_submission
from kizashi.ingest import ColumnMapping, IngestError, LimitExceeded, Report
from kizashi.ingest.limits import limits_of
from kizashi.settings import Settings
from kizashi.store.db import Store

_CONTEXT = multiprocessing.get_context("forkserver")
# The fork server imports the analysis once; each upload's process is a cheap fork of it.
_CONTEXT.set_forkserver_preload([__name__])


class WorkerFailed(Exception):
    """The worker ran out of memory or time, crashed, or none was free."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _child(conn: Connection, memory_bytes: int, fn: Callable[..., Any], args: tuple) -> None:
    """Runs in the worker process: cap the memory, run, send back ("ok"|"error"|…, value)."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        try:
            conn.send(("ok", fn(*args)))
        except IngestError as exc:
            conn.send(("error", exc))
        except MemoryError:
            conn.send(("memory", None))
    except MemoryError:
        pass  # nothing can be sent; the parent sees the pipe close
    finally:
        conn.close()


class UploadPool:
    """At most ``workers`` analyses at once, each in a fresh, capped, killable process."""

    def __init__(self, workers: int, memory_bytes: int, timeout_seconds: float) -> None:
        self.memory_bytes = memory_bytes
        self.timeout = timeout_seconds
        self._slots = threading.BoundedSemaphore(workers)

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker; blocks the calling thread (never the event loop)."""
        if not self._slots.acquire(timeout=self.timeout):
            raise WorkerFailed("upload.busy")
        try:
            return self._run(fn, args)
        finally:
            self._slots.release()

    def _run(self, fn: Callable[..., Any], args: tuple) -> Any:
        receive, send = _CONTEXT.Pipe(duplex=False)
        process = _CONTEXT.Process(
            target=_child, args=(send, self.memory_bytes, fn, args), daemon=True
        )
        process.start()
        send.close()
        try:
            if not receive.poll(self.timeout):
                raise WorkerFailed("upload.timeout")
            try:
                kind, value = receive.recv()
            except (EOFError, OSError) as exc:  # killed (the kernel's OOM killer) or crashed
                raise WorkerFailed("upload.memory_limit") from exc
        finally:
            receive.close()
            if process.is_alive():
                process.kill()
            process.join()
        if kind == "ok":
            return value
        if kind == "error":
            raise value
        raise WorkerFailed("upload.memory_limit")


def pool_for(app: FastAPI, settings: Settings) -> UploadPool:
    """The app's pool, made on first use."""
    pool = getattr(app.state, "upload_pool", None)
    if pool is None:
        pool = UploadPool(
            settings.upload_workers,
            settings.upload_worker_memory_mb * 1024 * 1024,
            settings.upload_timeout_seconds,
        )
        app.state.upload_pool = pool
    return pool


@dataclass(frozen=True)
class UploadOptions:
    format: str | None = None
    fiscal_year_start_month: int | None = None
    column_mapping: str | None = None
    dry_run: bool = False
    confirm_other_company: bool = False  # the file names another company: store it anyway


def _refusal(exc: WorkerFailed, pool: UploadPool, filename: str) -> LimitExceeded:
    if exc.code == "upload.memory_limit":
        return LimitExceeded(exc.code, file=filename, limit_bytes=pool.memory_bytes)
    return LimitExceeded(exc.code, file=filename, limit=int(pool.timeout))


async def import_upload(
    app: FastAPI,
    store: Store,
    settings: Settings,
    actor: Actor,
    business_id: int,
    files: Sequence[tuple[bytes, str]],
    options: UploadOptions,
) -> ImportOutcome:
    """``run_import`` in a thread of the uploads' own limiter: uploads waiting for a worker
    never take the threads the other (sync) routes run in."""
    limiter = getattr(app.state, "upload_limiter", None)
    if limiter is None:
        limiter = app.state.upload_limiter = CapacityLimiter(4 * settings.upload_workers)
    return await to_thread.run_sync(
        run_import, app, store, settings, actor, business_id, files, options, limiter=limiter
    )


def run_import(
    app: FastAPI,
    store: Store,
    settings: Settings,
    actor: Actor,
    business_id: int,
    files: Sequence[tuple[bytes, str]],
    options: UploadOptions,
) -> ImportOutcome:
    """Analyse in a worker, then store through ``do_import_submission``. Call in a thread."""
    pool = pool_for(app, settings)
    limits = limits_of(settings)
    first_name = files[0][1] if files else ""
    prepared = _prepare(store, actor, business_id, options)
    analyser = None
    mapping: ColumnMapping | str | None = options.column_mapping
    if prepared is not None:
        remembered, fy, preset = prepared
        mapping = preset

        def analyse(now: Mapping[str, Mapping[str, str]]) -> Report:
            args = (now, files, options.format, fy, preset, None, limits)
            try:
                return pool.run(analyse_remembered, *args)
            except WorkerFailed as exc:
                raise _refusal(exc, pool, first_name) from None

        try:
            ready: Report | IngestError = analyse(remembered)
        except IngestError as exc:
            ready = exc

        def analyser(now: Mapping[str, Mapping[str, str]]) -> Report:
            if now != remembered:  # confirmed by someone in the meantime: analyse again
                return analyse(now)
            if isinstance(ready, IngestError):
                raise ready
            return ready

    with store.session() as s:
        return do_import_submission(
            s,
            actor,
            business_id=business_id,
            files=files,
            raw_dir=settings.raw_dir,
            format=options.format,
            fiscal_year_start_month=options.fiscal_year_start_month,
            column_mapping=mapping,
            dry_run=options.dry_run,
            max_bytes=settings.max_upload_bytes,
            limits=limits,
            analyser=analyser,
            confirm_other_company=options.confirm_other_company,
        )


def _prepare(
    store: Store, actor: Actor, business_id: int, options: UploadOptions
) -> tuple[dict[str, dict[str, str]], int, ColumnMapping | None] | None:
    """What the worker needs, or None when the actor may not upload (or the preset is bad):
    then ``do_import_submission`` answers as it always has (audited 404, located error)."""
    with store.session() as s:
        business = upload_target_if_allowed(s, actor, business_id)
        if business is None:
            return None
        fy = options.fiscal_year_start_month or business.fiscal_year_end_month % 12 + 1
        try:
            mapping = (
                load_column_preset(s, actor, options.column_mapping)
                if options.column_mapping
                else None
            )
        except (IngestError, ValueError, LookupError):
            return None
        return load_confirmations(s, business_id), fy, mapping
