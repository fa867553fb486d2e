"""Tip journey: drafts, photos, questions to the tipster and answers, follow-up lockout, who/when columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 17:08:48.832817

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # The tip table first: on SQLite the batch copies it, and nothing may reference it yet.
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('seen_time', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('child_age', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('child_sex', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('child_height', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('child_clothing', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('child_marks', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('child_language', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('adults_description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('vehicle_description', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('vehicle_plate', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))
        batch_op.create_index(batch_op.f('ix_tip_vehicle_plate'), ['vehicle_plate'], unique=False)

    op.create_table('follow_up_guard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference_hash', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_guard')),
    sa.UniqueConstraint('reference_hash', name=op.f('uq_follow_up_guard_reference_hash'))
    )
    op.create_table('tip_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('answers', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=True),
    sa.Column('honeypot', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], name=op.f('fk_tip_draft_tip_id_tip'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_draft')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_tip_draft_key_hash'))
    )
    with op.batch_alter_table('tip_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_draft_expires_at'), ['expires_at'], unique=False)

    op.create_table('tip_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sent_by_sms', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['asked_by_id'], ['staff_user.id'], name=op.f('fk_tip_question_asked_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], name=op.f('fk_tip_question_tip_id_tip'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_question'))
    )
    with op.batch_alter_table('tip_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_question_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['tip_question.id'], name=op.f('fk_tip_follow_up_question_id_tip_question'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], name=op.f('fk_tip_follow_up_tip_id_tip'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_follow_up'))
    )
    with op.batch_alter_table('tip_follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_follow_up_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('tip_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_id', sa.Integer(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('kept_location', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['tip_draft.id'], name=op.f('fk_tip_photo_draft_id_tip_draft'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['follow_up_id'], ['tip_follow_up.id'], name=op.f('fk_tip_photo_follow_up_id_tip_follow_up'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], name=op.f('fk_tip_photo_tip_id_tip'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_photo')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_tip_photo_stored_name'))
    )
    with op.batch_alter_table('tip_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_photo_draft_id'), ['draft_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_photo_tip_id'), ['tip_id'], unique=False)



def downgrade():
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_vehicle_plate'))
        batch_op.drop_column('language')
        batch_op.drop_column('vehicle_plate')
        batch_op.drop_column('vehicle_description')
        batch_op.drop_column('adults_description')
        batch_op.drop_column('child_language')
        batch_op.drop_column('child_marks')
        batch_op.drop_column('child_clothing')
        batch_op.drop_column('child_height')
        batch_op.drop_column('child_sex')
        batch_op.drop_column('child_age')
        batch_op.drop_column('seen_time')
        batch_op.drop_column('seen_on')

    with op.batch_alter_table('tip_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_photo_tip_id'))
        batch_op.drop_index(batch_op.f('ix_tip_photo_draft_id'))

    op.drop_table('tip_photo')
    with op.batch_alter_table('tip_follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_follow_up_tip_id'))

    op.drop_table('tip_follow_up')
    with op.batch_alter_table('tip_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_question_tip_id'))

    op.drop_table('tip_question')
    with op.batch_alter_table('tip_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_draft_expires_at'))

    op.drop_table('tip_draft')
    op.drop_table('follow_up_guard')
