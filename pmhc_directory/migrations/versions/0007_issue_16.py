"""HSDS 3.1 fields kept on import and export (issues #16 and #15 item 5)

Reserved slot: the issue's work fills this in; until then it changes nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
