"""Problems found while importing: located issues (errors block, warnings inform).

An issue's code names what happened; its ``params`` carry the numbers and names, from which
``messages`` makes the English ``message`` and the Japanese text the pages and the CLI show.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from kizashi.domain.refusals import Bilingual

from .messages import english

Severity = Literal["error", "warning"]


class IngestError(Bilingual, Exception):
    """A file cannot be analysed at all (too large, empty, unknown format …).

    Said once in Japanese and once in English, like ``domain.refusals.Refused``:
    ``IngestError(ja, en)``; ``str()`` is the Japanese (the CLI and the API show it),
    ``text(locale)`` a page's language, never one string carrying both ("日本語 / English",
    tests/test_refusals.py). Where the problem is (``file``, ``line`` — the record of a
    fixed-length file —, ``column``, ``field``) is in both texts and, when known, in the
    attributes, which the ``upload.rejected`` issue made of it keeps (:meth:`issue`).
    """

    def __init__(
        self,
        ja: str,
        en: str | None = None,
        *,
        file: str = "",
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(self._set(ja, en))
        self.file, self.line, self.column, self.field = file, line, column, field

    def __reduce__(self) -> tuple[Any, ...]:  # survives the pipe from an upload worker
        return (_rebuild_ingest_error, (type(self), self.problems, self.where()))

    def where(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "field": self.field}

    def issue(self, default_file: str = "") -> Issue:
        """The refusal as an ``upload.rejected`` error. Its ``message`` is the Japanese (the
        API and the CLI say a refusal in Japanese, as they say ``Refused``); ``params`` hold
        both texts, from which a page shows its own language (``messages.issue_text``)."""
        return Issue(
            "error",
            "upload.rejected",
            self.japanese,
            file=self.file or default_file,
            line=self.line,
            column=self.column,
            field=self.field,
            params={"ja": self.japanese, "en": self.english},
        )


def _rebuild_ingest_error(
    kind: type[IngestError], problems: tuple[tuple[str, str], ...], where: dict[str, Any]
) -> IngestError:
    exc = kind.__new__(kind)
    Exception.__init__(exc, "; ".join(j for j, _ in problems))
    exc.problems = problems
    exc.file, exc.line = where["file"], where["line"]
    exc.column, exc.field = where["column"], where["field"]
    return exc


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
