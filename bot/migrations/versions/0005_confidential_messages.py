"""confidential messages

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 08:28:16.505892
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidential', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('text_encrypted', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('text_encrypted')
        batch_op.drop_column('confidential')

