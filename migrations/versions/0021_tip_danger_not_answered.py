"""A tip's "child in danger" may be not answered yet

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 20:30:00

- tip.child_in_danger becomes nullable: NULL while the tipster has not answered "Is a child in
  danger right now?" (an SMS tip before its sender answers the question), so that the urgent
  banner tells "not answered yet" from "answered no". Tips already stored keep their value.

On SQLite the tip table is rebuilt (batch mode: SQLite cannot drop NOT NULL in place), which drops
the triggers that keep its full-text index (tip_fts, migration 0004) in step: they are made again
and the index rebuilt. On PostgreSQL the NOT NULL is dropped.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def _restore_tip_search_triggers():
    """The tip_fts triggers of migration 0004, as they were, after a batch rebuild of `tip` on
    SQLite dropped them; then the index is rebuilt from the table."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute("CREATE TRIGGER IF NOT EXISTS tip_fts_ai AFTER INSERT ON tip BEGIN "
               "INSERT INTO tip_fts(rowid, description) VALUES (new.id, new.description); END")
    op.execute("CREATE TRIGGER IF NOT EXISTS tip_fts_ad AFTER DELETE ON tip BEGIN "
               "INSERT INTO tip_fts(tip_fts, rowid, description) VALUES ('delete', old.id, old.description); END")
    op.execute("CREATE TRIGGER IF NOT EXISTS tip_fts_au AFTER UPDATE OF description ON tip BEGIN "
               "INSERT INTO tip_fts(tip_fts, rowid, description) VALUES ('delete', old.id, old.description); "
               "INSERT INTO tip_fts(rowid, description) VALUES (new.id, new.description); END")
    op.execute("INSERT INTO tip_fts(tip_fts) VALUES ('rebuild')")


def upgrade():
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.alter_column('child_in_danger', existing_type=sa.Boolean(), nullable=True)
    _restore_tip_search_triggers()


def downgrade():
    op.execute("UPDATE tip SET child_in_danger = false WHERE child_in_danger IS NULL")
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.alter_column('child_in_danger', existing_type=sa.Boolean(), nullable=False)
    _restore_tip_search_triggers()
