"""sessions, login attempts and unmet-need recording (issue #17, with #14's unmet-need item)

Reserved slot: the issue's work fills this in; until then it changes nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
