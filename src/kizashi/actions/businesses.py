"""Businesses: registering one, or a bank's whole borrower list from a CSV file."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.domain.corporate_number import CorporateNumberError, normalize_corporate_number
from kizashi.domain.industry import industry_by_code, prefecture_by_name_or_code
from kizashi.domain.vocabulary import OrgKind, Relation, Role
from kizashi.store.audit import audit_write
from kizashi.store.models import Business, BusinessLink, Organisation

from .organisations import AlreadyExists


@dataclass
class BusinessInput:
    name: str
    industry_code: str
    prefecture_code: str
    fiscal_year_end_month: int
    corporate_number: str | None = None
    employees: int | None = None
    capital_yen: int | None = None
    founded_on: date | None = None


def _check_registrar(actor: Actor, registrar: Organisation | None) -> None:
    if actor.is_system:
        return
    if (
        registrar is None
        or actor.org_id != registrar.id
        or actor.role not in (Role.OFFICER, Role.ADMIN)
    ):
        raise PermissionError(
            "businesses are registered by an institution's officer or administrator"
        )


def _create(
    session: Session,
    data: BusinessInput,
    registrar: Organisation | None,
    relation: Relation,
    code_prefix: str = "biz",
) -> Business:
    now = datetime.now(UTC)
    industry = industry_by_code(data.industry_code)
    org = Organisation(
        kind=OrgKind.BUSINESS,
        name=data.name,
        code=f"{code_prefix}-{data.corporate_number or 'p'}-{now.timestamp():.6f}",
        corporate_number=data.corporate_number,
        created_at=now,
    )
    session.add(org)
    session.flush()
    org.code = f"{code_prefix}-{org.id}"
    biz = Business(
        org_id=org.id,
        corporate_number=data.corporate_number,
        name=data.name,
        industry_code=industry.code,
        industry_major=industry.major,
        prefecture_code=data.prefecture_code,
        fiscal_year_end_month=data.fiscal_year_end_month,
        employees=data.employees,
        capital_yen=data.capital_yen,
        founded_on=data.founded_on,
        created_at=now,
    )
    session.add(biz)
    session.flush()
    if registrar is not None:
        session.add(
            BusinessLink(org_id=registrar.id, business_id=biz.id, relation=relation, created_at=now)
        )
    return biz


def do_add_business(
    session: Session,
    actor: Actor,
    data: BusinessInput,
    *,
    registrar: Organisation | None = None,
    relation: Relation = Relation.REGISTRAR,
) -> Business:
    _check_registrar(actor, registrar)
    if data.corporate_number:
        data.corporate_number = normalize_corporate_number(data.corporate_number)
        if session.execute(
            select(Business.id).where(Business.corporate_number == data.corporate_number)
        ).first():
            raise AlreadyExists(
                f"法人番号 {data.corporate_number} is already registered",
                what="corporate_number",
                value=data.corporate_number,
            )
    biz = _create(session, data, registrar, relation)
    audit_write(
        session,
        actor,
        "add_business",
        object_type="business",
        object_id=biz.id,
        business_id=biz.id,
        registrar=registrar.id if registrar else None,
    )
    return biz


# --------------------------------------------------------------------------- bulk import

HEADERS = {
    "corporate_number": ("法人番号", "corporate_number"),
    "name": ("名称", "商号", "事業者名", "name"),
    "industry_code": ("業種", "業種コード", "産業分類", "industry", "industry_code"),
    "prefecture_code": ("都道府県", "所在地", "prefecture"),
    "fiscal_year_end_month": ("決算月", "fiscal_year_end_month"),
    "employees": ("従業員数", "employees"),
    "capital_yen": ("資本金", "capital", "capital_yen"),
    "founded_on": ("設立日", "創業日", "founded_on"),
}
REQUIRED = ("name", "industry_code", "prefecture_code", "fiscal_year_end_month")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message} (value {self.value!r})"


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp932")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _int(text: str) -> int:
    return int(_norm(text).replace(",", "").replace("円", "").replace("人", ""))


def parse_business_rows(
    data: bytes, filename: str = "<csv>"
) -> tuple[list[tuple[int, BusinessInput]], list[RowError]]:
    """Parse a borrower list; every bad cell is reported with its line and column."""
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        return [], [RowError(1, "-", "", f"{filename}: not UTF-8 or CP932 text ({exc.reason})")]
    reader = csv.reader(io.StringIO(text))
    try:
        header = [_norm(h) for h in next(reader)]
    except StopIteration:
        return [], [RowError(1, "-", "", f"{filename}: empty file")]
    index: dict[str, int] = {}
    for field_name, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names or h.lower() in names:
                index[field_name] = i
                break
    errors = [
        RowError(1, HEADERS[f][0], "", "required column missing")
        for f in REQUIRED
        if f not in index
    ]
    if errors:
        return [], errors
    rows: list[tuple[int, BusinessInput]] = []
    for line_no, raw in enumerate(reader, start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) != len(header):
            errors.append(
                RowError(
                    line_no, "-", ",".join(raw), f"expected {len(header)} columns, got {len(raw)}"
                )
            )
            continue

        def cell(f: str, row: list[str] = raw) -> str:
            return _norm(row[index[f]]) if f in index else ""

        row_errors: list[RowError] = []
        values: dict[str, object] = {"name": cell("name")}
        if not values["name"]:
            row_errors.append(RowError(line_no, "名称", "", "name is empty"))
        cn = cell("corporate_number")
        try:
            values["corporate_number"] = normalize_corporate_number(cn) if cn else None
        except CorporateNumberError as exc:
            row_errors.append(RowError(line_no, "法人番号", cn, str(exc)))
        try:
            values["industry_code"] = industry_by_code(cell("industry_code")).code
        except ValueError as exc:
            row_errors.append(RowError(line_no, "業種", cell("industry_code"), str(exc)))
        try:
            values["prefecture_code"] = prefecture_by_name_or_code(cell("prefecture_code")).code
        except ValueError as exc:
            row_errors.append(RowError(line_no, "都道府県", cell("prefecture_code"), str(exc)))
        try:
            month = _int(cell("fiscal_year_end_month").replace("月", ""))
            if not 1 <= month <= 12:
                raise ValueError
            values["fiscal_year_end_month"] = month
        except ValueError:
            row_errors.append(
                RowError(line_no, "決算月", cell("fiscal_year_end_month"), "must be a month 1–12")
            )
        for f, label in (("employees", "従業員数"), ("capital_yen", "資本金")):
            v = cell(f)
            try:
                values[f] = _int(v) if v else None
                if values[f] is not None and int(values[f]) < 0:  # type: ignore[call-overload]
                    raise ValueError
            except ValueError:
                row_errors.append(
                    RowError(line_no, label, v, "must be a whole non-negative number")
                )
        founded = cell("founded_on")
        try:
            values["founded_on"] = (
                date.fromisoformat(founded.replace("/", "-")) if founded else None
            )
        except ValueError:
            row_errors.append(
                RowError(line_no, "設立日", founded, "must be a date like 2001-04-01")
            )
        if row_errors:
            errors += row_errors
        else:
            rows.append((line_no, BusinessInput(**values)))  # type: ignore[arg-type]
    seen: dict[str, int] = {}
    for line_no, row in rows:
        if row.corporate_number:
            if row.corporate_number in seen:
                errors.append(
                    RowError(
                        line_no,
                        "法人番号",
                        row.corporate_number,
                        f"duplicate of line {seen[row.corporate_number]}",
                    )
                )
            seen[row.corporate_number] = line_no
    return rows, errors


def do_import_businesses(
    session: Session,
    actor: Actor,
    data: bytes,
    *,
    registrar: Organisation,
    relation: Relation = Relation.REGISTRAR,
    filename: str = "<csv>",
) -> ImportResult:
    """Register every row or none: if any row is bad, nothing is written and all errors are returned."""
    _check_registrar(actor, registrar)
    rows, errors = parse_business_rows(data, filename)
    known = {
        cn
        for (cn,) in session.execute(
            select(Business.corporate_number).where(
                Business.corporate_number.in_(
                    [r.corporate_number for _, r in rows if r.corporate_number]
                )
            )
        )
    }
    errors += [
        RowError(line, "法人番号", r.corporate_number or "", "already registered")
        for line, r in rows
        if r.corporate_number in known
    ]
    if errors:
        return ImportResult(errors=sorted(errors, key=lambda e: e.line))
    result = ImportResult()
    for _, row in rows:
        biz = _create(session, row, registrar, relation)
        result.created.append(biz.id)
    audit_write(
        session,
        actor,
        "import_businesses",
        object_type="organisation",
        object_id=registrar.id,
        filename=filename,
        created=len(result.created),
    )
    return result
