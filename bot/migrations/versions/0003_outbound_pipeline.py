"""outbound pipeline

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 07:54:22.483408
"""

import sqlalchemy as sa
from alembic import op

import bot.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('lane', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('error_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('error_message', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sent_at', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_at', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_message_status', ['status', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_status')
        batch_op.drop_column('status_at')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('error_message')
        batch_op.drop_column('error_code')
        batch_op.drop_column('attempts')
        batch_op.drop_column('lane')
        batch_op.drop_column('status')

