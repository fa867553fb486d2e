"""The queue's "needs attention" order: an index on its key

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09 10:00:00

- ix_intake_item_attention: (band, deadline or received time, id), the key of the staff queue's
  "needs attention" order (portal.core.models.intake.ATTENTION_BAND_SQL), so that its key-set
  pages read an index on both databases. An index only: no table is rebuilt.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

BAND = (
    "CASE WHEN status = 'closed' THEN 4 WHEN priority = 0 THEN 0"
    " WHEN tipster_replied_at IS NOT NULL THEN 1"
    " WHEN feedback_due_at IS NOT NULL THEN 2 ELSE 3 END"
)
TIME = "COALESCE(feedback_due_at, received_at)"


def upgrade():
    op.create_index('ix_intake_item_attention', 'intake_item', [sa.text(f'({BAND})'), sa.text(TIME), 'id'], unique=False)


def downgrade():
    op.drop_index('ix_intake_item_attention', table_name='intake_item')
