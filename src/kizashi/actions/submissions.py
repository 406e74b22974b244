"""Storing imports: one upload is one atomic submission of trial balances for one business.

``do_import_submission`` checks who may submit (``access_business_for_upload``) before it
reads a byte, analyses the files with the business's remembered confirmations, and then
either stores everything — raw files, the Submission with its report, one Statement per
period with one line per as-reported account — or nothing at all:

* a report with errors, or with accounts that carry amounts and still need a person's
  confirmation, stores nothing (``stored=False``; the outcome says why);
* the same bytes uploaded again for the same business are a no-op (``duplicate=True``);
* a period already stored with different figures becomes version n+1 and the old statement
  points at it (``superseded_by_id``) and stays readable; the same figures are left alone;
* every write happens in the caller's unit of work: an exception anywhere leaves no row
  behind once the caller rolls back (``Store.session`` does).

Confirmations (``do_confirm_account_mapping``) and column presets (``do_save_column_mapping``)
live in ``kizashi.actions.mappings``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_for_upload
from kizashi.domain.bank import Party, party_is
from kizashi.domain.chart import Chart, load_chart
from kizashi.domain.vocabulary import StatementKind
from kizashi.ingest import (
    DEFAULT_MAX_BYTES,
    ColumnMapping,
    IngestError,
    LimitExceeded,
    Limits,
    Report,
    analyse_files,
)
from kizashi.ingest.errors import Issue, error, warning
from kizashi.ingest.mapping import CLEARING, Mapped
from kizashi.store.audit import audit_write
from kizashi.store.models import Business, Statement, StatementLine, Submission
from kizashi.store.rawfiles import put_raw_file

from .mappings import load_column_preset, load_confirmations

NAME_MAX = 200  # StatementLine.as_reported_name
FILENAME_MAX = 400  # Submission.filename

LineKey = tuple[str, str]  # (item_code, as_reported_name)


@dataclass(frozen=True)
class StoredStatement:
    """A statement this import created (or, in a dry run, would create)."""

    period_end: date
    kind: str
    version: int
    lines: int
    id: int | None = None
    supersedes_id: int | None = None  # the previous version, now superseded


@dataclass
class ImportOutcome:
    report: Report
    business_id: int
    source_format: str | None = None
    stored: bool = False
    duplicate: bool = False
    dry_run: bool = False
    submission_id: int | None = None
    raw_sha256: str | None = None
    statements: list[StoredStatement] = field(default_factory=list)
    unchanged: list[date] = field(default_factory=list)  # already stored with these figures
    needs_confirmation: list[Mapped] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """Why the outcome is what it is: stored, duplicate, errors, needs_confirmation, dry_run."""
        if self.duplicate:
            return "duplicate"
        if self.report.errors:
            return "errors"
        if self.needs_confirmation:
            return "needs_confirmation"
        return "dry_run" if self.dry_run else "stored"

    @property
    def ok(self) -> bool:
        """True when the upload is (or, in a dry run, would be) stored or already was."""
        return self.reason in ("stored", "duplicate", "dry_run")

    @property
    def superseded(self) -> list[StoredStatement]:
        return [s for s in self.statements if s.supersedes_id is not None]

    def to_dict(self, *, accounts: bool = True) -> dict[str, Any]:
        return {
            "business_id": self.business_id,
            "reason": self.reason,
            "stored": self.stored,
            "duplicate": self.duplicate,
            "dry_run": self.dry_run,
            "submission_id": self.submission_id,
            "raw_sha256": self.raw_sha256,
            "source_format": self.source_format,
            "statements": [
                {**asdict(s), "period_end": s.period_end.isoformat()} for s in self.statements
            ],
            "unchanged": [d.isoformat() for d in self.unchanged],
            "needs_confirmation": [m.to_dict() for m in self.needs_confirmation],
            "report": self.report.to_dict(accounts=accounts),
        }


def do_import_submission(
    session: Session,
    actor: Actor,
    *,
    business_id: int,
    files: Sequence[tuple[bytes, str]],
    raw_dir: Path,
    format: str | None = None,
    fiscal_year_start_month: int | None = None,
    column_mapping: ColumnMapping | Mapping[str, object] | str | None = None,
    period_end: str | None = None,
    dry_run: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Limits | None = None,
    analyser: Analyser | None = None,
    confirm_other_company: bool = False,
) -> ImportOutcome:
    """Analyse ``files`` (uploaded together) for a business and store them atomically.

    ``column_mapping`` may name a preset saved by the actor's organisation. The business's
    fiscal year is used when ``fiscal_year_start_month`` is not given. Raises ``NotFound``
    (audited) when the actor may not submit for the business; every other problem is in the
    outcome's report.

    ``limits`` bound what the files may make the importer read (default: ``max_bytes`` and
    the defaults of ``Limits``). ``analyser``, when given, replaces the analysis: it gets the
    confirmations remembered for the business and returns the Report of
    ``analyse_remembered`` (the web analyses in a worker process, outside this transaction).
    """
    limits = limits or Limits(max_bytes=max_bytes)
    business = access_business_for_upload(session, actor, business_id)
    fy = fiscal_year_start_month or business.fiscal_year_end_month % 12 + 1
    first_name = files[0][1] if files else ""
    try:
        mapping = (
            load_column_preset(session, actor, column_mapping)
            if isinstance(column_mapping, str)
            else column_mapping
        )
        remembered = load_confirmations(session, business.id)
        if analyser is not None:
            report = analyser(remembered)
        else:
            report = analyse_remembered(remembered, files, format, fy, mapping, period_end, limits)
    except LimitExceeded as exc:
        report = Report(errors=[exc.issue(first_name)])
    except IngestError as exc:
        report = Report(errors=[exc.issue(first_name)])
    outcome = ImportOutcome(report, business.id, _source_format(report), dry_run=dry_run)
    if not confirm_other_company:
        report.errors.extend(other_company_errors(business, report))
    if report.sources:
        outcome.raw_sha256 = _bundle(files)[0]
    kinds = {s.kind for s in report.sources}
    if "statement" in kinds and kinds - {"statement"}:
        report.errors.append(
            error(
                "upload.mixed_kinds",
                "決算書 and trial balances or journals were uploaded together; "
                "upload the 決算書 on its own",
                file=first_name,
            )
        )
    if outcome.raw_sha256 is not None:
        existing = session.execute(
            select(Submission.id).where(
                Submission.business_id == business.id, Submission.raw_sha256 == outcome.raw_sha256
            )
        ).scalar_one_or_none()
        if existing is not None:
            outcome.duplicate, outcome.submission_id = True, existing
            return outcome
    outcome.needs_confirmation = _blocking(report)
    if report.errors or outcome.needs_confirmation:
        return outcome
    kind = StatementKind.ANNUAL if kinds == {"statement"} else StatementKind.MONTHLY_TB
    plans = _plan(session, business.id, kind, report)
    for p in plans:
        if p.previous is not None:
            report.warnings.append(p.overlap_warning(first_name))
    outcome.unchanged = [p.period_end for p in plans if p.unchanged]
    todo = [p for p in plans if not p.unchanged]
    outcome.statements = [
        StoredStatement(
            p.period_end,
            kind.value,
            p.version,
            len(p.lines),
            supersedes_id=p.previous.id if p.previous is not None else None,
        )
        for p in todo
    ]
    if dry_run:
        return outcome
    _store(session, actor, outcome, files, kind, todo, raw_dir)
    return outcome


def other_company_errors(business: Business, report: Report) -> list[Issue]:
    """The file is about this business: a file that names another company (EPSON's 入力会社 …)
    is an error unless the uploader confirms it (``confirm_other_company``)."""
    out = []
    for s in report.sources:
        if (
            s.company
            and party_is(business.name, business.corporate_number, Party(s.company)) is False
        ):
            out.append(
                error(
                    "upload.other_company",
                    f"{s.filename}: the file names {s.company}, not {business.name}; "
                    "confirm to store it for this business",
                    file=s.filename,
                    params={"company": s.company, "business": business.name},
                )
            )
    return out


Remembered = Mapping[str, Mapping[str, str]]
Analyser = Callable[[Remembered], Report]


def analyse_remembered(
    remembered: Remembered,
    files: Sequence[tuple[bytes, str]],
    fmt: str | None,
    fy: int,
    column_mapping: ColumnMapping | Mapping[str, object] | None,
    period_end: str | None,
    limits: Limits,
) -> Report:
    """Analyse with the confirmations remembered for the upload's source format.

    The format is known only after sniffing: the first pass uses the confirmations of the
    given format (or of all formats); when those are not exactly the source's own, a
    second pass uses the source's own (rare: a business that changed software).
    """

    def run(confirmations: Mapping[str, str]) -> Report:
        return analyse_files(
            files,
            format=fmt,
            fiscal_year_start_month=fy,
            confirmations=confirmations,
            column_mapping=column_mapping,
            period_end=period_end,
            limits=limits,
        )

    if fmt is not None:
        first = dict(remembered.get(fmt, {}))
    else:
        first = {k: v for by_key in remembered.values() for k, v in by_key.items()}
    report = run(first)
    own = remembered.get(_source_format(report) or "", {})
    if first != own:
        report = run(own)
    return report


def _source_format(report: Report) -> str | None:
    """The format confirmations are remembered under: the main file's (not 開始残高)."""
    for s in report.sources:
        if s.kind != "opening":
            return s.format
    return report.format


def _blocking(report: Report) -> list[Mapped]:
    """Mappings that need a person and matter: the account has an amount in some month."""
    moving = {r.account for r in report.accounts if r.closing or r.debit or r.credit or r.opening}
    return [m for m in report.needs_confirmation if m.account in moving]


def _bundle(files: Sequence[tuple[bytes, str]]) -> tuple[str, bytes | None]:
    """The submission's content address: the file's sha256, or a manifest's for several."""
    if len(files) == 1:
        return hashlib.sha256(files[0][0]).hexdigest(), None
    manifest = json.dumps(
        {
            "kizashi_bundle": 1,
            "files": [{"sha256": hashlib.sha256(d).hexdigest(), "filename": n} for d, n in files],
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")
    return hashlib.sha256(manifest).hexdigest(), manifest


def _clean(text: str, limit: int) -> str:
    """Text as the database keeps it: no NUL (PostgreSQL refuses it), at most ``limit`` chars."""
    return text.replace("\x00", "\ufffd")[:limit]


def _is_contra(chart: Chart, code: str) -> bool:
    item = chart[code]
    return bool(item.parent) and chart[item.parent].side != item.side  # type: ignore[index]


def statement_lines(report: Report, kind: StatementKind) -> dict[date, dict[LineKey, int]]:
    """Per period: (item code, as-reported account) → yen, summing exactly to the month's
    standard amounts. Each mapped account keeps its own line on its item's normal side;
    what the standard figures add beyond the accounts (the prior years' profit carried into
    繰越利益剰余金, a 決算書's current-year profit taken out of it) is a line with no
    as-reported name ('')."""
    chart = load_chart()
    by_period: dict[date, dict[LineKey, int]] = defaultdict(dict)
    for r in report.accounts:
        if r.code is None or r.code == CLEARING or not r.closing:
            continue
        value = r.closing if chart[r.code].side == "debit" else -r.closing
        if kind == StatementKind.ANNUAL and value < 0 and _is_contra(chart, r.code):
            value = -value
        lines = by_period[r.period_end]
        key = (r.code, _clean(r.account, NAME_MAX))
        lines[key] = lines.get(key, 0) + value
    out: dict[date, dict[LineKey, int]] = {}
    for month in report.months:
        lines = by_period.get(month.period_end, {})
        totals: dict[str, int] = defaultdict(int)
        for (code, _), v in lines.items():
            totals[code] += v
        for code in set(totals) | set(month.amounts):
            rest = month.amounts.get(code, 0) - totals.get(code, 0)
            if rest:
                lines[(code, "")] = lines.get((code, ""), 0) + rest
        out[month.period_end] = {k: v for k, v in lines.items() if v}
    return out


@dataclass
class _Plan:
    period_end: date
    fiscal_year_start: date
    lines: dict[LineKey, int]
    version: int
    previous: Statement | None
    unchanged: bool

    def overlap_warning(self, file: str) -> Issue:
        assert self.previous is not None
        if self.unchanged:
            msg = (
                f"{self.period_end:%Y-%m} is already stored with the same figures "
                f"(version {self.previous.version}); left as it is"
            )
        else:
            msg = (
                f"{self.period_end:%Y-%m} was already stored (version {self.previous.version}); "
                f"stored as version {self.version}, the earlier version stays readable"
            )
        return warning("period.stored", msg, file=file, value=f"{self.period_end:%Y-%m}")


def _plan(session: Session, business_id: int, kind: StatementKind, report: Report) -> list[_Plan]:
    lines = statement_lines(report, kind)
    ends = [m.period_end for m in report.months]
    if not ends:
        return []
    current = {
        st.period_end: st
        for st in session.execute(
            select(Statement)
            .where(
                Statement.business_id == business_id,
                Statement.kind == kind,
                Statement.period_end.in_(ends),
                Statement.superseded_by_id.is_(None),
            )
            .order_by(Statement.version)
        ).scalars()
    }
    top = dict(
        session.execute(
            select(Statement.period_end, func.max(Statement.version))
            .where(
                Statement.business_id == business_id,
                Statement.kind == kind,
                Statement.period_end.in_(ends),
            )
            .group_by(Statement.period_end)
        ).all()
    )
    stored: dict[int, dict[LineKey, int]] = defaultdict(dict)
    if current:
        for sid, code, name, amount in session.execute(
            select(
                StatementLine.statement_id,
                StatementLine.item_code,
                StatementLine.as_reported_name,
                StatementLine.amount,
            ).where(StatementLine.statement_id.in_([s.id for s in current.values()]))
        ):
            stored[sid][(code, name)] = amount
    plans = []
    for m in report.months:
        prev = current.get(m.period_end)
        mine = lines.get(m.period_end, {})
        same = (
            prev is not None
            and prev.fiscal_year_start == m.fiscal_year_start
            and stored[prev.id] == mine
        )
        version = (top.get(m.period_end) or 0) + 1
        plans.append(_Plan(m.period_end, m.fiscal_year_start, mine, version, prev, same))
    return plans


def _store(
    session: Session,
    actor: Actor,
    outcome: ImportOutcome,
    files: Sequence[tuple[bytes, str]],
    kind: StatementKind,
    plans: list[_Plan],
    raw_dir: Path,
) -> None:
    report = outcome.report
    now = datetime.now(UTC)
    for data, name in files:
        put_raw_file(session, raw_dir, data, _clean(name, FILENAME_MAX))
    sha, manifest = _bundle(files)
    if manifest is not None:
        put_raw_file(session, raw_dir, manifest, "bundle.json")
    session.flush()
    filename = " + ".join(n for _, n in files)
    submission = Submission(
        business_id=outcome.business_id,
        raw_sha256=sha,
        filename=_clean(filename, FILENAME_MAX),
        format=_clean(outcome.source_format or "", 64),
        encoding=_clean(report.encoding or "", 32) or None,
        uploaded_by_user_id=actor.user_id,
        uploaded_by_org_id=actor.org_id,
        report_json=json.dumps(report.to_dict(), ensure_ascii=False).replace("\x00", "\ufffd"),
        created_at=now,
    )
    session.add(submission)
    session.flush()
    created: list[StoredStatement] = []
    if plans:
        ids = (
            session.execute(
                insert(Statement).returning(Statement.id, sort_by_parameter_order=True),
                [
                    {
                        "business_id": outcome.business_id,
                        "submission_id": submission.id,
                        "kind": kind,
                        "fiscal_year_start": p.fiscal_year_start,
                        "period_start": p.fiscal_year_start,
                        "period_end": p.period_end,
                        "version": p.version,
                        "superseded_by_id": None,
                        "created_at": now,
                    }
                    for p in plans
                ],
            )
            .scalars()
            .all()
        )
        rows = [
            {"statement_id": sid, "item_code": code, "as_reported_name": name, "amount": amount}
            for sid, p in zip(ids, plans, strict=True)
            for (code, name), amount in sorted(p.lines.items())
        ]
        if rows:
            session.execute(insert(StatementLine), rows)
        for sid, p in zip(ids, plans, strict=True):
            if p.previous is not None:
                p.previous.superseded_by_id = sid
            created.append(
                StoredStatement(
                    p.period_end,
                    kind.value,
                    p.version,
                    len(p.lines),
                    sid,
                    p.previous.id if p.previous is not None else None,
                )
            )
        session.flush()
    outcome.statements = created
    outcome.submission_id = submission.id
    outcome.stored = True
    audit_write(
        session,
        actor,
        "import_submission",
        object_type="submission",
        object_id=submission.id,
        business_id=outcome.business_id,
        raw_sha256=sha,
        files=[{"filename": n, "sha256": hashlib.sha256(d).hexdigest()} for d, n in files],
        format=outcome.source_format,
        statements=[s.id for s in created],
        superseded=[s.supersedes_id for s in created if s.supersedes_id is not None],
        unchanged=[d.isoformat() for d in outcome.unchanged],
        warnings=len(report.warnings),
    )
