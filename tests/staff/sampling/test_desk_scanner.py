"""The sampling desk with a scanner and from the day list: a booking found from its QR code's
content (or a link holding its reference) typed into a box focused on arrival; the tube boxes
ready for a scanner's Enter (the key itself is a browser behaviour: tests/browser/test_desk_scanner.py);
check-in and "did not come" for one booking from its row on the day list, which counts the
bookings arrived out of those expected."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, AuditEvent, SamplingSite, Slot, utcnow
from portal.sampling.booking import AttendeeDetails, book_appointment, cancel_appointment
from portal.sampling.desk import can_mark_no_show, reference_in_scan, register_walk_in
from tests.support.factories import create_site
from tests.support.helpers import get_page, parse_page, post_form
from tests.support.sampling import next_weekday, resident_id, slot_at
from tests.support.tubes import EN, ZH, checked_in_family, desk_staff, page_text, signed_in, today_slot
from tests.support.staff import browser


def _booked(slot: Slot, serial: int, people: int = 1) -> Appointment:
    """A booking of `people` at `slot`, not checked in (identity numbers from `serial` on)."""
    slot.site.minimum_notice_minutes = 0
    appointment = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name="李建国", applicant_phone=f"+86137001{37000 + serial}",
        attendees=[("李建国", "parent", resident_id(serial=f"{serial:02d}{n}"), None) for n in range(people)],
        consent=True, language="zh")
    db.session.commit()
    return appointment


def _started_today(site: SamplingSite) -> datetime:
    """A time of the site's local today that has come (an hour ago, or midnight when the day is
    younger than that), UTC."""
    zone = ZoneInfo(site.timezone)
    now = utcnow().replace(microsecond=0)
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    return max(midnight, now - timedelta(hours=1)).astimezone(ZoneInfo("UTC"))


def _moved_to(appointment: Appointment, starts_at: datetime) -> None:
    """Put the booking's slot at `starts_at` (UTC): booked in the future, its time then past."""
    appointment.slot.starts_at = starts_at
    appointment.slot.ends_at = starts_at + timedelta(minutes=20)
    db.session.commit()


