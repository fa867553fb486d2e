"""Kept SMS answers: the hotline's answer to a message, encrypted, for an hour

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 06:45:00

A repeated delivery of the same MessageSid (the first answer lost) gets the same answer again
instead of an empty one; the worker erases the kept answer after the hour.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inbound_message') as batch_op:
        batch_op.add_column(sa.Column('answer', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('answer_kept_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_inbound_message_answer_kept_until', ['answer_kept_until'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound_message') as batch_op:
        batch_op.drop_index('ix_inbound_message_answer_kept_until')
        batch_op.drop_column('answer_kept_until')
        batch_op.drop_column('answer')
