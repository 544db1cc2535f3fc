"""confidential at rest, and conversation positions kept in the database (issue 9, items 1 to 4)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
