"""provider accounts, invitations, alerts with an expiry and proposals (issue #20)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD_ROLES = ("officer", "coordinator", "planner", "admin")
NEW_ROLES = (*OLD_ROLES, "provider")


def _role_type(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="role", native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    # The role column's CHECK constraint gains "provider" (batch mode recreates the table on
    # SQLite, which cannot alter a constraint).
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.add_column(sa.Column("organization_id", sa.Uuid(as_uuid=False), nullable=True))
        batch_op.create_check_constraint(op.f("ck_users_role"), sa.column("role").in_(NEW_ROLES))
        batch_op.create_index(batch_op.f("ix_users_organization_id"), ["organization_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_users_organization_id_organizations"),
            "organizations",
            ["organization_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("services") as batch_op:
        batch_op.add_column(
            sa.Column("alert_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("closed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "provider_invitations",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("organization_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_provider_invitations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_provider_invitations_token_hash")),
    )
    op.create_index(
        op.f("ix_provider_invitations_organization_id"),
        "provider_invitations",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "provider_proposals",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=320), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('hours', 'details')", name=op.f("ck_provider_proposals_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected')",
            name=op.f("ck_provider_proposals_status"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_provider_proposals_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_proposals")),
    )
    op.create_index(
        op.f("ix_provider_proposals_service_id"), "provider_proposals", ["service_id"], unique=False
    )
    op.create_index(
        op.f("ix_provider_proposals_status"), "provider_proposals", ["status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_provider_proposals_status"), table_name="provider_proposals")
    op.drop_index(op.f("ix_provider_proposals_service_id"), table_name="provider_proposals")
    op.drop_table("provider_proposals")
    op.drop_index(
        op.f("ix_provider_invitations_organization_id"), table_name="provider_invitations"
    )
    op.drop_table("provider_invitations")
    with op.batch_alter_table("services") as batch_op:
        batch_op.drop_column("closed_until")
        batch_op.drop_column("alert_expires_at")
    op.execute("DELETE FROM users WHERE role = 'provider'")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_users_organization_id_organizations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))
        batch_op.drop_column("organization_id")
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role"), sa.column("role").in_(OLD_ROLES))
