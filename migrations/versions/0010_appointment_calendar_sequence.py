"""Appointments keep their calendar file's SEQUENCE

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 06:30:00

The `.ics` of a booking is one calendar event (UID from the reference). RFC 5545 asks for a
higher SEQUENCE each time the event changes, so that a calendar that imported it replaces it:
a move or a cancellation adds one (`portal.sampling.booking`).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointment') as batch_op:
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade():
    with op.batch_alter_table('appointment') as batch_op:
        batch_op.drop_column('calendar_sequence')
