"""service desk: ticket lifecycle, SLA marks, escalation steps, records, outbox fields

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "escalation_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "step_index", name="uq_escalation_step"),
    )
    with op.batch_alter_table("escalation_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_step_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_escalation_step_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_pause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("waiting_on", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("incident_pause", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_pause_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "loaner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("serial", sa.String(length=200), nullable=False),
        sa.Column("lent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loaner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loaner_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "onsite_dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("technician", sa.String(length=200), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("onsite_dispatch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onsite_dispatch_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "sla_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pct", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "kind", "pct", name="uq_sla_mark"),
    )
    with op.batch_alter_table("sla_mark", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_mark_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "supplier_escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supplier_escalation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_escalation_incident_id"), ["incident_id"], unique=False
        )

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source",
                sa.Enum(
                    "monitoring",
                    "customer",
                    "operator",
                    name="ticket_source",
                    native_enum=False,
                    length=32,
                ),
                server_default="monitoring",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("reported_by", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("assignee", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("chain", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("paused_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("eta_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("eta_noticed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reaction_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("incident_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("author", sa.String(length=64), server_default="", nullable=False)
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("kind", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("payload", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )
        batch_op.add_column(sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_customer"), ["customer"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_customer"))
        batch_op.drop_column("digest_id")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("deadline_at")
        batch_op.drop_column("payload")
        batch_op.drop_column("kind")
        batch_op.drop_column("customer")

    with op.batch_alter_table("incident_event", schema=None) as batch_op:
        batch_op.drop_column("author")

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("resolution_due_at")
        batch_op.drop_column("reaction_due_at")
        batch_op.drop_column("eta_noticed_at")
        batch_op.drop_column("eta_at")
        batch_op.drop_column("paused_since")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("chain")
        batch_op.drop_column("assignee")
        batch_op.drop_column("reported_by")
        batch_op.drop_column("source")

    with op.batch_alter_table("supplier_escalation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_escalation_incident_id"))

    op.drop_table("supplier_escalation")
    with op.batch_alter_table("sla_mark", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_mark_incident_id"))

    op.drop_table("sla_mark")
    with op.batch_alter_table("onsite_dispatch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onsite_dispatch_incident_id"))

    op.drop_table("onsite_dispatch")
    with op.batch_alter_table("loaner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loaner_incident_id"))

    op.drop_table("loaner")
    with op.batch_alter_table("incident_pause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_pause_incident_id"))

    op.drop_table("incident_pause")
    with op.batch_alter_table("escalation_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_step_incident_id"))
        batch_op.drop_index(batch_op.f("ix_escalation_step_due_at"))

    op.drop_table("escalation_step")
