"""Who set an intake item's region: region_source (tipster, recognised, staff)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10 10:00:00

Issue 15: a tip's region is now also recognised in its words at intake and corrected by staff on
the item page; staff need to know which. Items stored before this had a region only from the
tipster's answers (or none).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN, not batch mode: rebuilding intake_item would cascade-delete its tips.
    op.add_column('intake_item', sa.Column('region_source', sa.String(length=12), nullable=True))
    op.execute("UPDATE intake_item SET region_source = 'tipster' WHERE region_code IS NOT NULL")


def downgrade():
    op.drop_column('intake_item', 'region_source')
