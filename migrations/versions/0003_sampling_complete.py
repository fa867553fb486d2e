"""Sampling complete: site booking rules, case details, identity documents, check-in, reminders, walk-ins.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0003'
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sampling_site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accessibility_notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('booking_horizon_days', sa.SmallInteger(), server_default='60', nullable=False))
        batch_op.add_column(sa.Column('minimum_notice_minutes', sa.SmallInteger(), server_default='60', nullable=False))

    with op.batch_alter_table('site_closure', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_site_closure_starts_before_ends'), 'starts_on <= ends_on')

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('walk_in', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('case_details', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('guardian_consent', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('reminder_message_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_type', sa.String(length=30), server_default='resident_id', nullable=False))
        batch_op.add_column(sa.Column('identity_unknown', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sample_tube_number', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('sample_taken_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.drop_column('sample_taken_at')
        batch_op.drop_column('sample_tube_number')
        batch_op.drop_column('description')
        batch_op.drop_column('identity_unknown')
        batch_op.drop_column('document_type')

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('checked_in_at')
        batch_op.drop_column('reminder_message_id')
        batch_op.drop_column('guardian_consent')
        batch_op.drop_column('case_details')
        batch_op.drop_column('walk_in')

    with op.batch_alter_table('site_closure', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_site_closure_starts_before_ends'), type_='check')

    with op.batch_alter_table('sampling_site', schema=None) as batch_op:
        batch_op.drop_column('minimum_notice_minutes')
        batch_op.drop_column('booking_horizon_days')
        batch_op.drop_column('accessibility_notes')
