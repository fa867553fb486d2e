"""A tipster's reply reaches the officer; feedback goes back to the tipster

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00

- intake_item.tipster_replied_at: "tipster replied", until someone opens the item.
- tip_question.answered_at: when the tipster first answered the question.
- staff_user.duty_phone: the optional mobile number for duty messages (encrypted).
- tip_feedback: feedback given to a tipster (a template, both languages, as it read).
- feedback_template: an admin's wording of a template (none: the wording in the code).

Columns are added without rebuilding their tables (no batch mode): rebuilding intake_item or
tip on SQLite would cascade-delete their children.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('intake_item', sa.Column('tipster_replied_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('tip_question', sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('staff_user', sa.Column('duty_phone', sa.Text(), nullable=True))
    # Questions answered before this migration: answered when their first answer arrived.
    op.execute(
        "UPDATE tip_question SET answered_at = (SELECT MIN(f.received_at) FROM tip_follow_up f"
        " WHERE f.question_id = tip_question.id)"
    )
    op.create_table(
        'tip_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tip_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('final', sa.Boolean(), nullable=False),
        sa.Column('text_zh', sa.Text(), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('given_by_id', sa.Integer(), nullable=True),
        sa.Column('sent_by_sms', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['given_by_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_tip_feedback_tip_id', 'tip_feedback', ['tip_id'], unique=False)
    op.create_table(
        'feedback_template',
        sa.Column('key', sa.String(length=30), nullable=False),
        sa.Column('text_zh', sa.Text(), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade():
    op.drop_table('feedback_template')
    op.drop_index('ix_tip_feedback_tip_id', table_name='tip_feedback')
    op.drop_table('tip_feedback')
    op.drop_column('staff_user', 'duty_phone')
    op.drop_column('tip_question', 'answered_at')
    op.drop_column('intake_item', 'tipster_replied_at')