def _row_forms(page_html: str, reference: str) -> dict[str, dict[str, str]]:
    """The day list row of `reference`: each of its forms' action path and hidden fields."""
    row = next(line for line in page_html.split("<tr")[1:] if reference in line).split("</tr>")[0]
    forms = {}
    for action, body in re.findall(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', row, flags=re.S):
        forms[action] = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
    return forms


def _arrivals(response) -> str:  # type: ignore[no-untyped-def]
    """The day list's "arrived / expected" line as read (tags dropped, no space added)."""
    line = re.search(r'<p class="day-arrivals"[^>]*>(.*?)</p>', response.get_data(as_text=True), flags=re.S)
    assert line, "no arrivals line on the day list"
    return re.sub(r"<[^>]+>", "", line.group(1)).strip()


def test_a_reference_is_read_from_a_typed_text_the_qr_codes_content_or_a_link_holding_it():
    reference = "TY-7K3M-9Q2P"
    # The booking's QR code holds the bare reference (portal.sampling.calendar.reference_qr_svg).
    for scanned in (reference, "ty 7k3m 9q2p", "7K3M9Q2P", "ＴＹ－７Ｋ３Ｍ－９Ｑ２Ｐ", f"  {reference}\t",
                    f"https://tuanyuan.example.gov.cn/sampling/manage?reference={reference.lower()}&lang=zh",
                    f"https://ty.example.cn/booking/{reference}", f"受理编号：{reference}"):
        assert reference_in_scan(scanned) == reference, scanned
    # Nothing is guessed: no reference, a longer code, or two different references.
    for scanned in ("", "hello", "TY-7K3M-9Q2", "ATY-7K3M-9Q2P", "TY-7K3M-9Q2PX", "TY-7K3M-9Q2P TY-7K3M-9Q2X",
                    "https://tuanyuan.example.gov.cn/sampling"):
        assert reference_in_scan(scanned) is None, scanned


def test_the_desks_reference_box_is_focused_on_arrival_and_takes_a_long_scanned_link(app):
    site = create_site()
    desk_staff(site)
    appointment = _booked(today_slot(site), serial=1)
    reference = appointment.item.reference
    client = signed_in(browser(app), "desk")

    page, parsed = get_page(client, "/staff/sampling/desk", headers=EN)
    box = re.search(r'<input[^>]*name="reference"[^>]*>', page.get_data(as_text=True)).group(0)
    assert " autofocus" in box and "data-scan-box" in box
    assert "/static/js/desk-scanner.js" in page.get_data(as_text=True)

    link = f"https://tuanyuan.example.gov.cn/sampling/manage?lang=zh&ref={reference.lower()}&from=" + "x" * 300
    found = post_form(client, "/staff/sampling/desk", {"reference": link}, headers=EN)
    assert found.status_code == 303
    assert found.headers["Location"].endswith(f"/staff/sampling/appointments/{reference}")



def test_a_failed_scan_is_quoted_and_the_box_comes_back_empty_and_focused_for_the_next_scan(app):
    site = create_site()
    desk_staff(site)
    client = signed_in(browser(app), "desk")

    unknown = post_form(client, "/staff/sampling/desk", {"reference": "https://example.cn/ty-2222-2222"}, headers=EN)
    assert unknown.status_code == 200
    assert "No booking TY-2222-2222 at your sites. Check the reference, then scan or type it again." in page_text(unknown)
    # The box is empty and focused: the next scan is not added to the refused one (without JavaScript too).
    assert parse_page(unknown.get_data(as_text=True)).inputs["reference"] == ""
    box = re.search(r'<input[^>]*name="reference"[^>]*>', unknown.get_data(as_text=True)).group(0)
    assert " autofocus" in box

    garbage = post_form(client, "/staff/sampling/desk", {"reference": "6901234567892"}, headers=ZH)
    assert "“6901234567892”不含预约编号" in page_text(garbage)
    assert parse_page(garbage.get_data(as_text=True)).inputs["reference"] == ""
    wrong = post_form(client, "/staff/sampling/desk", {"reference": "TY-2222-2222"}, headers=ZH)
    assert "您的采血点没有预约TY-2222-2222" in page_text(wrong)


def test_a_family_is_checked_in_from_its_row_on_the_day_list_and_the_list_says_so(app):
    site = create_site()
    desk_staff(site)
    appointment = _booked(today_slot(site), serial=1, people=2)
    reference = appointment.item.reference
    client = signed_in(browser(app), "desk")

    page, _ = get_page(client, f"/staff/sampling/sites/{site.id}/day", headers=EN)
    assert _arrivals(page) == "Bookings arrived / expected: 0 / 1"
    forms = _row_forms(page.get_data(as_text=True), reference)
    check_in_path = f"/staff/sampling/appointments/{reference}/check-in"
    assert forms[check_in_path]["back"] == "day"

    answer = client.post(check_in_path, data=forms[check_in_path], headers=EN)
    assert answer.status_code == 303
    today = utcnow().astimezone(ZoneInfo(site.timezone)).date().isoformat()
    assert answer.headers["Location"].endswith(f"/staff/sampling/sites/{site.id}/day?day={today}")
    after, _ = get_page(client, answer.headers["Location"], headers=EN)
    assert f"Booking {reference} checked in." in page_text(after)
    assert _arrivals(after) == "Bookings arrived / expected: 1 / 1"
    assert check_in_path not in after.get_data(as_text=True)  # nothing more to check in
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "checked_in"
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.item_id == appointment.item_id))]
    assert "appointment_checked_in" in actions

    # The same row sent again (a page opened before): refused, said on the day list, in Chinese too.
    again = client.post(check_in_path, data=forms[check_in_path], headers=ZH)
    assert again.status_code == 303
    refused, _ = get_page(client, again.headers["Location"], headers=ZH)
    assert f"预约{reference}不在待签到状态。" in page_text(refused)


def test_one_booking_whose_time_has_come_is_marked_did_not_come_from_the_day_list_and_audited(app):
    site = create_site()
    desk_staff(site)
    late = _booked(slot_at(site, next_weekday(3), 1), serial=1)
    _moved_to(late, _started_today(site))
    later = _booked(today_slot(site), serial=2)
    reference = late.item.reference
    client = signed_in(browser(app), "desk")

    page, _ = get_page(client, f"/staff/sampling/sites/{site.id}/day", headers=EN)
    no_show_path = f"/staff/sampling/appointments/{reference}/no-show"
    forms = _row_forms(page.get_data(as_text=True), reference)
    assert no_show_path in forms
    # A booking whose time has not come offers check-in only.
    later_forms = _row_forms(page.get_data(as_text=True), later.item.reference)
    assert list(later_forms) == [f"/staff/sampling/appointments/{later.item.reference}/check-in"]

    answer = client.post(no_show_path, data=forms[no_show_path], headers=EN)
    assert answer.status_code == 303 and f"/staff/sampling/sites/{site.id}/day?day=" in answer.headers["Location"]
    after, _ = get_page(client, answer.headers["Location"], headers=EN)
    assert f"Booking {reference} marked as did not come." in page_text(after)
    assert _arrivals(after) == "Bookings arrived / expected: 0 / 1"  # the one still expected
    db.session.expire_all()
    assert db.session.get(Appointment, late.id).status == "no_show"
    assert db.session.get(Appointment, later.id).status == "booked"
    assert not any(a.active_booking for a in db.session.get(Appointment, late.id).attendees)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment_no_show")).one()
    assert event.item_id == late.item_id and event.actor_kind == "staff" and event.actor_id is not None
    assert event.changes["status"] == ["booked", "no_show"]


