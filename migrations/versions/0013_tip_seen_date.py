"""A tip's date as far as the tipster knew it: seen_date, an EDTF string

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:30:00

The "when" page now takes a day, a month, a year or a decade, perhaps approximate, stored as
EDTF (2026-11-03, 2026-11, 2026, 202X, 2026~); seen_on keeps the first day it can mean. Tips
stored before this were given to the day: their seen_date is that day.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('tip', sa.Column('seen_date', sa.String(length=20), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE tip SET seen_date = to_char(seen_on, 'YYYY-MM-DD') WHERE seen_on IS NOT NULL")
    else:
        # SQLite keeps a Date as its ISO text already.
        op.execute("UPDATE tip SET seen_date = seen_on WHERE seen_on IS NOT NULL")


def downgrade():
    op.drop_column('tip', 'seen_date')
