"""provider tokens and capacity history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("organization_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_tokens_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_api_tokens_organization_id"), "api_tokens", ["organization_id"], unique=False
    )
    op.create_table(
        "capacity_reports",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("unit_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=400), nullable=False),
        sa.CheckConstraint("available >= 0", name=op.f("ck_capacity_reports_available")),
        sa.CheckConstraint(
            "maximum IS NULL OR maximum >= 0", name=op.f("ck_capacity_reports_maximum")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_capacity_reports_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_capacity_reports_unit_id_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_reports")),
    )
    op.create_index(
        "ix_capacity_reports_service_updated",
        "capacity_reports",
        ["service_id", "updated"],
        unique=False,
    )
    op.create_index(
        op.f("ix_capacity_reports_unit_id"), "capacity_reports", ["unit_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_capacity_reports_unit_id"), table_name="capacity_reports")
    op.drop_index("ix_capacity_reports_service_updated", table_name="capacity_reports")
    op.drop_table("capacity_reports")
    op.drop_index(op.f("ix_api_tokens_organization_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
