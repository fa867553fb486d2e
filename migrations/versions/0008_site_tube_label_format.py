"""Sampling sites: a tube label format and its check character

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:05:00

Before 0012 (unique tube numbers), which refuses to apply while two people share a tube number:
a database it refuses stays at 0009 and already has these columns, so the application (the public
booking pages, the `flask tube-numbers` commands that resolve the shared numbers) can run on it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, never batch mode (see 0007): a batch "move and copy" rebuilds the table.
    op.add_column('sampling_site', sa.Column('tube_label_format', sa.String(length=60), nullable=True))
    op.add_column('sampling_site', sa.Column('tube_check_algorithm', sa.String(length=20), nullable=True))


def downgrade():
    op.drop_column('sampling_site', 'tube_check_algorithm')
    op.drop_column('sampling_site', 'tube_label_format')
