"""Problems found while importing: located issues (errors block, warnings inform)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

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


def error(code: str, message: str, **where: Any) -> Issue:
    return Issue("error", code, message, **where)


def warning(code: str, message: str, **where: Any) -> Issue:
    return Issue("warning", code, message, **where)
