"""each organisation's own response to a flag; loan and credit-event entry

Flags: a flag is the episode (a fact about the business); each organisation's response to it
(state, reason, assignee, due date) and its history move to ``flag_response`` and
``flag_response_event``. ``flag.first_run_id`` records the run that first found the episode
("new since the last run"; filled from ``run_id`` for flags stored before).

The state a person gave a flag before this revision belonged to no organisation. It becomes the
response of the organisation whose person last changed it, found in the audit log (the latest
``change_flag_state`` write on the flag: its organisation, person, time and reason); with no such
record, of the organisation whose own pack raised the flag; otherwise (a shared-pack flag with no
recorded change) it is dropped and every organisation starts from 新規. The flag's own ``state``
is then the episode's: 新規 while open, 解消 once closed. A downgrade drops the responses.

Loans: ``guarantee_number`` (保証番号) and ``paid_off_on`` (完済日).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:40:00
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_STATE = sa.Enum(
    "new",
    "acknowledged",
    "in_progress",
    "resolved",
    "not_needed",
    name="flag_response_state",
    native_enum=False,
    length=32,
)


def upgrade() -> None:
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guarantee_number", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("paid_off_on", sa.Date(), nullable=True))
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_run_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_flag_first_run_id_monitoring_run"),
            "monitoring_run",
            ["first_run_id"],
            ["id"],
        )
    op.execute("UPDATE flag SET first_run_id = run_id")

    op.create_table(
        "flag_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("state", _STATE, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"],
            ["user_account.id"],
            name=op.f("fk_flag_response_assignee_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["flag.id"], name=op.f("fk_flag_response_flag_id_flag")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_flag_response_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_flag_response_updated_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_response")),
        sa.UniqueConstraint("flag_id", "org_id", name=op.f("uq_flag_response_flag_id")),
    )
    with op.batch_alter_table("flag_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flag_response_assignee_user_id"), ["assignee_user_id"], unique=False
        )
        batch_op.create_index("ix_flag_response_org_state", ["org_id", "state"], unique=False)

    op.create_table(
        "flag_response_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("old", sa.String(length=64), nullable=True),
        sa.Column("new", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["flag.id"], name=op.f("fk_flag_response_event_flag_id_flag")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_flag_response_event_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["monitoring_run.id"],
            name=op.f("fk_flag_response_event_run_id_monitoring_run"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_flag_response_event_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_response_event")),
    )
    with op.batch_alter_table("flag_response_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_flag_response_event_lookup", ["flag_id", "org_id", "at"], unique=False
        )

    _move_person_states()


def _move_person_states() -> None:
    """A person's state on the flag → the response of the organisation that set it."""
    conn = op.get_bind()
    flags = conn.execute(
        sa.text(
            "SELECT id, org_id, state, state_reason, is_open, updated_at FROM flag "
            "WHERE state IN ('acknowledged', 'in_progress', 'not_needed')"
        ).columns(updated_at=sa.DateTime(timezone=True))  # typed: SQLite gives text otherwise
    ).all()
    now = datetime.now(UTC)
    responses, events = [], []
    for flag_id, flag_org, state, reason, _is_open, updated_at in flags:
        last = conn.execute(
            sa.text(
                "SELECT actor_org_id, actor_user_id, at, detail FROM audit_event "
                "WHERE action = 'change_flag_state' AND decision = 'write' "
                "AND object_type = 'flag' AND object_id = :fid ORDER BY id DESC LIMIT 1"
            ).columns(at=sa.DateTime(timezone=True)),
            {"fid": str(flag_id)},
        ).first()
        org_id, user_id, at = (last[0], last[1], last[2]) if last else (flag_org, None, None)
        if org_id is None:
            continue  # a shared-pack flag nobody is recorded as having changed
        if last is not None and not reason:
            try:
                reason = json.loads(last[3] or "{}").get("reason")
            except ValueError:
                reason = None
        at = at or updated_at or now
        responses.append(
            {
                "flag_id": flag_id,
                "org_id": org_id,
                "state": state,
                "reason": reason,
                "updated_at": at,
                "updated_by_user_id": user_id,
            }
        )
        events.append(
            {
                "flag_id": flag_id,
                "org_id": org_id,
                "at": at,
                "user_id": user_id,
                "field": "state",
                "old": "new",
                "new": state,
                "reason": reason,
            }
        )
    meta = sa.MetaData()
    response = sa.Table("flag_response", meta, autoload_with=conn)
    event = sa.Table("flag_response_event", meta, autoload_with=conn)
    if responses:
        conn.execute(response.insert(), responses)
        conn.execute(event.insert(), events)
    # the flag's own state is the episode's from now on
    op.execute(
        "UPDATE flag SET state = CASE WHEN is_open THEN 'new' ELSE 'resolved' END, "
        "state_reason = NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("flag_response_event", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_response_event_lookup")
    op.drop_table("flag_response_event")
    with op.batch_alter_table("flag_response", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_response_org_state")
        batch_op.drop_index(batch_op.f("ix_flag_response_assignee_user_id"))
    op.drop_table("flag_response")
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_flag_first_run_id_monitoring_run"), type_="foreignkey"
        )
        batch_op.drop_column("first_run_id")
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.drop_column("paid_off_on")
        batch_op.drop_column("guarantee_number")
