"""confidential at rest, and conversation positions kept in the database (issue 9, items 1 to 4)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import json

import sqlalchemy as sa
from alembic import op

import bot.models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Positions lived in Redis, this table held them only during an outage and in clear: it goes, and
    # the conversations under way at the upgrade start again at the main menu.
    op.drop_table('conversation_fallback')
    op.create_table(
        'conversation_state',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('state', sa.Text(), nullable=False),
        sa.Column('expires_at', bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('conversation_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_state_expires_at'), ['expires_at'], unique=False)
    # What staff write about a confidential report, encrypted (bot.cases.sealed); what was written
    # before is sealed below.
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('outcome_encrypted', sa.Text(), nullable=True))
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_encrypted', sa.Text(), nullable=True))
        batch_op.alter_column('text', existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail_encrypted', sa.Text(), nullable=True))
    _seal_what_was_written()


# (table, clear column, sealed column, how to find the rows of confidential reports)
_WRITTEN = (
    ("feedback", "outcome", "outcome_encrypted", "confidential"),
    ("feedback", "tags", "tags_encrypted", "confidential"),
    ("case_note", "text", "text_encrypted", "feedback_id IN (SELECT id FROM feedback WHERE confidential)"),
    ("case_event", "detail", "detail_encrypted", "feedback_id IN (SELECT id FROM feedback WHERE confidential)"),
)


def _seal_what_was_written() -> None:
    """Seal what staff already wrote about confidential reports: it needs SECRET_KEY, read like every process."""
    connection = op.get_bind()
    found = {
        (table, clear, sealed): connection.execute(
            sa.text(f"SELECT id, {clear} FROM {table} WHERE {clear} IS NOT NULL AND {where}")
        ).all()
        for table, clear, sealed, where in _WRITTEN
    }
    if not any(found.values()):
        return
    from bot.config import get_settings
    from bot.vault import Vault

    vault = Vault(get_settings().secret_key)  # refuses an empty key: the rows stay as they were
    for (table, clear, sealed), rows in found.items():
        for row_id, value in rows:
            written = json.loads(value) if isinstance(value, str) and clear in ("tags", "detail") else value
            connection.execute(
                sa.text(f"UPDATE {table} SET {clear} = NULL, {sealed} = :sealed WHERE id = :id"),
                {"sealed": vault.encrypt(json.dumps(written, ensure_ascii=False)), "id": row_id},
            )


def downgrade() -> None:
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_column('detail_encrypted')
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('text_encrypted')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('outcome_encrypted')
        batch_op.drop_column('tags_encrypted')
    with op.batch_alter_table('conversation_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_state_expires_at'))
    op.drop_table('conversation_state')
    op.create_table(
        'conversation_fallback',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('state', sa.Text(), nullable=False),
        sa.Column('expires_at', bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
