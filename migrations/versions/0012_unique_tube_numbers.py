"""Tube numbers unique across the deployment: existing values normalised, then a unique index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00

Refuses to apply, changing nothing, while two people share a tube number (or a stored value has
no letters or digits left once normalised): it lists them - tube number, booking reference,
attendee id, site, when the sample was recorded - and says how to resolve them with
`flask tube-numbers duplicates` and `flask tube-numbers resolve`, which work on this database as
it is (portal/sampling/tube_duplicates.py). Nothing is deleted or overwritten to make the index fit.
"""
from collections import defaultdict
from datetime import timezone
import unicodedata
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

INDEX = 'uq_attendee_sample_tube_number'


class DuplicateTubeNumbers(RuntimeError):
    """Flask-Migrate prints a RuntimeError's message without a traceback and exits with status 1."""


# A copy of portal.core.tube_numbers.normalise_tube_number as it was when this migration was written,
# so that later changes to the application cannot change what this migration did.
def _normalise(text):
    folded = unicodedata.normalize('NFKC', text or '').upper()
    return ''.join(c for c in folded if not (c.isspace() or c in '/._\u2212' or unicodedata.category(c) == 'Pd'))


attendee = sa.table('attendee', sa.column('id', sa.Integer), sa.column('appointment_id', sa.Integer),
                    sa.column('sample_tube_number', sa.String),
                    sa.column('sample_taken_at', sa.DateTime(timezone=True)))
appointment = sa.table('appointment', sa.column('id', sa.Integer), sa.column('item_id', sa.Integer),
                       sa.column('slot_id', sa.Integer))
intake_item = sa.table('intake_item', sa.column('id', sa.Integer), sa.column('reference', sa.String))
slot = sa.table('slot', sa.column('id', sa.Integer), sa.column('site_id', sa.Integer),
                sa.column('starts_at', sa.DateTime(timezone=True)))
sampling_site = sa.table('sampling_site', sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('timezone', sa.String))


def _local(instant, zone_name):
    if instant is None:
        return '-'
    if instant.tzinfo is None:  # SQLite keeps no zone: stored instants are UTC
        instant = instant.replace(tzinfo=timezone.utc)
    try:
        zone = ZoneInfo(zone_name or 'Asia/Shanghai')
    except Exception:  # noqa: BLE001  (an unknown zone name: show UTC rather than fail)
        zone = timezone.utc
    return instant.astimezone(zone).strftime('%Y-%m-%d %H:%M')


def _problems(connection):
    rows = connection.execute(
        sa.select(attendee.c.id, attendee.c.sample_tube_number, attendee.c.sample_taken_at, intake_item.c.reference,
                  sampling_site.c.name, sampling_site.c.timezone, slot.c.starts_at)
        .select_from(attendee.join(appointment, appointment.c.id == attendee.c.appointment_id)
                     .join(intake_item, intake_item.c.id == appointment.c.item_id)
                     .join(slot, slot.c.id == appointment.c.slot_id)
                     .join(sampling_site, sampling_site.c.id == slot.c.site_id))
        .where(attendee.c.sample_tube_number.is_not(None))
        .order_by(attendee.c.id)
    ).all()
    groups = defaultdict(list)
    for row in rows:
        groups[_normalise(row.sample_tube_number)].append(row)
    problems = {key: group for key, group in groups.items() if key == '' or len(group) > 1}
    return rows, problems


def _message(problems):
    lines = [
        (f'Migration 0012 (unique tube numbers) was not applied: {len(problems)} tube number(s) are saved for '
         'more than one person, or have no letters or digits. Nothing was changed.'),
        'Resolve each person with a reason (an audited correction), then run "flask db upgrade" again:',
        '  flask tube-numbers duplicates',
        '  flask tube-numbers resolve ATTENDEE_ID --set NEW_NUMBER --reason "..." --by USERNAME',
        '  flask tube-numbers resolve ATTENDEE_ID --clear --reason "..." --by USERNAME',
    ]
    for key, group in sorted(problems.items()):
        lines.append(f'{key or "(no letters or digits)"}:')
        for row in group:
            lines.append(f'  {row.reference}  attendee {row.id}  {row.name}  '
                         f'sample recorded {_local(row.sample_taken_at, row.timezone)}  '
                         f'(booked for {_local(row.starts_at, row.timezone)})')
    return '\n'.join(lines)


def upgrade():
    connection = op.get_bind()
    rows, problems = _problems(connection)
    if problems:
        # Raised before any change: on PostgreSQL the transaction is rolled back, on SQLite nothing
        # was written, and the database stays at revision 0009.
        raise DuplicateTubeNumbers(_message(problems))
    for row in rows:
        normalised = _normalise(row.sample_tube_number)
        if normalised != row.sample_tube_number:
            connection.execute(attendee.update().where(attendee.c.id == row.id)
                               .values(sample_tube_number=normalised))
    # A plain CREATE INDEX, never batch mode (see 0007): nothing about the table is rebuilt.
    op.create_index(INDEX, 'attendee', ['sample_tube_number'], unique=True)


def downgrade():
    # The values stay normalised (the forms people typed are not kept anywhere to restore).
    op.drop_index(INDEX, table_name='attendee')
