"""reliable work: protection alerts as durable records, and send leases (issue 9, items 6 and 7)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
