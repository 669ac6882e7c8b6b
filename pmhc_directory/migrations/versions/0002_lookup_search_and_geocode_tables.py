"""lookup search and geocode tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geocode_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("label", sa.String(length=500), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_geocode_cache")),
    )
    op.create_table(
        "search_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_search_changes")),
    )
    op.create_index(
        op.f("ix_search_changes_service_id"), "search_changes", ["service_id"], unique=False
    )
    op.create_table(
        "unmet_needs",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("need", sa.String(length=100), nullable=False),
        sa.Column("area_id", sa.String(length=64), nullable=True),
        sa.Column("hour_of_week", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "hour_of_week BETWEEN 0 AND 167", name=op.f("ck_unmet_needs_hour_of_week")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmet_needs")),
    )
    op.create_index(op.f("ix_unmet_needs_area_id"), "unmet_needs", ["area_id"], unique=False)
    op.create_index(op.f("ix_unmet_needs_need"), "unmet_needs", ["need"], unique=False)
    op.create_table(
        "problem_reports",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("reported_by", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=320), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('closed', 'wrong-phone', 'wrong-hours', 'wrong-address', 'refused', 'other')",
            name=op.f("ck_problem_reports_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'resolved', 'dismissed')", name=op.f("ck_problem_reports_status")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_problem_reports_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_reports")),
    )
    op.create_index(
        op.f("ix_problem_reports_service_id"), "problem_reports", ["service_id"], unique=False
    )
    op.create_index(op.f("ix_problem_reports_status"), "problem_reports", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_problem_reports_status"), table_name="problem_reports")
    op.drop_index(op.f("ix_problem_reports_service_id"), table_name="problem_reports")
    op.drop_table("problem_reports")
    op.drop_index(op.f("ix_unmet_needs_need"), table_name="unmet_needs")
    op.drop_index(op.f("ix_unmet_needs_area_id"), table_name="unmet_needs")
    op.drop_table("unmet_needs")
    op.drop_index(op.f("ix_search_changes_service_id"), table_name="search_changes")
    op.drop_table("search_changes")
    op.drop_table("geocode_cache")
