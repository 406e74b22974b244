"""Errors the store understands."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .audit import AuditRecord


class NotFound(LookupError):
    """The object does not exist, or the actor may not see it: deliberately the same error.

    ``pending_audit`` is the denial record. ``Store.session`` rolls back everything the unit
    of work did and then commits only this record, so a denial changes nothing but the log.
    """

    def __init__(self, what: str = "not found", pending_audit: AuditRecord | None = None) -> None:
        super().__init__(what)
        self.pending_audit = pending_audit


def with_audit(exc: Exception, record: AuditRecord) -> Exception:
    """Attach a refusal's audit record to any exception, so ``Store.session`` keeps it."""
    exc.pending_audit = record  # type: ignore[attr-defined]
    return exc
