"""What a day at the sampling desk showed (issue 18, a tester's day): a walk-in is registered only
with the family's consent (and a guardian's for a child under 14), a booking marked "did not come"
by mistake is checked in on its day, the day list tells a finished visit, the next family is one
scan away, a day is reached by its date, and the family's SMS language is asked."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.i18n import format_day
from portal.core.models import Appointment, AuditEvent, Slot, utcnow
from portal.core.permissions import Role
from portal.sampling.booking import book_appointment, cancel_appointment
from portal.sampling.desk import mark_no_show
from portal.sampling.visits import close_visit
from tests.support.factories import create_site
from tests.support.helpers import csrf_token, get_page, parse_page, post_form
from tests.support.sampling import CHILD_ID, next_weekday, resident_id, slot_at
from tests.support.factories import create_staff
from tests.support.staff import browser, sign_in
from tests.support.tubes import (
    EN,
    ZH,
    checked_in_family,
    desk_staff,
    page_text,
    save_tubes,
    signed_in,
    today_slot,
)


def _booked(slot: Slot, serial: int, people: int = 1) -> Appointment:
    """A booking of `people` at `slot`, not checked in (identity numbers from `serial` on)."""
    slot.site.minimum_notice_minutes = 0
    appointment = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name="李建国", applicant_phone=f"+86137001{37000 + serial}",
        attendees=[("李建国", "parent", resident_id(serial=f"{serial:02d}{n}"), None) for n in range(people)],
        consent=True, language="zh")
    db.session.commit()
    return appointment


def _come_and_marked_not_come(appointment: Appointment) -> None:
    """Move the booking to a time of its site's local today that has come, and mark it "did not come"."""
    site = appointment.slot.site
    zone = ZoneInfo(site.timezone)
    now = utcnow().replace(microsecond=0)
    starts = max(datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone), now - timedelta(hours=1))
    appointment.slot.starts_at, appointment.slot.ends_at = starts, starts + timedelta(minutes=20)
    db.session.commit()
    mark_no_show(appointment, site, actor_id=None)  # type: ignore[arg-type]
    db.session.commit()


def _tube_boxes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r'name="(tube-\d+)"', response.get_data(as_text=True))


def _walk_in_answers(document_number: str) -> dict[str, str]:
    return {"attendees-0-name": "赵六", "attendees-0-relationship": "parent", "attendees-0-document_type": "resident_id",
            "attendees-0-document_number": document_number, "attendees-0-phone": "137 0013 7000"}


def _checked(response, name: str) -> bool:  # type: ignore[no-untyped-def]
    box = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.get_data(as_text=True))
    assert box, f"no {name} box"
    return " checked" in box.group(0)


def test_a_walk_in_is_refused_without_the_familys_consent_and_a_guardians_for_a_child_keeping_what_was_typed(app):
    site = create_site()
    desk_staff(site)
    desk = signed_in(browser(app), "desk")
    walk_in = f"/staff/sampling/sites/{site.id}/walk-in?people=1"

    no_consent = post_form(desk, walk_in, {**_walk_in_answers(resident_id(serial="901")),
                                           "case-missing_name": "赵小军"}, headers=EN)
    assert no_consent.status_code == 200
    assert "Ask the family for their consent, then tick the box." in page_text(no_consent)
    typed = parse_page(no_consent.get_data(as_text=True)).inputs
    assert typed["attendees-0-name"] == "赵六" and typed["case-missing_name"] == "赵小军"

    child = post_form(desk, walk_in, {**_walk_in_answers(CHILD_ID), "consent": "y"}, headers=ZH)
    assert child.status_code == 200
    assert "第1位未满14岁：请征得其父母或监护人同意，再勾选此项。" in page_text(child)
    assert _checked(child, "consent") and not _checked(child, "guardian_consent")
    assert db.session.scalars(select(Appointment)).all() == []

    registered = post_form(desk, walk_in, {**_walk_in_answers(CHILD_ID), "consent": "y", "guardian_consent": "y"},
                           headers=ZH)
    assert registered.status_code == 303
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.walk_in and appointment.guardian_consent and appointment.consent_given_at is not None


