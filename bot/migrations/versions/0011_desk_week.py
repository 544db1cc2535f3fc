"""the triage desk for a week of work: partners and referrals, response-time targets, duplicates, word search

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import bot.models
from bot.search import fold

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The defaults of ACKNOWLEDGE_HOURS, RESOLVE_DAYS and PROTECTION_DEADLINE_HOURS: cases already in
# the queue get the targets a new case would get with the default settings.
ACKNOWLEDGE = timedelta(hours=48)
RESOLVE = timedelta(days=14)
PROTECTION = timedelta(hours=24)
BATCH = 2000

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE feedback_search USING fts5(search_text, content='feedback', content_rowid='id')",
    "CREATE TRIGGER feedback_search_insert AFTER INSERT ON feedback BEGIN"
    " INSERT INTO feedback_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER feedback_search_delete AFTER DELETE ON feedback BEGIN"
    " INSERT INTO feedback_search(feedback_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER feedback_search_update AFTER UPDATE OF search_text ON feedback BEGIN"
    " INSERT INTO feedback_search(feedback_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    " INSERT INTO feedback_search(rowid, search_text) VALUES (new.id, new.search_text); END",
)
POSTGRES_SEARCH = (
    "CREATE INDEX ix_feedback_search ON feedback USING gin (to_tsvector('simple', coalesce(search_text, '')))",
)


def upgrade() -> None:
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('partner_site',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'site_id')
    )
    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('note_encrypted', sa.Text(), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('declined_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name='fk_referral_created_by_id'),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], ),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_referral_feedback', 'referral', ['feedback_id', 'created_at'], unique=False)
    with op.batch_alter_table('canned_reply', schema=None) as batch_op:
        batch_op.add_column(sa.Column('titles', sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_login_at', bot.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledge_by', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolve_by', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('due_at', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))
        batch_op.create_index('ix_feedback_due', ['due_at', 'id'], unique=False)
        batch_op.create_foreign_key('fk_feedback_duplicate_of_id', 'feedback', ['duplicate_of_id'], ['id'])
    _fill_feedback()
    for statement in SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRES_SEARCH:
        op.execute(statement)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("INSERT INTO feedback_search(feedback_search) VALUES ('rebuild')")


def _fill_feedback() -> None:
    """Targets and folded words for the cases already there, a batch at a time."""
    bind = op.get_bind()
    feedback = sa.table(
        'feedback',
        sa.column('id', sa.Integer), sa.column('kind', sa.String), sa.column('status', sa.String),
        sa.column('confidential', sa.Boolean), sa.column('text', sa.Text),
        sa.column('created_at', bot.models.UTCDateTime(timezone=True)),
        sa.column('first_response_at', bot.models.UTCDateTime(timezone=True)),
        sa.column('acknowledge_by', bot.models.UTCDateTime(timezone=True)),
        sa.column('resolve_by', bot.models.UTCDateTime(timezone=True)),
        sa.column('due_at', bot.models.UTCDateTime(timezone=True)),
        sa.column('search_text', sa.Text),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(feedback.c.id, feedback.c.kind, feedback.c.status, feedback.c.confidential, feedback.c.text,
                      feedback.c.created_at, feedback.c.first_response_at)
            .where(feedback.c.id > last).order_by(feedback.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            values = {"search_text": None if row.confidential else fold(row.text)}
            if row.kind != "assembly":
                acknowledge = row.created_at + (PROTECTION if row.kind == "confidential" else ACKNOWLEDGE)
                resolve = row.created_at + RESOLVE
                values |= {"acknowledge_by": acknowledge, "resolve_by": resolve}
                if row.status not in ("resolved", "closed"):
                    values["due_at"] = acknowledge if row.first_response_at is None else resolve
            bind.execute(sa.update(feedback).where(feedback.c.id == row.id).values(**values))
        last = rows[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER feedback_search_{trigger}")
        op.execute("DROP TABLE feedback_search")
    else:
        op.execute("DROP INDEX ix_feedback_search")
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint('fk_feedback_duplicate_of_id', type_='foreignkey')
        batch_op.drop_index('ix_feedback_due')
        batch_op.drop_column('search_text')
        batch_op.drop_column('duplicate_of_id')
        batch_op.drop_column('due_at')
        batch_op.drop_column('resolve_by')
        batch_op.drop_column('acknowledge_by')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
    with op.batch_alter_table('canned_reply', schema=None) as batch_op:
        batch_op.drop_column('titles')
    op.drop_index('ix_referral_feedback', table_name='referral')
    op.drop_table('referral')
    op.drop_table('partner_site')
    op.drop_table('partner')
