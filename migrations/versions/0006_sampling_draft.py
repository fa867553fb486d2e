"""Sampling booking drafts kept server-side (sampling_draft), instead of in the session cookie

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sampling_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('answers', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sampling_draft')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_sampling_draft_key_hash'))
    )
    with op.batch_alter_table('sampling_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sampling_draft_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sampling_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampling_draft_expires_at'))

    op.drop_table('sampling_draft')
