"""The visit is done: when, and why a person's sample was not taken

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 00:00:00

- appointment.visit_done_at (UTC): when every attendee's sample was recorded, or the desk closed
  the visit with someone not sampled. Set once, by a conditional UPDATE, and the family's "visit
  done" SMS is queued with it: a second close or a re-save never sends a second one.
- attendee.not_sampled_reason: why a person's sample was not taken when the visit was closed
  (a key of portal.sampling.visits.NOT_SAMPLED_REASONS); attendee.not_sampled_note: the desk's
  optional note, encrypted (EncryptedText, stored as text).

Plain ADD / DROP COLUMN (SQLite 3.35 and later drops a column in place): no table is rebuilt, so
the attendee table's partial unique index keeps its WHERE clause.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('appointment', sa.Column('visit_done_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('attendee', sa.Column('not_sampled_reason', sa.String(length=30), nullable=True))
    op.add_column('attendee', sa.Column('not_sampled_note', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('attendee', 'not_sampled_note')
    op.drop_column('attendee', 'not_sampled_reason')
    op.drop_column('appointment', 'visit_done_at')
