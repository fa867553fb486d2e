"""Closures that site staff propose and an admin confirms or rejects

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 23:10:00

- site_closure.status: proposed / confirmed / rejected; closures already stored are confirmed
  (they were added by admins, who close days at once). Only a confirmed closure closes days.
- site_closure.proposed_by_id, proposed_at: the site staff account that proposed it, and when (UTC).
- site_closure.decided_by_id, decided_at: the admin who confirmed or rejected it, and when (UTC).
- site_closure.families_told: how many families were sent the closure SMS when it was confirmed
  (NULL before, and for closures stored before this migration).

The site_closure table is rebuilt on SQLite (batch mode, for the foreign keys); it has no
full-text triggers.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('site_closure') as batch:
        batch.add_column(sa.Column('status', sa.String(length=20), server_default='confirmed', nullable=False))
        batch.add_column(sa.Column('proposed_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('families_told', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_site_closure_proposed_by_id_staff_user', 'staff_user',
                                 ['proposed_by_id'], ['id'], ondelete='SET NULL')
        batch.create_foreign_key('fk_site_closure_decided_by_id_staff_user', 'staff_user',
                                 ['decided_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    # A proposal that was never confirmed closed no day: without a status it would close them.
    op.execute("DELETE FROM site_closure WHERE status <> 'confirmed'")
    with op.batch_alter_table('site_closure') as batch:
        batch.drop_constraint('fk_site_closure_decided_by_id_staff_user', type_='foreignkey')
        batch.drop_constraint('fk_site_closure_proposed_by_id_staff_user', type_='foreignkey')
        batch.drop_column('families_told')
        batch.drop_column('decided_at')
        batch.drop_column('decided_by_id')
        batch.drop_column('proposed_at')
        batch.drop_column('proposed_by_id')
        batch.drop_column('status')
