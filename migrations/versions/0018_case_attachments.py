"""Files attached to an item's case file

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10 10:00:00

- case_attachment: a photo or PDF staff attached to an item (portal.core.models.attachments),
  its file in TIP_PHOTO_DIR under `stored_name`. A new table only: nothing is rebuilt.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('original_name', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('byte_size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['intake_item.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('stored_name'),
    )
    op.create_index('ix_case_attachment_item_id', 'case_attachment', ['item_id'], unique=False)


def downgrade():
    op.drop_index('ix_case_attachment_item_id', table_name='case_attachment')
    op.drop_table('case_attachment')
