"""reliable work: protection alerts as durable records, and send leases (issue 9, items 6 and 7)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

The alert of a confidential report becomes a `protection_alert` row, which replaces
`feedback.alerted_at`. Send leases need no column: a claim's time is `message.status_at`.
"""

import sqlalchemy as sa
from alembic import op

import bot.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Reports no longer waiting: an alert that never went for one of them is not sent late.
DONE = ("resolved", "closed")


def upgrade() -> None:
    alerts = op.create_table(
        'protection_alert',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('feedback_id', sa.Integer(), nullable=False),
        sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('done_at', bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('message_ids', sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('feedback_id', name='uq_protection_alert_feedback_id'),
    )
    with op.batch_alter_table('protection_alert', schema=None) as batch_op:
        batch_op.create_index('ix_protection_alert_pending', ['done_at', 'created_at'], unique=False)

    # Alerts that went keep their time; a ready report still open that was never alerted (its alert
    # was lost, or no numbers were set) gets a pending one, which the sweep sends.
    feedback = sa.table(
        'feedback',
        sa.column('id', sa.Integer()),
        sa.column('confidential', sa.Boolean()),
        sa.column('status', sa.String()),
        sa.column('ready_at', bot.models.UTCDateTime(timezone=True)),
        sa.column('alerted_at', bot.models.UTCDateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(feedback.c.id, feedback.c.status, feedback.c.ready_at, feedback.c.alerted_at).where(
            feedback.c.confidential.is_(True), feedback.c.ready_at.is_not(None)
        )
    ).all()
    records = [
        {'feedback_id': id_, 'created_at': alerted_at or ready_at, 'done_at': alerted_at}
        for id_, status, ready_at, alerted_at in rows
        if alerted_at is not None or status not in DONE
    ]
    if records:
        op.bulk_insert(alerts, records)

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('alerted_at')


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alerted_at', bot.models.UTCDateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    feedback = sa.table(
        'feedback', sa.column('id', sa.Integer()), sa.column('alerted_at', bot.models.UTCDateTime(timezone=True))
    )
    alerts = sa.table(
        'protection_alert',
        sa.column('feedback_id', sa.Integer()),
        sa.column('done_at', bot.models.UTCDateTime(timezone=True)),
    )
    for feedback_id, done_at in connection.execute(
        sa.select(alerts.c.feedback_id, alerts.c.done_at).where(alerts.c.done_at.is_not(None))
    ).all():
        connection.execute(sa.update(feedback).where(feedback.c.id == feedback_id).values(alerted_at=done_at))
    with op.batch_alter_table('protection_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_protection_alert_pending')
    op.drop_table('protection_alert')
