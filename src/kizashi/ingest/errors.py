"""Problems found while importing: located issues (errors block, warnings inform).

An issue's code names what happened; its ``params`` carry the numbers and names, from which
``messages`` makes the English ``message`` and the Japanese text the pages and the CLI show.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from .messages import english

Severity = Literal["error", "warning"]


class IngestError(Exception):
    """A file cannot be analysed at all (too large, empty, unknown format …).

    The message is meant for the person who uploaded the file.
    """


@dataclass(frozen=True)
class Issue:
    """One error or warning, located as precisely as the format allows.

    ``line`` is 1-based in the file (header included); ``column`` is 1-based.
    """

    severity: Severity
    code: str
    message: str
    file: str = ""
    line: int | None = None
    column: int | None = None
    field: str | None = None
    value: str | None = None
    params: dict[str, Any] | None = None  # the numbers of a limit, for a page's own language

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.params is None:
            del out["params"]
        return out


class CellError(ValueError):
    """A cell that cannot be read (an amount, a date): ``reason`` picks the catalogue's variant
    (``amount.invalid:fraction`` …) and ``params`` fill it."""

    def __init__(self, message: str, reason: str = "", **params: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params


def error(code: str, message: str | None = None, **where: Any) -> Issue:
    """An error; without ``message``, its English text is made from ``messages`` and ``params``."""
    return _issue("error", code, message, where)


def warning(code: str, message: str | None = None, **where: Any) -> Issue:
    return _issue("warning", code, message, where)


def cell_error(code: str, exc: Exception, **where: Any) -> Issue:
    """An error for a cell the reader refused, with the refusal's reason and its parameters."""
    params = {"variant": getattr(exc, "reason", ""), **getattr(exc, "params", {})}
    return Issue("error", code, str(exc), params=params, **where)


def _issue(severity: Severity, code: str, message: str | None, where: dict[str, Any]) -> Issue:
    if message is None:
        message = english(code, where.get("params"))
    return Issue(severity, code, message, **where)