def test_booking_for_a_family_says_by_the_box_when_a_child_needs_a_guardians_consent_and_keeps_the_ticks(app):
    site = create_site()
    desk_staff(site)
    slot = slot_at(site, next_weekday(3), 1)
    desk = signed_in(browser(app), "desk")
    answers = {**_walk_in_answers(CHILD_ID), "slot": str(slot.id), "consent": "y"}
    refused = post_form(desk, f"/staff/sampling/sites/{site.id}/book?people=1", answers, headers=EN)
    assert refused.status_code == 200
    assert "Person 1 is under 14: ask a parent or guardian for their consent, then tick the box." in page_text(refused)
    assert _checked(refused, "consent")
    no_consent = post_form(desk, f"/staff/sampling/sites/{site.id}/book?people=1",
                           {**answers, "consent": "", "guardian_consent": "y"}, headers=EN)
    assert "Ask the family for their consent, then tick the box." in page_text(no_consent)
    assert _checked(no_consent, "guardian_consent") and not _checked(no_consent, "consent")
    assert db.session.scalars(select(Appointment)).all() == []


def test_a_family_marked_did_not_come_is_checked_in_the_same_day_from_its_row_and_audited_as_such(app):
    site = create_site()
    desk_staff(site)
    appointment = _booked(today_slot(site), serial=1, people=2)
    _come_and_marked_not_come(appointment)
    reference = appointment.item.reference
    client = signed_in(browser(app), "desk")

    page, _ = get_page(client, f"/staff/sampling/appointments/{reference}", headers=EN)
    check_in_path = f"/staff/sampling/appointments/{reference}/check-in"
    assert check_in_path in page.get_data(as_text=True) and _tube_boxes(page) == []  # no boxes until checked in
    day_list, _ = get_page(client, f"/staff/sampling/sites/{site.id}/day", headers=EN)
    row = next(line for line in day_list.get_data(as_text=True).split("<tr")[1:] if reference in line).split("</tr>")[0]
    assert f'action="{check_in_path}"' in row

    answer = client.post(check_in_path, data={"csrf_token": csrf_token(day_list.get_data(as_text=True)),
                                              "back": "day"}, headers=EN)
    assert answer.status_code == 303
    after, _ = get_page(client, answer.headers["Location"], headers=EN)
    assert f"Booking {reference} checked in." in page_text(after)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "checked_in"
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "appointment_checked_in_after_no_show")).one()
    assert event.item_id == appointment.item_id and event.changes["status"] == ["no_show", "checked_in"]
    booking_page, _ = get_page(client, f"/staff/sampling/appointments/{reference}", headers=EN)
    assert len(_tube_boxes(booking_page)) == 2


def test_a_booking_of_a_day_to_come_says_when_check_in_opens_and_shows_no_tube_boxes(app):
    site = create_site()
    desk_staff(site)
    day = next_weekday(3)
    coming = _booked(slot_at(site, day, 1), serial=1)
    cancelled = _booked(slot_at(site, day, 2), serial=2)
    cancel_appointment(cancelled, actor_id=None, actor_kind="staff")
    db.session.commit()
    client = signed_in(browser(app), "desk")

    page, _ = get_page(client, f"/staff/sampling/appointments/{coming.item.reference}", headers=EN)
    with app.test_request_context(headers=EN):
        opens, opens_zh = format_day(day, "en"), format_day(day, "zh")
    assert f"Check-in opens on {opens}." in page_text(page)
    assert _tube_boxes(page) == [] and "Check the family in before recording samples" not in page_text(page)
    chinese, _ = get_page(client, f"/staff/sampling/appointments/{coming.item.reference}", headers=ZH)
    assert f"{opens_zh}开始签到。" in page_text(chinese)

    gone, _ = get_page(client, f"/staff/sampling/appointments/{cancelled.item.reference}", headers=EN)
    assert _tube_boxes(gone) == [] and "Check-in opens" not in page_text(gone)