def test_a_booking_of_a_past_day_is_marked_did_not_come_from_its_own_page(app):
    site = create_site()
    desk_staff(site)
    appointment = _booked(slot_at(site, next_weekday(3), 1), serial=1)
    _moved_to(appointment, utcnow().replace(microsecond=0) - timedelta(days=2))
    reference = appointment.item.reference
    client = signed_in(browser(app), "desk")

    page, _ = get_page(client, f"/staff/sampling/appointments/{reference}", headers=EN)
    assert f"/staff/sampling/appointments/{reference}/no-show" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    marked = client.post(f"/staff/sampling/appointments/{reference}/no-show", data={"csrf_token": token}, headers=EN)
    assert marked.status_code == 303 and marked.headers["Location"].endswith(f"/staff/sampling/appointments/{reference}")
    shown, _ = get_page(client, marked.headers["Location"], headers=EN)
    assert f"Booking {reference} marked as did not come." in page_text(shown) and "Did not come" in page_text(shown)
    assert f"/appointments/{reference}/no-show" not in shown.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "no_show"


def test_a_booking_whose_time_has_not_come_is_not_marked_did_not_come(app):
    site = create_site()
    desk_staff(site)
    appointment = _booked(slot_at(site, next_weekday(3), 1), serial=1)
    reference = appointment.item.reference
    assert not can_mark_no_show(appointment)
    assert can_mark_no_show(appointment, now=appointment.slot.starts_at + timedelta(seconds=1))
    client = signed_in(browser(app), "desk")

    page, _ = get_page(client, f"/staff/sampling/appointments/{reference}", headers=EN)
    assert "/no-show" not in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    refused = client.post(f"/staff/sampling/appointments/{reference}/no-show", data={"csrf_token": token}, headers=EN)
    assert refused.status_code == 200
    assert f"The time of booking {reference} has not come yet. The family may still arrive." in page_text(refused)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "booked"
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment_no_show")).all()


def test_site_staff_cannot_check_in_or_mark_a_booking_of_another_site(app):
    mine, other = create_site(), create_site(name="如皋市公安局", city="如皋市")
    desk_staff(mine)
    theirs = _booked(slot_at(other, next_weekday(3), 1), serial=1)
    _moved_to(theirs, _started_today(other))
    reference = theirs.item.reference
    client = signed_in(browser(app), "desk")
    page, _ = get_page(client, f"/staff/sampling/sites/{mine.id}/day", headers=EN)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    for action in ("check-in", "no-show"):
        answer = client.post(f"/staff/sampling/appointments/{reference}/{action}", data={"csrf_token": token, "back": "day"})
        assert answer.status_code == 404, action
    db.session.expire_all()
    assert db.session.get(Appointment, theirs.id).status == "booked"


def test_the_day_list_counts_bookings_arrived_out_of_those_expected_leaving_out_cancelled_and_not_come(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site, capacity=12)
    checked_in_family(slot, people=2, serial=1)
    _booked(slot, serial=2)
    cancel_appointment(_booked(slot, serial=3), actor_id=None)
    gone = _booked(slot, serial=4)
    gone.status = "no_show"
    db.session.commit()
    register_walk_in(site, [AttendeeDetails("赵六", "parent", resident_id(serial="901"))], applicant_phone=None,
                     language="zh", actor_id=None, consent=True)
    db.session.commit()
    client = signed_in(browser(app), "desk")
    page, _ = get_page(client, f"/staff/sampling/sites/{site.id}/day", headers=EN)
    # Arrived: the family and the walk-in; expected: those and the booking still awaited.
    assert _arrivals(page) == "Bookings arrived / expected: 2 / 3"
    zh, _ = get_page(client, f"/staff/sampling/sites/{site.id}/day", headers=ZH)
    assert _arrivals(zh) == "已到/应到预约：2 / 3"


def test_the_booking_page_is_ready_for_a_scanner_and_still_saves_with_one_button(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2, serial=1)
    client = signed_in(browser(app), "desk")
    page, _ = get_page(client, f"/staff/sampling/appointments/{family.item.reference}", headers=EN)
    html = page.get_data(as_text=True)
    form = re.search(r'<form[^>]*/samples"[^>]*>(.*?)</form>', html, flags=re.S)
    assert form and "data-tube-scan" in form.group(0)
    boxes = re.findall(r'<input[^>]*name="tube-\d+"[^>]*>', form.group(1))
    assert len(boxes) == 2 and " autofocus" in boxes[0] and "autofocus" not in boxes[1]
    assert len(re.findall(r'<button type="submit"', form.group(1))) == 1
    assert "/static/js/desk-scanner.js" in html and "<script>" not in html
