"""inbox indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 08:38:16.408293
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_category_inbox', ['category', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_feedback_newest', ['created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_newest')
        batch_op.drop_index('ix_feedback_category_inbox')

