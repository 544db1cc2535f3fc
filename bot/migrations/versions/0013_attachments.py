"""files people send (voice notes, photos, call recordings), kept encrypted once fetched (issue 13)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

import bot.models

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('seconds', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.String(length=40), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('content_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stored_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], ),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_attachment_status', 'attachment', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_attachment_message_id'), 'attachment', ['message_id'], unique=False)
    op.create_index(op.f('ix_attachment_feedback_id'), 'attachment', ['feedback_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_attachment_feedback_id'), table_name='attachment')
    op.drop_index(op.f('ix_attachment_message_id'), table_name='attachment')
    op.drop_index('ix_attachment_status', table_name='attachment')
    op.drop_table('attachment')
