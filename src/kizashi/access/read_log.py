"""One audit event per request: the reads of a page collected, written when its work ends.

A business page reads several data categories (profile, financials, loans, flags). Each read
is still decided on its own by ``access_business_by_id``; what changes is the record. Inside
``audited_reads`` an allowed read is noted in the request's ``ReadLog`` instead of being
appended to the chain at once, and the log is written as **one** ``allow`` event that names
every section read (its action, category and reason). A refused section stays its own ``deny``
event, as everywhere else.

The reads run in a read-only unit of work (``Store.read_session``: on SQLite it takes no write
lock, so pages do not queue behind each other); the events are then appended in one short
write unit of work, shared with the other requests of the process appending at that moment
(``group_commit``), and only after that commits does the caller render anything.

Decisions are also remembered for the request: a page that reads a category twice (the monthly
figures and the indicators are both ``financials``) asks the consent tables once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.audit import AuditRecord
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent

from .actor import Actor
from .group_commit import append_reads

T = TypeVar("T")
_KEY = "kizashi.read_log"


@dataclass
class ReadLog:
    """The reads of one request by one actor about one business (see the module's doc)."""

    actor: Actor
    business_id: int
    purpose: Purpose
    action: str
    sections: list[dict[str, str]] = field(default_factory=list)
    denials: list[AuditRecord] = field(default_factory=list)
    # (business, category, purpose or None for uploads) → (business, the rule's reason or None)
    decisions: dict[tuple[int, Category, Purpose | None], Any] = field(default_factory=dict)
    session: Session = field(init=False)  # the read-only unit of work the reads run in

    def allowed(self, record: AuditRecord) -> None:
        """Called by ``access_business_by_id`` for an allowed read inside ``collect_reads``."""
        section = {
            "action": record.action,
            "category": record.category or "",
            "reason": str(record.detail.get("reason", "")),
        }
        if record.business_id != self.business_id:
            section["business_id"] = str(record.business_id)
        self.sections.append(section)

    def section(self, read: Callable[[], T]) -> T | None:
        """Run one optional section's read: None when it is refused (the denial is kept as
        its own event and written with the rest; the page still renders)."""
        try:
            return read()
        except NotFound as exc:
            record = getattr(exc, "pending_audit", None)
            if record is None:
                raise  # not a refusal of this section: the request fails as a whole
            self.denials.append(record)
            exc.pending_audit = None
            return None

    def records(self) -> list[AuditRecord]:
        """What ``collect_reads`` appends: each denial, then one event naming the sections read
        (its ``category`` the categories read, comma-separated). A page that reads more
        categories than the column holds (``CATEGORY_CHARS``) gets one event per group of
        categories that fits, each naming its own sections: nothing is cut off."""
        out = list(self.denials)
        if not self.sections:
            return out
        groups = _groups(list(dict.fromkeys(s["category"] for s in self.sections if s["category"])))
        for i, categories in enumerate(groups or [[]]):
            sections = [
                s
                for s in self.sections
                if s["category"] in categories or (i == 0 and not s["category"])
            ]
            out.append(
                AuditRecord(
                    action=self.action,
                    decision="allow",
                    actor_user_id=self.actor.user_id,
                    actor_org_id=self.actor.org_id,
                    business_id=self.business_id,
                    category=",".join(categories) or None,
                    purpose=self.purpose.value,
                    object_type="business",
                    object_id=str(self.business_id),
                    detail={"login": self.actor.login, "sections": sections},
                )
            )
        return out


# audit_event.category's length: a joined list of categories longer than this is split
CATEGORY_CHARS: int = getattr(AuditEvent.__table__.c.category.type, "length", None) or 32


def _groups(categories: list[str]) -> list[list[str]]:
    """The categories in groups whose comma-joined text fits ``CATEGORY_CHARS``, in order."""
    groups: list[list[str]] = []
    for c in categories:
        if groups and len(",".join((*groups[-1], c))) <= CATEGORY_CHARS:
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def current_read_log(session: Session) -> ReadLog | None:
    """The request's read log, if the session is collecting reads."""
    return session.info.get(_KEY)


def _append(store: Store, records: list[AuditRecord]) -> None:
    """Committed when this returns, with other requests' records waiting now (one commit)."""
    append_reads(store, records)


@contextmanager
def audited_reads(
    store: Store,
    actor: Actor,
    business_id: int,
    purpose: Purpose,
    *,
    action: str = "read_business_page",
) -> Iterator[ReadLog]:
    """Read in ``log.session`` (read-only); when the block ends, append the log's events in one
    write unit of work. A refusal that ends the whole request (``NotFound`` carrying its audit
    record, e.g. the business itself is not visible) is appended with the denials collected so
    far and then raised; after any other error nothing is appended (nothing was shown)."""
    log = ReadLog(actor, business_id, purpose, action)
    refused: NotFound | None = None
    with store.read_session() as session:
        session.info[_KEY] = log
        log.session = session
        try:
            yield log
        except NotFound as exc:
            refused = exc  # raised again below, once the read-only unit of work is closed
        finally:
            session.info.pop(_KEY, None)
    if refused is not None:
        record = getattr(refused, "pending_audit", None)
        if record is not None:
            log.denials.append(record)
            refused.pending_audit = None
        _append(store, log.denials)
        raise refused
    _append(store, log.records())
