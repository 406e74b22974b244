"""Read events of concurrent requests appended together: each request's records committed when
``append_reads`` returns, kept together and in order, in fewer transactions than requests."""

from __future__ import annotations

import threading

from sqlalchemy import event, select

from kizashi.access.group_commit import append_reads
from kizashi.store.audit import AuditRecord, verify_chain
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent


def test_concurrent_requests_share_commits(store: Store) -> None:
    requests, per_request = 24, 3
    commits = 0

    def count(_conn: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(store.engine, "commit", count)
    start = threading.Barrier(requests)
    seen_committed: list[bool] = []

    def request(i: int) -> None:
        records = [
            AuditRecord(action="read_business_page", decision="allow", object_id=f"{i}:{k}")
            for k in range(per_request)
        ]
        start.wait()
        append_reads(store, records)
        with store.read_session() as s:  # committed once append_reads has returned
            ids = s.execute(
                select(AuditEvent.object_id).where(AuditEvent.object_id.like(f"{i}:%"))
            ).scalars()
            seen_committed.append(len(list(ids)) == per_request)

    threads = [threading.Thread(target=request, args=(i,)) for i in range(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    event.remove(store.engine, "commit", count)
    assert seen_committed == [True] * requests
    with store.read_session() as s:
        order = list(s.execute(select(AuditEvent.object_id).order_by(AuditEvent.id)).scalars())
        checked, problems = verify_chain(s)
    assert problems == [] and checked == requests * per_request
    # Each request's records are adjacent and in order.
    for i in range(requests):
        at = order.index(f"{i}:0")
        assert order[at : at + per_request] == [f"{i}:{k}" for k in range(per_request)]
    assert commits < requests  # some requests shared a commit
