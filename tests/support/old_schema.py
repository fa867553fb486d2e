"""Rows written into a database at an older migration revision, with named columns only.

Migration tests stop at an older revision, store rows as a deployment of that time would have,
then upgrade. The tables are reflected from the database as it is, so that columns a later
migration adds (and the models' defaults for them) are not written to a database that lacks them.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import MetaData, Table, insert

from portal.core.extensions import db

TAKEN = datetime(2026, 12, 7, 1, 20, tzinfo=timezone.utc)  # 09:20 in Nantong


def old_table(name: str) -> Table:
    """The table `name` as the database holds it now (reflected)."""
    return Table(name, MetaData(), autoload_with=db.session.connection())


def old_site(name: str = "南通市公安局") -> int:
    """A sampling site with the columns every revision since 0003 has. Returns its id."""
    return db.session.execute(insert(old_table("sampling_site")).values(
        province="江苏省", name=name, city="南通市", timezone="Asia/Shanghai", slot_minutes=20,
        places_per_slot=3, active=True, booking_horizon_days=60, minimum_notice_minutes=60,
    )).inserted_primary_key[0]


def old_booking(site_id: int, reference: str, tubes: list[str | None], minute: int) -> list[int]:
    """A checked-in booking at `site_id`, one attendee per entry of `tubes` (their tube numbers,
    or None), sampled at 09:`minute` Nantong time on 2026-12-07. Returns the attendee ids."""
    starts = TAKEN.replace(minute=minute)
    slot_id = db.session.execute(insert(old_table("slot")).values(
        site_id=site_id, starts_at=starts, ends_at=starts, capacity=len(tubes), booked=len(tubes))).inserted_primary_key[0]
    item_id = db.session.execute(insert(old_table("intake_item")).values(
        reference=reference, kind="appointment", channel="web", status="closed", priority=2, received_at=starts,
        updated_at=starts)).inserted_primary_key[0]
    appointment_id = db.session.execute(insert(old_table("appointment")).values(
        item_id=item_id, slot_id=slot_id, status="checked_in", applicant_role="parent", party_size=len(tubes),
        consent_given_at=starts, language="zh", created_at=starts, walk_in=False, guardian_consent=False,
        checked_in_at=starts)).inserted_primary_key[0]
    ids = []
    for position, tube in enumerate(tubes):
        ids.append(db.session.execute(insert(old_table("attendee")).values(
            appointment_id=appointment_id, relationship_to_missing="parent", is_applicant=position == 0,
            document_type="resident_id", identity_unknown=False, active_booking=False, sample_tube_number=tube,
            sample_taken_at=starts if tube else None)).inserted_primary_key[0])
    return ids


def old_tip(reference: str, seen_on: date | None) -> int:
    """A web tip of revision 0012, seen on the day `seen_on` (the three date boxes). Returns its id."""
    item_id = db.session.execute(insert(old_table("intake_item")).values(
        reference=reference, kind="tip", channel="web", status="new", priority=2, received_at=TAKEN,
        updated_at=TAKEN)).inserted_primary_key[0]
    return db.session.execute(insert(old_table("tip")).values(
        item_id=item_id, category="other", description="一个小孩在车站乞讨", child_in_danger=False,
        may_contact_by_sms=False, follow_up_code_hash="0" * 64, seen_on=seen_on, seen_time="afternoon",
    )).inserted_primary_key[0]


def old_staff(username: str, role: str) -> int:
    """An active staff account (no password anyone can use, no two-step key), with the columns
    the revision's `staff_user` table has. Returns its id. The accounts' later columns (the duty
    phone of 0015) are left to the migrations that add them."""
    table = old_table("staff_user")
    values: dict[str, object] = dict(username=username, password_hash="!", role=role, active=True, created_at=TAKEN)
    if "session_generation" in table.c:
        values["session_generation"] = 0
    return db.session.execute(insert(table).values(**values)).inserted_primary_key[0]
