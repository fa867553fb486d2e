"""The urgent banner says why: the danger word kept with an urgent alert

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 10:00:00

- urgent_alert.danger_word: the danger word that made an SMS tip urgent when its sender had not
  said a child is in danger (None for alerts raised before, and for a tipster's "yes").

Added and dropped without rebuilding the table (no batch mode), as in 0015.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('urgent_alert', sa.Column('danger_word', sa.String(length=40), nullable=True))


def downgrade():
    op.drop_column('urgent_alert', 'danger_word')
