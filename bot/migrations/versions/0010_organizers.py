"""organizers: assemblies announced, sign-up lifecycle, broadcasts (issue 10)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import bot.models

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broadcast',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('send_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('recipients', sa.Integer(), server_default='0', nullable=False),
    sa.Column('left_out', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('finished_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name='fk_broadcast_created_by_id'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('assembly_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('assembly_id', 'contact_id', 'kind', name='uq_assembly_notice_once')
    )
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.add_column(sa.Column('titles', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('descriptions', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='planned', nullable=False))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_foreign_key('fk_assembly_created_by_id', 'staff_user', ['created_by_id'], ['id'])

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('whatsapp_seen_at', bot.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broadcast_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_message_bulk', ['lane', 'channel', 'status', 'id'], unique=False)
        batch_op.create_unique_constraint('uq_message_broadcast_contact', ['broadcast_id', 'contact_id'])
        batch_op.create_foreign_key('fk_message_broadcast_id', 'broadcast', ['broadcast_id'], ['id'])

    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('told_at', bot.models.UTCDateTime(timezone=True), nullable=True))
    _rename_signup_status('waitlist', 'waiting')
    # Where each person last wrote from, and when on WhatsApp: where reminders and broadcasts go.
    op.execute(
        "UPDATE contact SET channel = (SELECT m.channel FROM message m WHERE m.contact_id = contact.id"
        " AND m.direction = 'in' ORDER BY m.created_at DESC, m.id DESC LIMIT 1)"
    )
    op.execute(
        "UPDATE contact SET whatsapp_seen_at = (SELECT max(m.created_at) FROM message m WHERE m.contact_id = contact.id"
        " AND m.direction = 'in' AND m.channel = 'whatsapp')"
    )


def _rename_signup_status(old: str, new: str) -> None:
    """The waiting list's code is `waiting`, as the API names it; a sign-up's category is its status."""
    op.execute(sa.text("UPDATE signup SET status = :new WHERE status = :old").bindparams(old=old, new=new))
    op.execute(
        sa.text("UPDATE feedback SET category = :new WHERE kind = 'assembly' AND category = :old").bindparams(
            old=old, new=new
        )
    )


def downgrade() -> None:
    _rename_signup_status('waiting', 'waitlist')
    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.drop_column('told_at')
        batch_op.drop_column('updated_at')

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint('fk_message_broadcast_id', type_='foreignkey')
        batch_op.drop_constraint('uq_message_broadcast_contact', type_='unique')
        batch_op.drop_index('ix_message_bulk')
        batch_op.drop_column('broadcast_id')

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('whatsapp_seen_at')
        batch_op.drop_column('channel')

    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_constraint('fk_assembly_created_by_id', type_='foreignkey')
        batch_op.drop_column('revision')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('status')
        batch_op.drop_column('descriptions')
        batch_op.drop_column('titles')

    op.drop_table('assembly_notice')
    op.drop_table('broadcast')
