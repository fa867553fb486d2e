"""Chain of custody of attachments: the original upload's SHA-256 and a photo's capture time

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-11 10:00:00

- case_attachment.original_sha256: hex SHA-256 of the bytes as uploaded (the cleaned file's is
  `sha256`; the original is not kept).
- case_attachment.taken_at: a photo's EXIF DateTimeOriginal, as text in the camera's local time,
  with its offset when the camera wrote one (portal.core.attachments.exif_taken_at).

Both nullable: rows added before this have neither, and nothing can recover them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_attachment') as batch:
        batch.add_column(sa.Column('original_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('taken_at', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('case_attachment') as batch:
        batch.drop_column('taken_at')
        batch.drop_column('original_sha256')
