"""Saved views of the queue; the items a list-view audit event names, indexed

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-10 10:00:00

- saved_view: the queue's filters saved by a staff member under a name (unique per owner),
  personal or shared with a working group (portal.staff.saved_views).
- audit_event_item: one row per item a list-view audit event names in
  changes["numbers"]["items"] (a page of the queue, a sampling day list), keyed (item_id,
  audit_event_id), so that the audit log's filter by item finds those events through an index.
  Filled here from the events already stored (only items that still exist: the foreign key).

New tables only: nothing is rebuilt.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# The ids listed in every event's changes["numbers"]["items"], as (item_id, audit_event_id), for
# items that still exist; each database reads JSON its own way.
BACKFILL = {
    "sqlite": (
        "INSERT INTO audit_event_item (item_id, audit_event_id)"
        " SELECT DISTINCT CAST(listed.value AS INTEGER), e.id"
        " FROM audit_event e, json_each(e.changes, '$.numbers.items') listed"
        " WHERE json_type(e.changes, '$.numbers.items') = 'array'"
        " AND CAST(listed.value AS INTEGER) IN (SELECT id FROM intake_item)"
    ),
    "postgresql": (
        "INSERT INTO audit_event_item (item_id, audit_event_id)"
        " SELECT DISTINCT CAST(listed.value AS INTEGER), e.id"
        " FROM audit_event e"
        " CROSS JOIN LATERAL json_array_elements_text("
        "   CASE WHEN json_typeof(e.changes -> 'numbers' -> 'items') = 'array'"
        "   THEN e.changes -> 'numbers' -> 'items' ELSE '[]'::json END) AS listed(value)"
        " WHERE CAST(listed.value AS INTEGER) IN (SELECT id FROM intake_item)"
    ),
}


def upgrade():
    op.create_table(
        'saved_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('shared_with_group_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['staff_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['shared_with_group_id'], ['working_group.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('owner_id', 'name', name='uq_saved_view_owner_name'),
    )
    op.create_index('ix_saved_view_shared_with_group_id', 'saved_view', ['shared_with_group_id'], unique=False)
    op.create_table(
        'audit_event_item',
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('audit_event_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['audit_event_id'], ['audit_event.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['item_id'], ['intake_item.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('item_id', 'audit_event_id'),
    )
    backfill = BACKFILL.get(op.get_bind().dialect.name)
    if backfill:
        op.execute(backfill)


def downgrade():
    op.drop_table('audit_event_item')
    op.drop_index('ix_saved_view_shared_with_group_id', table_name='saved_view')
    op.drop_table('saved_view')
