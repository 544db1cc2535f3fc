"""triage desk

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:02:19.208142
"""

import sqlalchemy as sa
from alembic import op

import bot.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('canned_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('staff_site',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'site_id')
    )
    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_feedback_id'), ['feedback_id'], unique=False)

    op.create_table('case_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_feedback_id'), ['feedback_id'], unique=False)

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tags', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('first_response_at', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('alerted_at', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_feedback_assignee_inbox', ['assignee_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_feedback_contact', ['contact_id', 'created_at'], unique=False)
        batch_op.create_index('ix_feedback_inbox', ['confidential', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_feedback_kind_inbox', ['kind', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_feedback_site_inbox', ['site_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_feedback_status_inbox', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_foreign_key('fk_feedback_assignee_id', 'staff_user', ['assignee_id'], ['id'])

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('interface_language', sa.String(length=10), server_default='fr', nullable=False))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('api_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_staff_user_api_token_hash', ['api_token_hash'])



def downgrade() -> None:
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_staff_user_api_token_hash', type_='unique')
        batch_op.drop_column('api_token_hash')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('interface_language')
        batch_op.drop_column('active')

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint('fk_feedback_assignee_id', type_='foreignkey')
        batch_op.drop_index('ix_feedback_status_inbox')
        batch_op.drop_index('ix_feedback_site_inbox')
        batch_op.drop_index('ix_feedback_kind_inbox')
        batch_op.drop_index('ix_feedback_inbox')
        batch_op.drop_index('ix_feedback_contact')
        batch_op.drop_index('ix_feedback_assignee_inbox')
        batch_op.drop_column('alerted_at')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('first_response_at')
        batch_op.drop_column('outcome')
        batch_op.drop_column('tags')
        batch_op.drop_column('assignee_id')

    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_note_feedback_id'))

    op.drop_table('case_note')
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_feedback_id'))

    op.drop_table('case_event')
    op.drop_table('staff_site')
    op.drop_table('canned_reply')
