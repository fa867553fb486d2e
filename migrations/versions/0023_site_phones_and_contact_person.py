"""A site's contact person and several phones, each with its area code

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:30:00

- sampling_site.contact_person: the person a published list names as the site's contact (联系人).
- site_phone: a site's phones in the order published (position 0 first): `number` in E.164,
  completed with the area code of the site's city when the list left it out, `kind` (office or
  mobile), an optional `label`, and `published`, the text as the list gave it.
- sampling_site.phone is moved into site_phone, then dropped. Each value is read by
  portal.sampling.site_phones.read_phone, the rule the import applies (83309663 at a site in
  南通市 becomes +8651383309663, published "83309663"); a value it cannot read is kept as it was,
  in both `number` and `published`, for staff to correct on the site's page.

Downgrade puts each site's first phone back in sampling_site.phone, as published.
"""
from alembic import op
import sqlalchemy as sa

from portal.sampling.site_phones import PhoneNotRecognised, read_phone


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'site_phone',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.SmallInteger(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('label', sa.String(length=60), nullable=True),
        sa.Column('published', sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sampling_site.id'], name=op.f('fk_site_phone_site_id_sampling_site'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_phone')),
        sa.UniqueConstraint('site_id', 'position', name='uq_site_phone_site_id_position'),
    )
    op.create_index(op.f('ix_site_phone_site_id'), 'site_phone', ['site_id'], unique=False)

    bind = op.get_bind()
    site_phone = sa.table('site_phone', sa.column('site_id', sa.Integer), sa.column('position', sa.SmallInteger),
                          sa.column('number', sa.String), sa.column('kind', sa.String),
                          sa.column('published', sa.String))
    rows = bind.execute(sa.text(
        "SELECT id, province, city, district, phone FROM sampling_site WHERE phone IS NOT NULL AND phone <> ''"))
    moved = []
    for site_id, province, city, district, phone in rows:
        try:
            read = read_phone(phone, province, city, district)
            number, kind = read.number, read.kind.value
        except PhoneNotRecognised:
            number, kind = phone[:20], 'office'
        moved.append({'site_id': site_id, 'position': 0, 'number': number, 'kind': kind, 'published': phone[:60]})
    if moved:
        op.bulk_insert(site_phone, moved)

    with op.batch_alter_table('sampling_site') as batch:
        batch.add_column(sa.Column('contact_person', sa.String(length=100), nullable=True))
        batch.drop_column('phone')


def downgrade():
    with op.batch_alter_table('sampling_site') as batch:
        batch.add_column(sa.Column('phone', sa.String(length=40), nullable=True))
        batch.drop_column('contact_person')
    op.execute("UPDATE sampling_site SET phone = (SELECT substr(coalesce(p.published, p.number), 1, 40) "
               "FROM site_phone p WHERE p.site_id = sampling_site.id AND p.position = 0)")
    op.drop_index(op.f('ix_site_phone_site_id'), table_name='site_phone')
    op.drop_table('site_phone')
