"""Administration: database, audit log, organisations, users, businesses."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from kizashi.actions.businesses import BusinessInput, do_add_business, do_import_businesses
from kizashi.actions.organisations import do_add_organisation, do_add_user, org_by_code
from kizashi.store.audit import verify_chain
from kizashi.store.db import current_revision, head_revision, upgrade
from kizashi.store.models import AuditEvent, OrgKind, Relation, Role

from .app import app
from .context import actor_for, console, fail, settings, store

db_app = typer.Typer(help="データベース (database) の管理。", no_args_is_help=True)
audit_app = typer.Typer(help="監査ログ (audit log)。", no_args_is_help=True)
org_app = typer.Typer(help="組織 (organisations)。", no_args_is_help=True)
user_app = typer.Typer(help="利用者 (users)。", no_args_is_help=True)
business_app = typer.Typer(help="事業者 (businesses)。", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(business_app, name="business")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (also done automatically on first use)."""
    st = store()  # migrates on construction
    upgrade(st.engine)
    console.print(
        f"database at revision {current_revision(st.engine)} (head {head_revision(st.engine)})"
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain of the whole audit log; exit 1 if anything was changed or removed."""
    with store().session() as s:
        total = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        checked, problems = verify_chain(s)
    for p in problems:
        console.print(f"[red]event {p.event_id}[/red]: {p.problem}")
    if problems:
        fail(f"audit chain broken: {len(problems)} problem(s) in {checked} events")
    console.print(f"audit chain intact: {checked} of {total} events verified")


@org_app.command("add")
def org_add(
    code: Annotated[str, typer.Argument(help="Short stable handle, e.g. cgc-hokkaido")],
    name: Annotated[str, typer.Option(help="Display name, e.g. 北海道信用保証協会")],
    kind: Annotated[
        OrgKind, typer.Option(help="business | supporter | bank | guarantor | revitalization")
    ],
    corporate_number: Annotated[str | None, typer.Option(help="法人番号 (optional)")] = None,
) -> None:
    """Add an organisation."""
    try:
        with store().session() as s:
            org = do_add_organisation(
                s,
                actor_for(None),
                kind=kind,
                name=name,
                code=code,
                corporate_number=corporate_number,
            )
            console.print(f"organisation {org.id} {org.code} ({kind.value}) added")
    except ValueError as exc:
        fail(str(exc))


@user_app.command("add")
def user_add(
    login: Annotated[str, typer.Argument(help="Login name")],
    org: Annotated[str, typer.Option(help="Organisation code")],
    role: Annotated[Role, typer.Option(help="owner | officer | admin | auditor")],
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    password: Annotated[
        str | None, typer.Option(help="Password (asked for if omitted)", hide_input=True)
    ] = None,
) -> None:
    """Add a user to an organisation."""
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        with store().session() as s:
            user = do_add_user(
                s,
                actor_for(None),
                org=org_by_code(s, org),
                login=login,
                password=password,
                display_name=name or login,
                role=role,
            )
            console.print(f"user {user.id} {login} ({role.value}) added")
    except (ValueError, PermissionError) as exc:
        fail(str(exc))


@business_app.command("add")
def business_add(
    name: Annotated[str, typer.Argument(help="商号 (name)")],
    industry: Annotated[str, typer.Option(help="日本標準産業分類 中分類 code, e.g. 09")],
    prefecture: Annotated[str, typer.Option(help="都道府県 name or JIS code")],
    fiscal_year_end_month: Annotated[int, typer.Option(min=1, max=12, help="決算月")],
    corporate_number: Annotated[
        str | None, typer.Option(help="法人番号 (13 digits; none for 個人事業主)")
    ] = None,
    employees: Annotated[int | None, typer.Option(min=0)] = None,
    capital: Annotated[int | None, typer.Option(min=0, help="資本金 (yen)")] = None,
    founded: Annotated[str | None, typer.Option(help="設立日 YYYY-MM-DD")] = None,
    registrar: Annotated[
        str | None, typer.Option(help="Code of the registering organisation")
    ] = None,
    relation: Annotated[
        Relation, typer.Option(help="The registrar's relation to the business")
    ] = Relation.REGISTRAR,
) -> None:
    """Register one business."""
    from kizashi.domain.industry import prefecture_by_name_or_code

    try:
        with store().session() as s:
            reg = org_by_code(s, registrar) if registrar else None
            biz = do_add_business(
                s,
                actor_for(None),
                BusinessInput(
                    name=name,
                    industry_code=industry,
                    prefecture_code=prefecture_by_name_or_code(prefecture).code,
                    fiscal_year_end_month=fiscal_year_end_month,
                    corporate_number=corporate_number,
                    employees=employees,
                    capital_yen=capital,
                    founded_on=date.fromisoformat(founded) if founded else None,
                ),
                registrar=reg,
                relation=relation,
            )
            console.print(f"business {biz.id} {biz.name} added")
    except ValueError as exc:
        fail(str(exc))


@business_app.command("import")
def business_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8 or CP932)")],
    registrar: Annotated[
        str, typer.Option(help="Code of the registering organisation (bank or 保証協会)")
    ],
    relation: Annotated[
        Relation, typer.Option(help="The registrar's relation to these businesses")
    ] = Relation.REGISTRAR,
) -> None:
    """Register a borrower list in bulk: all rows or none; bad rows are reported by line."""
    data = file.read_bytes()
    if len(data) > settings().max_upload_bytes:
        fail(f"{file}: {len(data):,} bytes is over the limit of {settings().max_upload_bytes:,}")
    with store().session() as s:
        result = do_import_businesses(
            s,
            actor_for(None),
            data,
            registrar=org_by_code(s, registrar),
            relation=relation,
            filename=str(file),
        )
        if result.errors:
            s.rollback()
    if result.errors:
        for e in result.errors:
            console.print(f"{file}: {e}")
        fail(f"{len(result.errors)} error(s); nothing was imported")
    console.print(f"{len(result.created)} businesses imported from {file}")
