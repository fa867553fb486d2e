"""A tip's "child in danger" may be not answered yet

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 20:30:00

- tip.child_in_danger becomes nullable: NULL while the tipster has not answered "Is a child in
  danger right now?" (an SMS tip before its sender answers the question), so that the urgent
  banner tells "not answered yet" from "answered no". Tips already stored keep their value.

On SQLite the tip table is rebuilt (batch mode); on PostgreSQL the NOT NULL is dropped.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.alter_column('child_in_danger', existing_type=sa.Boolean(), nullable=True)


def downgrade():
    op.execute("UPDATE tip SET child_in_danger = false WHERE child_in_danger IS NULL")
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.alter_column('child_in_danger', existing_type=sa.Boolean(), nullable=False)
