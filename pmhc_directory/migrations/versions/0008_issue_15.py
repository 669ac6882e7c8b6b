"""import runs, problem reports and review flags (issue #15)

``import_runs``: uploads on the import page, their dry run, progress and report (one active at
a time: a unique ``active`` column). ``import_flags``: services an import kept with problems,
for the verification queue.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.Text(), nullable=False),
        sa.Column("fmt", sa.String(length=20), nullable=False),
        sa.Column("on_error", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Integer(), nullable=True),
        sa.Column("phase", sa.String(length=40), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("dry_run_summary", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("started_by", sa.String(length=320), nullable=False),
        sa.Column("confirmed_by", sa.String(length=320), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("heartbeat", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('checking', 'checked', 'importing', 'done', 'failed')",
            name=op.f("ck_import_runs_status"),
        ),
        sa.CheckConstraint("on_error IN ('fail', 'skip')", name=op.f("ck_import_runs_on_error")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
        sa.UniqueConstraint("active", name=op.f("uq_import_runs_active")),
    )
    op.create_index(op.f("ix_import_runs_status"), "import_runs", ["status"], unique=False)
    op.create_table(
        "import_flags",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("source", sa.String(length=320), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=320), nullable=True),
        sa.CheckConstraint("status IN ('open', 'cleared')", name=op.f("ck_import_flags_status")),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_import_flags_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_flags")),
    )
    op.create_index(
        op.f("ix_import_flags_service_id"), "import_flags", ["service_id"], unique=False
    )
    op.create_index(op.f("ix_import_flags_status"), "import_flags", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_import_flags_status"), table_name="import_flags")
    op.drop_index(op.f("ix_import_flags_service_id"), table_name="import_flags")
    op.drop_table("import_flags")
    op.drop_index(op.f("ix_import_runs_status"), table_name="import_runs")
    op.drop_table("import_runs")
