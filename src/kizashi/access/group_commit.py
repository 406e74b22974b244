"""Read events of concurrent requests appended together: one write transaction for many pages.

Appends to the audit chain are serialised (SQLite: one writer at a time; PostgreSQL: the chain's
head row is locked until the commit), and every commit waits for the disk. With many users at
once, a transaction per page makes every page queue behind every other page's commit. Here the
requests of one process that arrive while a commit is under way wait for it to finish, and the
next one to proceed (the leader) appends all the records waiting then, in one transaction: one
commit for the group.

Nothing changes for a single request: ``append_reads`` returns only once its records are
committed (a page is rendered after its reads are on the record), and raises if that commit
failed. Each request's records stay together and in order; requests follow one another in the
chain in the order they queued.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from kizashi.store.audit import AuditRecord, append_audit
from kizashi.store.db import Store


@dataclass
class _Ticket:
    records: list[AuditRecord]
    done: bool = False
    error: BaseException | None = None


class GroupCommit:
    """The group commit of one store in this process (see the module's doc)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cv = threading.Condition()
        self._queue: list[_Ticket] = []
        self._flushing = False

    def append(self, records: list[AuditRecord]) -> None:
        if not records:
            return
        ticket = _Ticket(records)
        with self._cv:
            self._queue.append(ticket)
            while self._flushing and not ticket.done:
                self._cv.wait()
            if not ticket.done:  # this request leads the next group: everything waiting now
                self._flushing = True
                group, self._queue = self._queue, []
        if ticket.done:
            if ticket.error is not None:  # the leader's commit failed: so did this request's
                raise RuntimeError("appending the read events failed") from ticket.error
            return
        error: BaseException | None = None
        try:
            with self._store.session() as s:
                for t in group:
                    for record in t.records:
                        append_audit(s, record)
        except BaseException as exc:
            error = exc
        with self._cv:
            for t in group:
                t.done, t.error = True, error
            self._flushing = False
            self._cv.notify_all()
        if error is not None:
            raise error


_BY_STORE: weakref.WeakKeyDictionary[Store, GroupCommit] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def append_reads(store: Store, records: list[AuditRecord]) -> None:
    """Append ``records`` (one request's) to the chain with whatever other requests of this
    process are appending now; return once they are committed."""
    with _LOCK:
        group = _BY_STORE.get(store)
        if group is None:
            group = _BY_STORE[store] = GroupCommit(store)
    group.append(records)