def _status_cell(response, reference: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The words of the status cell of `reference`'s row on the day list."""
    row = next(line for line in response.get_data(as_text=True).split("<tr")[1:] if reference in line).split("</tr>")[0]
    cell = re.search(r'<td class="day-status"[^>]*>(.*?)</td>', row, flags=re.S)
    assert cell, "no status cell"
    return re.sub(r"<[^>]+>", " ", cell.group(1)).split()


def test_the_day_list_tells_a_finished_visit_sampled_or_closed_from_one_in_progress(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site, capacity=12)
    sampled = checked_in_family(slot, people=2, serial=1)
    closed = checked_in_family(slot, people=2, serial=2)
    in_progress = checked_in_family(slot, people=2, serial=3)
    client = signed_in(browser(app), "desk")
    assert save_tubes(client, sampled, ["NT-11", "NT-12"]).status_code == 303
    assert save_tubes(client, closed, ["NT-21", ""]).status_code == 303
    assert save_tubes(client, in_progress, ["NT-31", ""]).status_code == 303
    db.session.expire_all()
    close_visit(closed, {closed.attendees[1].id: ("did_not_come", None)}, actor_id=None)  # type: ignore[arg-type]
    db.session.commit()

    page, _ = get_page(client, f"/staff/sampling/sites/{site.id}/day", headers=EN)
    assert " ".join(_status_cell(page, sampled.item.reference)) == "Checked in Visit done"
    assert " ".join(_status_cell(page, closed.item.reference)) == "Checked in Visit done"
    assert " ".join(_status_cell(page, in_progress.item.reference)) == "Checked in"
    chinese, _ = get_page(client, f"/staff/sampling/sites/{site.id}/day", headers=ZH)
    assert "".join(_status_cell(chinese, sampled.item.reference)).endswith("本次到访已结束")


def _next_family_box(response) -> str | None:  # type: ignore[no-untyped-def]
    """The "Next family" form's reference box, or None when the page has no such form."""
    form = re.search(r'<form class="compact-form next-family"[^>]*action="/staff/sampling/desk"[^>]*>(.*?)</form>',
                     response.get_data(as_text=True), flags=re.S)
    return re.search(r'<input[^>]*name="reference"[^>]*>', form.group(1)).group(0) if form else None


def test_once_a_visit_is_done_the_next_family_is_one_scan_away_from_its_page_and_the_day_list(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site, capacity=12)
    family = checked_in_family(slot, people=2, serial=1)
    following = _booked(slot, serial=2)
    client = signed_in(browser(app), "desk")
    booking_page = f"/staff/sampling/appointments/{family.item.reference}"

    before, _ = get_page(client, booking_page, headers=EN)
    assert _next_family_box(before) is None  # the tube boxes come first
    saved = save_tubes(client, family, ["NT-11", "NT-12"], headers=EN)
    assert saved.status_code == 303
    done, _ = get_page(client, saved.headers["Location"], headers=EN)
    box = _next_family_box(done)
    assert box is not None and " autofocus" in box
    assert "Next family: scan or type a reference" in page_text(done)

    found = client.post("/staff/sampling/desk", headers=EN, data={
        "csrf_token": csrf_token(done.get_data(as_text=True)), "reference": following.item.reference.lower()})
    assert found.status_code == 303
    assert found.headers["Location"].endswith(f"/staff/sampling/appointments/{following.item.reference}")

    day_list, _ = get_page(client, f"/staff/sampling/sites/{site.id}/day", headers=ZH)
    assert _next_family_box(day_list) is not None and "下一个家庭：扫描或输入预约编号" in page_text(day_list)


def test_site_staff_land_on_the_sampling_desk_after_signing_in_and_others_on_the_queue(app):
    site = create_site()
    desk_staff(site)
    create_staff(Role.ADMIN, username="boss")
    answer = sign_in(browser(app), "desk")
    assert answer.status_code == 303 and answer.headers["Location"] == "/staff/sampling/desk"
    answer = sign_in(browser(app), "boss")
    assert answer.status_code == 303 and answer.headers["Location"] == "/staff/queue"
    # A page asked for before signing in is still where site staff go.
    answer = sign_in(browser(app), "desk", next_url=f"/staff/sampling/sites/{site.id}/day")
    assert answer.headers["Location"] == f"/staff/sampling/sites/{site.id}/day"


def test_the_day_list_goes_to_a_day_typed_in_its_date_box_and_says_why_a_date_cannot_be_read(app):
    site = create_site()
    desk_staff(site)
    day = next_weekday(5)
    coming = _booked(slot_at(site, day, 1), serial=1)
    client = signed_in(browser(app), "desk")

    today_list, _ = get_page(client, f"/staff/sampling/sites/{site.id}/day", headers=EN)
    form = re.search(r'<form class="compact-form go-to-day" method="get" action="([^"]+)"', today_list.get_data(as_text=True))
    assert form and form.group(1) == f"/staff/sampling/sites/{site.id}/day"
    assert re.search(r'<input[^>]*name="day" type="date"', today_list.get_data(as_text=True))

    chosen, _ = get_page(client, f"{form.group(1)}?day={day.isoformat()}", headers=EN)
    assert coming.item.reference in chosen.get_data(as_text=True)
    assert parse_page(chosen.get_data(as_text=True)).inputs["day"] == day.isoformat()

    unreadable = client.get(f"{form.group(1)}?day=10/12/2026", headers=ZH)
    assert unreadable.status_code == 200
    assert "请按年-月-日输入真实存在的日期，例如" in page_text(unreadable)
    assert parse_page(unreadable.get_data(as_text=True)).inputs["day"] == "10/12/2026"
    assert coming.item.reference not in unreadable.get_data(as_text=True)  # today's list instead


def test_the_familys_sms_language_is_asked_chinese_by_default_whatever_the_staff_screen_language(app):
    site = create_site()
    desk_staff(site)
    slot = slot_at(site, next_weekday(3), 1)
    desk = signed_in(browser(app), "desk")

    # Staff reading in English: Chinese is still the family's language unless they ask for English.
    page, _ = get_page(desk, f"/staff/sampling/sites/{site.id}/walk-in?people=1", headers=EN)
    assert re.search(r'<input[^>]*checked[^>]*value="zh"|<input[^>]*value="zh"[^>]*checked', page.get_data(as_text=True))
    assert "Language of the family's text messages" in page_text(page)
    walked_in = post_form(desk, f"/staff/sampling/sites/{site.id}/walk-in?people=1",
                          {**_walk_in_answers(resident_id(serial="901")), "consent": "y", "sms_language": "zh"},
                          headers=EN)
    assert walked_in.status_code == 303
    assert db.session.scalars(select(Appointment).where(Appointment.walk_in.is_(True))).one().language == "zh"

    # Staff reading in Chinese, a family asking for English.
    booked = post_form(desk, f"/staff/sampling/sites/{site.id}/book?people=1", {
        **_walk_in_answers(resident_id(serial="902")), "slot": str(slot.id), "consent": "y", "sms_language": "en"},
        headers=ZH)
    assert booked.status_code == 303
    assert db.session.scalars(select(Appointment).where(Appointment.walk_in.is_(False))).one().language == "en"

    forged = post_form(desk, f"/staff/sampling/sites/{site.id}/walk-in?people=1",
                       {**_walk_in_answers(resident_id(serial="903")), "consent": "y", "sms_language": "fr"},
                       headers=EN)
    assert forged.status_code == 200
    assert "Choose the language of the family's text messages" in page_text(forged)
    assert parse_page(forged.get_data(as_text=True)).inputs["attendees-0-name"] == "赵六"


def test_the_desk_joins_a_sites_name_to_its_list_as_each_language_does(app):
    site = create_site(name="通州区公安局城南派出所")
    desk_staff(site)
    desk = signed_in(browser(app), "desk")
    chinese, _ = get_page(desk, "/staff/sampling/desk", headers=ZH)
    assert "通州区公安局城南派出所：今日名单" in page_text(chinese)
    assert "通州区公安局城南派出所: " not in page_text(chinese)
    english, _ = get_page(desk, "/staff/sampling/desk", headers=EN)
    assert "通州区公安局城南派出所: today's list" in page_text(english)
