"""travel costs and staffing

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_staffing",
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("core_fte", sa.Float(), nullable=False),
        sa.Column("psychiatrist_fte", sa.Float(), nullable=False),
        sa.CheckConstraint("core_fte >= 0", name=op.f("ck_service_staffing_core_fte")),
        sa.CheckConstraint(
            "psychiatrist_fte >= 0", name=op.f("ck_service_staffing_psychiatrist_fte")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_service_staffing_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_service_staffing")),
    )
    op.create_table(
        "travel_costs",
        sa.Column("area_id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["analysis_areas.id"],
            name=op.f("fk_travel_costs_area_id_analysis_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_travel_costs_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("area_id", "location_id", name=op.f("pk_travel_costs")),
    )
    op.create_index(
        op.f("ix_travel_costs_location_id"), "travel_costs", ["location_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_travel_costs_location_id"), table_name="travel_costs")
    op.drop_table("travel_costs")
    op.drop_table("service_staffing")
