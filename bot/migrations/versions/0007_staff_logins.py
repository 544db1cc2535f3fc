"""staff logins: server-side login sessions and account administration (issue 9, items 12 and 13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import bot.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Login cookies signed before this carry no login token: staff sign in again once after the upgrade.
    op.create_table(
        'staff_login',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('staff_login', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_login_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_login', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_login_staff_id'))
    op.drop_table('staff_login')
