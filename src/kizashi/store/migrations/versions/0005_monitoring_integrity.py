"""monitoring runs as one unit; one open flag per business and rule

A run records its status (running / finished / failed, with the error), the job that ran it
(``token``) and the process (host, pid, heartbeat) so that the next start can tell a dead run.
Runs stored before this revision are ``finished`` when they have a finish time, otherwise
``failed`` (they were interrupted).

Flags: at most one open flag per business × pack × rule (a partial unique index). Duplicates
left by re-imported history are closed first: of two open flags the later-opened one stays
open; the earlier one is closed at the month the later one opened, and an untouched workflow
state (new / acknowledged / in progress) becomes resolved.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_STATUS = sa.Enum(
    "running",
    "finished",
    "failed",
    name="run_status",
    native_enum=False,
    length=32,
)


def upgrade() -> None:
    with op.batch_alter_table("monitoring_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", _STATUS, nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE monitoring_run SET status = 'finished' WHERE finished_at IS NOT NULL")
    op.execute(
        "UPDATE monitoring_run SET status = 'failed', "
        "error = 'interrupted (recorded before run statuses existed)' WHERE finished_at IS NULL"
    )
    with op.batch_alter_table("monitoring_run", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=_STATUS, nullable=False)
        batch_op.create_index(batch_op.f("ix_monitoring_run_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_monitoring_run_token"), ["token"], unique=False)

    later = (
        "SELECT MIN(l.opened_month) FROM flag AS l WHERE l.business_id = flag.business_id "
        "AND l.pack_ref = flag.pack_ref AND l.rule_id = flag.rule_id AND l.is_open "
        "AND l.opened_month > flag.opened_month"
    )
    op.execute(
        f"UPDATE flag SET closed_month = ({later}), "
        "state = CASE WHEN state IN ('new', 'acknowledged', 'in_progress') THEN 'resolved' "
        "ELSE state END, is_open = false "
        f"WHERE is_open AND ({later}) IS NOT NULL"
    )
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.create_index(
            "ux_flag_one_open",
            ["business_id", "pack_ref", "rule_id"],
            unique=True,
            sqlite_where=sa.text("is_open"),
            postgresql_where=sa.text("is_open"),
        )


def downgrade() -> None:
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index("ux_flag_one_open")
    with op.batch_alter_table("monitoring_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_run_token"))
        batch_op.drop_index(batch_op.f("ix_monitoring_run_status"))
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
        batch_op.drop_column("token")
        batch_op.drop_column("error")
        batch_op.drop_column("status")
