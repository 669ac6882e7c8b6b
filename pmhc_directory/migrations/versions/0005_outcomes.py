"""outcomes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scorecard_answers",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("answered_by", sa.String(length=320), nullable=False),
        sa.CheckConstraint(
            "status IN ('yes', 'partly', 'no', 'unknown')", name=op.f("ck_scorecard_answers_status")
        ),
        sa.CheckConstraint("question BETWEEN 1 AND 6", name=op.f("ck_scorecard_answers_question")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_answers")),
    )
    op.create_index(
        op.f("ix_scorecard_answers_question"), "scorecard_answers", ["question"], unique=False
    )
    op.create_table(
        "encounters",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("occurred_hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("area_id", sa.String(length=64), nullable=True),
        sa.Column("needs", sa.String(length=500), nullable=False),
        sa.Column("referred_types", sa.String(length=500), nullable=False),
        sa.Column("disposition", sa.String(length=40), nullable=False),
        sa.Column("facility_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("decline_reason", sa.String(length=40), nullable=True),
        sa.Column("use_of_force", sa.Boolean(), nullable=False),
        sa.Column("injury", sa.Boolean(), nullable=False),
        sa.Column("person_token", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.String(length=320), nullable=True),
        sa.Column("created_on", sa.Date(), server_default=sa.func.current_date(), nullable=False),
        sa.CheckConstraint(
            "decline_reason IS NULL OR decline_reason IN ('full', 'medical-clearance', 'intoxicated', 'involuntary', 'behavior', 'other')",
            name=op.f("ck_encounters_decline_reason"),
        ),
        sa.CheckConstraint(
            "disposition IN ('connected-on-scene', 'transported', 'facility-declined', 'referred-only', 'emergency-department', 'arrest', 'no-action')",
            name=op.f("ck_encounters_disposition"),
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["services.id"],
            name=op.f("fk_encounters_facility_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounters")),
    )
    op.create_index(op.f("ix_encounters_area_id"), "encounters", ["area_id"], unique=False)
    op.create_index(op.f("ix_encounters_disposition"), "encounters", ["disposition"], unique=False)
    op.create_index(op.f("ix_encounters_facility_id"), "encounters", ["facility_id"], unique=False)
    op.create_index(
        op.f("ix_encounters_occurred_hour"), "encounters", ["occurred_hour"], unique=False
    )
    op.create_index(
        op.f("ix_encounters_person_token"), "encounters", ["person_token"], unique=False
    )
    op.create_table(
        "encounter_referrals",
        sa.Column("encounter_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f("fk_encounter_referrals_encounter_id_encounters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_encounter_referrals_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("encounter_id", "service_id", name=op.f("pk_encounter_referrals")),
    )
    op.create_index(
        op.f("ix_encounter_referrals_service_id"),
        "encounter_referrals",
        ["service_id"],
        unique=False,
    )
    op.create_table(
        "follow_ups",
        sa.Column("encounter_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("connected_7_days", sa.Boolean(), nullable=True),
        sa.Column("connected_30_days", sa.Boolean(), nullable=True),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f("fk_follow_ups_encounter_id_encounters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("encounter_id", name=op.f("pk_follow_ups")),
    )


def downgrade() -> None:
    op.drop_table("follow_ups")
    op.drop_index(op.f("ix_encounter_referrals_service_id"), table_name="encounter_referrals")
    op.drop_table("encounter_referrals")
    op.drop_index(op.f("ix_encounters_person_token"), table_name="encounters")
    op.drop_index(op.f("ix_encounters_occurred_hour"), table_name="encounters")
    op.drop_index(op.f("ix_encounters_facility_id"), table_name="encounters")
    op.drop_index(op.f("ix_encounters_disposition"), table_name="encounters")
    op.drop_index(op.f("ix_encounters_area_id"), table_name="encounters")
    op.drop_table("encounters")
    op.drop_index(op.f("ix_scorecard_answers_question"), table_name="scorecard_answers")
    op.drop_table("scorecard_answers")
