"""when each person last chose or confirmed their site: an old one is asked about again (issue 12)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

Before this revision a site, once chosen, was never asked about again, so the last time a person told us
their site is when they chose it: just before their first report at it (the site is the first question of
a report), or, for someone who only signed up for an assembly, at some point after they first wrote. That
is what the column gets, and never a later time: the deployment day (now()) or their last message would
claim a confirmation nobody gave, and hide the question for a month from exactly the people who have had
time to move. Someone whose site is older than SITE_CONFIRM_DAYS is asked once, at their next report.
"""

import sqlalchemy as sa
from alembic import op

import bot.models

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

CHOSEN = """
UPDATE contact SET site_confirmed_at = coalesce(
    (SELECT min(feedback.created_at) FROM feedback
     WHERE feedback.contact_id = contact.id AND feedback.site_id = contact.site_id),
    contact.created_at
)
WHERE site_id IS NOT NULL
"""


def upgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_confirmed_at', bot.models.UTCDateTime(timezone=True), nullable=True))
    op.execute(CHOSEN)


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('site_confirmed_at')
