"""Retired tube numbers: numbers corrected away or removed stay reserved

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:03:00

Before 0012 (unique tube numbers), so that `flask tube-numbers resolve` can run on a database
0012 refuses and check the new numbers it sets against this table.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'retired_tube_number',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tube_number', sa.String(length=40), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tube_number'),
    )


def downgrade():
    op.drop_table('retired_tube_number')
