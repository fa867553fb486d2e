"""Staff sampling pages: site staff at the desk (their sites only, never a tip), check-in and
samples, walk-ins, no-shows, booking and cancelling for a family; admins manage sites, opening
periods, closures and the CSV import and export."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select
from zoneinfo import ZoneInfo

from portal.core.extensions import db
from portal.core.models import Appointment, AuditEvent, OutboundMessage, SamplingSite, Slot, staff_site, utcnow
from portal.core.permissions import Role
from portal.sampling.booking import book_appointment
from tests.support.factories import create_site, create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, post_form, text_of
from tests.support.sampling import (
    next_weekday,
    places_taken,
    reopen_if_day_off,
    resident_id,
    slot_at,
)
from tests.support.staff import browser, sign_in

EN = {"Accept-Language": "en"}


def _site_staff(site: SamplingSite, username: str = "desk"):  # type: ignore[no-untyped-def]
    user = create_staff(Role.SITE_STAFF, username=username)
    db.session.execute(staff_site.insert().values(staff_user_id=user.id, site_id=site.id))
    db.session.commit()
    return user


def _signed_in(app, username: str):  # type: ignore[no-untyped-def]
    client = browser(app)
    assert sign_in(client, username).status_code == 303
    return client


def _today_slot(site: SamplingSite) -> Slot:
    """A slot later today at the site (local time), so that the family can be checked in."""
    starts = utcnow().replace(microsecond=0) + timedelta(hours=2)
    zone = ZoneInfo(site.timezone)
    if starts.astimezone(zone).date() != utcnow().astimezone(zone).date():
        starts = utcnow().replace(microsecond=0) + timedelta(minutes=1)
    slot = Slot(site=site, starts_at=starts, ends_at=starts + timedelta(minutes=20), capacity=3, booked=0)
    db.session.add(slot)
    db.session.commit()
    reopen_if_day_off(site, starts.astimezone(zone).date())
    return slot


def _family(slot: Slot, people: int = 2, phone: str = "+8613800138000") -> Appointment:
    slot.site.minimum_notice_minutes = 0
    appointment = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name="王秀英", applicant_phone=phone,
        attendees=[(name, "parent", resident_id(serial=f"{n}{phone[-2:]}"), None)
                   for n, name in enumerate(["王秀英", "李建国"][:people], start=1)],
        consent=True, language="zh")
    db.session.commit()
    return appointment


def test_site_staff_check_a_family_in_by_reference_record_two_samples_and_see_the_day_list_update(app):
    site = create_site()
    _site_staff(site)
    appointment = _family(_today_slot(site))
    reference = appointment.item.reference
    desk = _signed_in(app, "desk")

    before, _ = get_page(desk, f"/staff/sampling/sites/{site.id}/day", headers=EN)
    row = next(line for line in before.get_data(as_text=True).split("<tr")[1:] if reference in line)
    assert "Booked" in row and "0 / 2" in row and "王秀英" in row

    found = post_form(desk, "/staff/sampling/desk", {"reference": reference.lower()}, headers=EN)
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/staff/sampling/appointments/{reference}")
    page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
    token = csrf_token(page.get_data(as_text=True))
    assert desk.post(f"/staff/sampling/appointments/{reference}/check-in", data={"csrf_token": token}).status_code == 303
    attendees = db.session.scalars(select(Appointment).where(Appointment.id == appointment.id)).one().attendees
    tubes = {f"tube-{a.id}": f"NT-2026-{n:04d}" for n, a in enumerate(attendees, start=1)}
    saved = desk.post(f"/staff/sampling/appointments/{reference}/samples", data={"csrf_token": token, **tubes})
    assert saved.status_code == 303

    after, _ = get_page(desk, f"/staff/sampling/sites/{site.id}/day", headers=EN)
    row = next(line for line in after.get_data(as_text=True).split("<tr")[1:] if reference in line)
    assert "Checked in" in row and "2 / 2" in row
    db.session.expire_all()
    stored = db.session.get(Appointment, appointment.id)
    # Stored in the one compared form: separators dropped (portal.core.tube_numbers).
    assert sorted(a.sample_tube_number for a in stored.attendees) == ["NT20260001", "NT20260002"]
    assert stored.status == "checked_in" and not any(a.active_booking for a in stored.attendees)
    thanks = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "booking_checked_in")).one()
    assert reference in thanks.body and "王秀英" not in thanks.body
    actions = {e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.item_id == appointment.item_id))}
    assert {"appointment_checked_in", "samples_recorded", "view_appointment"} <= actions
    # Each day list shown is one event naming the bookings it listed (tests/staff/test_audit_lists.py).
    day_lists = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "view_day_list")).all()
    assert [e.changes["numbers"]["items"] for e in day_lists] == [[appointment.item_id]] * 2


def test_site_staff_cannot_open_another_sites_list_or_booking_or_any_tip(app):
    mine, other = create_site(), create_site(name="如皋市公安局", city="如皋市")
    _site_staff(mine)
    theirs = _family(_today_slot(other), phone="+8613900139000")
    tip = create_tip().tip
    desk = _signed_in(app, "desk")

    assert desk.get(f"/staff/sampling/sites/{other.id}/day").status_code == 404
    assert desk.get(f"/staff/sampling/sites/{other.id}/walk-in").status_code == 404
    assert desk.get(f"/staff/sampling/sites/{other.id}/book").status_code == 404
    assert desk.get(f"/staff/sampling/appointments/{theirs.item.reference}").status_code == 404
    found = post_form(desk, "/staff/sampling/desk", {"reference": theirs.item.reference}, headers=EN)
    assert found.status_code == 200 and f"No booking {theirs.item.reference} at your sites" in text_of(found)
    assert desk.get(f"/staff/items/{tip.item.reference}").status_code == 404
    assert tip.item.reference not in desk.get("/staff/queue").get_data(as_text=True)
    assert desk.get(f"/staff/sampling/appointments/{tip.item.reference}").status_code == 404
    assert desk.get("/staff/sampling/sites").status_code == 403  # site administration is for admins
    assert desk.get(f"/staff/sampling/sites/{mine.id}/day").status_code == 200


def test_a_site_or_closure_id_that_is_not_an_id_is_not_found(app):
    site = create_site()
    create_staff(Role.ADMIN, username="boss")
    admin = _signed_in(app, "boss")
    form = {"csrf_token": csrf_token(admin.get(f"/staff/sampling/sites/{site.id}/closures").get_data(as_text=True))}
    for bad in ("abc", "1x", "-1", "1.5", "\uff11", "0", "2147483648", "99999999999999999999"):
        for page in ("edit", "closures", "day", "walk-in", "book"):
            assert admin.get(f"/staff/sampling/sites/{bad}/{page}").status_code == 404, (bad, page)
        assert admin.post(f"/staff/sampling/sites/{bad}/no-shows", data=form).status_code == 404, bad
        assert admin.post(f"/staff/sampling/sites/{site.id}/closures/{bad}/remove", data=form).status_code == 404, bad
    assert admin.get(f"/staff/sampling/sites/{site.id}/edit").status_code == 200


def test_check_in_is_refused_on_another_day(app):
    site = create_site()
    _site_staff(site)
    appointment = _family(slot_at(site, next_weekday(3), 1))
    desk = _signed_in(app, "desk")
    reference = appointment.item.reference
    page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
    assert f"/staff/sampling/appointments/{reference}/check-in" not in page.get_data(as_text=True)
    refused = desk.post(f"/staff/sampling/appointments/{reference}/check-in",
                        data={"csrf_token": csrf_token(page.get_data(as_text=True))}, headers=EN)
    assert refused.status_code == 200 and "another day" in text_of(refused)
    assert db.session.get(Appointment, appointment.id).status == "booked"


def test_a_walk_in_is_registered_checked_in_without_taking_a_booked_place(app):
    site = create_site()
    _site_staff(site)
    slot = _today_slot(site)
    desk = _signed_in(app, "desk")
    response = post_form(desk, f"/staff/sampling/sites/{site.id}/walk-in?people=1", {
        "attendees-0-name": "赵六", "attendees-0-relationship": "parent", "attendees-0-document_type": "resident_id",
        "attendees-0-document_number": resident_id(serial="901"), "attendees-0-phone": "137 0013 7000",
        "consent": "y"})
    assert response.status_code == 303
    walk_in = db.session.scalars(select(Appointment).where(Appointment.walk_in.is_(True))).one()
    assert walk_in.status == "checked_in" and walk_in.item.channel == "staff"
    assert walk_in.slot.capacity == walk_in.slot.booked == 1 and places_taken(slot.id) == 0
    day_list, _ = get_page(desk, f"/staff/sampling/sites/{site.id}/day", headers=EN)
    assert walk_in.item.reference in day_list.get_data(as_text=True) and "walk-in" in text_of(day_list)


def test_bookings_of_a_past_day_not_checked_in_are_marked_no_show(app):
    from portal.sampling.desk import mark_no_shows

    site = create_site()
    appointment = _family(slot_at(site, next_weekday(3), 1))
    slot = appointment.slot
    slot.starts_at = datetime.combine(utcnow().date() - timedelta(days=2), time(1), tzinfo=timezone.utc)
    today = _family(_today_slot(site), people=1, phone="+8613700137000")
    db.session.commit()

    assert mark_no_shows() == 1
    db.session.commit()
    assert db.session.get(Appointment, appointment.id).status == "no_show"
    assert db.session.get(Appointment, today.id).status == "booked"  # today is not over


def test_staff_book_and_cancel_for_a_family_under_the_same_rules(app):
    from portal.core.models import SiteClosure

    site = create_site()
    _site_staff(site)
    day = next_weekday(3)
    open_slot = slot_at(site, day, 1)
    closed_day = day + timedelta(days=1)
    closed_slot = slot_at(site, closed_day, 1)
    db.session.add(SiteClosure(site_id=site.id, starts_on=closed_day, ends_on=closed_day))
    db.session.commit()
    desk = _signed_in(app, "desk")
    answers = {"attendees-0-name": "孙七", "attendees-0-relationship": "parent", "attendees-0-document_type": "passport",
               "attendees-0-document_number": "E12345678", "attendees-0-phone": "136 0013 6000", "consent": "y"}

    page, _ = get_page(desk, f"/staff/sampling/sites/{site.id}/book?people=1", headers=EN)
    assert f'value="{closed_slot.id}"' not in page.get_data(as_text=True)  # never offered
    refused = post_form(desk, f"/staff/sampling/sites/{site.id}/book?people=1", {**answers, "slot": str(closed_slot.id)},
                        headers=EN)
    assert refused.status_code == 200 and "not open at that time" in text_of(refused)
    booked = post_form(desk, f"/staff/sampling/sites/{site.id}/book?people=1", {**answers, "slot": str(open_slot.id)})
    assert booked.status_code == 303
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.item.channel == "staff" and places_taken(open_slot.id) == 1

    page, _ = get_page(desk, f"/staff/sampling/appointments/{appointment.item.reference}")
    cancelled = desk.post(f"/staff/sampling/appointments/{appointment.item.reference}/cancel",
                          data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert cancelled.status_code == 303 and places_taken(open_slot.id) == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment_cancelled")).one()
    assert event.actor_kind == "staff" and event.actor_id is not None


def test_site_staff_cannot_book_a_family_into_another_sites_time_by_forging_the_slot(app):
    site, other = create_site(), create_site(name="海门区公安分局")
    _site_staff(site)
    day = next_weekday(3)
    slot_at(site, day, 1)
    foreign_slot = slot_at(other, day, 1)
    desk = _signed_in(app, "desk")
    answers = {"attendees-0-name": "孙七", "attendees-0-relationship": "parent", "attendees-0-document_type": "passport",
               "attendees-0-document_number": "E12345678", "attendees-0-phone": "136 0013 6000", "consent": "y"}
    refused = post_form(desk, f"/staff/sampling/sites/{site.id}/book?people=1", {**answers, "slot": str(foreign_slot.id)},
                        headers=EN)
    assert refused.status_code == 200 and "Choose one of the times shown" in text_of(refused)
    assert db.session.scalars(select(Appointment)).all() == [] and places_taken(foreign_slot.id) == 0


def test_site_staff_cannot_move_a_booking_to_another_sites_time_by_forging_the_slot(app):
    # The public manage page moves bookings between sites; the desk works for its own site only.
    site, other = create_site(), create_site(name="海门区公安分局")
    _site_staff(site)
    day = next_weekday(3)
    slot = slot_at(site, day, 1)
    foreign_slot = slot_at(other, day, 2)
    appointment = _family(slot, people=1)
    desk = _signed_in(app, "desk")
    page, _ = get_page(desk, f"/staff/sampling/appointments/{appointment.item.reference}")
    refused = desk.post(f"/staff/sampling/appointments/{appointment.item.reference}/move", headers=EN,
                        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "slot": str(foreign_slot.id)})
    assert refused.status_code == 200 and "Choose one of the times shown" in text_of(refused)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).slot_id == slot.id and places_taken(foreign_slot.id) == 0


def test_the_sites_csv_export_does_not_let_a_spreadsheet_run_a_site_name_as_a_formula(app):
    create_site(name='=HYPERLINK("http://evil","x")', contact_person="-2+3", notes="+1+cmd|' /C calc'!A0")
    create_staff(Role.ADMIN, username="admin")
    admin = _signed_in(app, "admin")
    rows = list(csv.reader(io.StringIO(admin.get("/staff/sampling/sites/export.csv").get_data(as_text=True))))
    cells = rows[1]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in cells and "'-2+3" in cells and "'+1+cmd|' /C calc'!A0" in cells
    assert not any(cell[:1] in "=+-@" for cell in cells if cell)


def test_an_admin_creates_a_site_with_two_periods_a_day_and_the_last_slot_ends_at_closing(app):
    create_staff(Role.ADMIN, username="admin")
    admin = _signed_in(app, "admin")
    form = {"name": "崇川分局", "province": "江苏省", "city": "南通市", "district": "崇川区", "address": "南通市崇川区1号",
            "phones": "0513-83309663", "accessibility_notes": "一楼有无障碍通道", "timezone": "Asia/Shanghai",
            "hours_mon": "09:00-12:00, 14:00-17:00", "hours_tue": "09:00-12:00, 14:00-17:00",
            "hours_wed": "", "hours_thu": "", "hours_fri": "", "hours_sat": "", "hours_sun": "",
            "slot_minutes": "25", "places_per_slot": "4", "booking_horizon_days": "30", "minimum_notice_minutes": "120",
            "active": "y"}
    response = post_form(admin, "/staff/sampling/sites/new", form)
    assert response.status_code == 303
    site = db.session.scalars(select(SamplingSite)).one()
    assert [(p.weekday, p.opens_at, p.closes_at) for p in site.opening_periods] == [
        (0, time(9), time(12)), (0, time(14), time(17)), (1, time(9), time(12)), (1, time(14), time(17))]
    zone = ZoneInfo("Asia/Shanghai")
    slots = db.session.scalars(select(Slot).where(Slot.site_id == site.id).order_by(Slot.starts_at)).all()
    assert slots and all(s.capacity == 4 for s in slots)
    by_day: dict = {}
    for slot in slots:
        by_day.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot)
    for day_slots in by_day.values():
        local = [(s.starts_at.astimezone(zone).time(), s.ends_at.astimezone(zone).time()) for s in day_slots]
        assert local[0][0] == time(9) and (time(11, 30), time(11, 55)) in local
        assert all(end <= time(12) or start >= time(14) for start, end in local)
        assert local[-1] == (time(16, 30), time(16, 55))  # the last slot ends at or before closing

    wrong = post_form(admin, "/staff/sampling/sites/new", {**form, "name": "另一个", "hours_mon": "9点到5点"}, headers=EN)
    assert wrong.status_code == 200 and "Enter opening periods like" in text_of(wrong)


def test_the_csv_export_reads_back_through_the_import(app):
    create_site(address="南通市崇川区1号", accessibility_notes="一楼")
    create_staff(Role.ADMIN, username="admin")
    admin = _signed_in(app, "admin")
    exported = admin.get("/staff/sampling/sites/export.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert "南通市公安局" in text and "09:00-17:00" in text and "南通市崇川区1号" in text

    db.session.execute(Slot.__table__.delete())
    db.session.execute(SamplingSite.__table__.delete())
    db.session.commit()
    page, _ = get_page(admin, "/staff/sampling/sites/import")
    imported = admin.post("/staff/sampling/sites/import", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "file": (io.BytesIO(text.encode("utf-8")), "sites.csv")}, content_type="multipart/form-data", headers=EN)
    assert imported.status_code == 200 and "1 sites added" in text_of(imported)
    site = db.session.scalars(select(SamplingSite)).one()
    assert site.name == "南通市公安局" and [p.number for p in site.phones] == ["+8651383309663"]
    assert [p.weekday for p in site.opening_periods] == [0, 1, 2, 3, 4]
    assert re.search(r"0 rows not loaded", text_of(imported))


def test_a_booking_leaves_the_open_queue_once_cancelled_checked_in_walked_in_or_not_come(app):
    from portal.core.models import IntakeItem
    from portal.sampling.booking import cancel_appointment
    from portal.sampling.desk import check_in, mark_no_shows, register_walk_in

    site = create_site()
    slot = _today_slot(site)
    cancelled = _family(slot, people=1, phone="+8613800138001")
    arrived = _family(slot, people=1, phone="+8613800138002")
    waiting = _family(slot, people=1, phone="+8613800138004")
    earlier = Slot(site=site, starts_at=utcnow() - timedelta(days=2), ends_at=utcnow() - timedelta(days=2) + timedelta(minutes=20),
                   capacity=3, booked=0)
    db.session.add(earlier)
    db.session.commit()
    cancel_appointment(cancelled)
    db.session.commit()
    missed = _family(slot, people=1, phone="+8613800138003")
    check_in(arrived, site, actor_id=None)
    db.session.commit()

    def status(appointment: Appointment) -> str:
        db.session.expire_all()
        return db.session.get(IntakeItem, appointment.item_id).status

    assert (status(cancelled), status(arrived), status(waiting)) == ("closed", "closed", "new")
    missed.slot_id = earlier.id  # as if its day had passed
    waiting_slot_start = waiting.slot.starts_at
    db.session.commit()
    assert mark_no_shows(utcnow(), site=site) == 1
    db.session.commit()
    assert status(missed) == "closed" and status(waiting) == "new" and waiting.slot.starts_at == waiting_slot_start
    from portal.sampling.booking import AttendeeDetails

    walk_in = register_walk_in(site, [AttendeeDetails(name="赵六", relationship="parent", id_number=resident_id(serial="777"))],
                               applicant_phone=None, language="zh", actor_id=None, consent=True)
    db.session.commit()
    assert status(walk_in) == "closed"
    closed = db.session.scalars(select(IntakeItem).where(IntakeItem.status == "closed")).all()
    assert all(item.outcome is None and item.closed_at is not None for item in closed)


def test_the_desk_day_list_writes_times_as_every_other_page_does(app):
    from portal.core.i18n import format_local_time

    site = create_site()
    _site_staff(site)
    slot = _today_slot(site)
    appointment = _family(slot)
    desk = _signed_in(app, "desk")
    for headers, language in ((EN, "en"), ({"Accept-Language": "zh"}, "zh")):
        page, _ = get_page(desk, f"/staff/sampling/sites/{site.id}/day", headers=headers)
        row = next(line for line in page.get_data(as_text=True).split("<tr")[1:]
                   if appointment.item.reference in line)
        expected = format_local_time(slot.starts_at, site.timezone, language)
        assert f">{expected}</td>" in row


def test_an_admin_removes_a_closure_and_its_days_open_for_booking_again_with_an_audit_event(app):
    from portal.core.models import SiteClosure
    from portal.sampling.slots import available_days, open_slots

    site = create_site()
    create_staff(Role.ADMIN, username="boss")
    _site_staff(site)
    closed_day = next_weekday(3)
    db.session.add(SiteClosure(site_id=site.id, starts_on=closed_day, ends_on=closed_day, reason="设备检修"))
    db.session.commit()
    open_slots(site, closed_day - timedelta(days=1), 3)  # the closed day gets no slots
    db.session.commit()
    assert closed_day not in available_days(site)
    closure = db.session.scalars(select(SiteClosure)).one()

    desk = _signed_in(app, "desk")  # site staff cannot remove closures
    assert desk.post(f"/staff/sampling/sites/{site.id}/closures/{closure.id}/remove").status_code in (400, 403, 404)
    admin = _signed_in(app, "boss")
    page, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/closures", headers={"Accept-Language": "zh"})
    assert "设备检修" in text_of(page) and "）：设备检修" in text_of(page)
    assert admin.post(f"/staff/sampling/sites/{site.id}/closures/{closure.id}/remove").status_code == 400  # no CSRF
    removed = admin.post(f"/staff/sampling/sites/{site.id}/closures/{closure.id}/remove",
                         data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert removed.status_code == 303
    db.session.expire_all()
    assert db.session.scalars(select(SiteClosure)).all() == []
    assert closed_day in available_days(site)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "closure_removed")).one()
    assert event.actor_id is not None and closed_day.isoformat() in str(event.changes)


def test_the_booker_and_their_phone_are_joined_as_each_language_joins_them_on_the_booking_and_record_pages(app):
    site = create_site()
    _site_staff(site)
    reference = _family(_today_slot(site)).item.reference
    desk = _signed_in(app, "desk")
    for path in (f"/staff/sampling/appointments/{reference}", f"/staff/sampling/appointments/{reference}/record"):
        chinese, _ = get_page(desk, path, headers={"Accept-Language": "zh-CN"})
        assert "王秀英，138 0013 8000" in text_of(chinese) and "王秀英, 138" not in text_of(chinese), path
        english, _ = get_page(desk, path, headers=EN)
        assert "王秀英, 138 0013 8000" in text_of(english), path
