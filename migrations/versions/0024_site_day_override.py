"""Staff's per-site decisions against the public holiday calendar

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 23:30:00

- site_day_override: one row per site and local day that staff reopened (a public holiday, or a
  weekend make-up working day confirmed for a year whose schedule is not published yet) or
  closed (a make-up working day the site skips). The calendar itself comes from the `holidays`
  package (portal.core.public_holidays); nothing of it is stored.

A new table only: no rows to keep, nothing rebuilt.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'site_day_override',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('open', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sampling_site.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('site_id', 'day', name='uq_site_day_override_site_id_day'),
    )


def downgrade():
    op.drop_table('site_day_override')
