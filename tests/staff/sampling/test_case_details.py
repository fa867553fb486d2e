"""The case behind a sample reaches staff: the booking's desk page, its item page and its printed
sampling record show what the family said about the person looked for (translated labels, dates
as precise as the family gave them), each view audited; the desk records it for a walk-in with
the journey's own questions (optional there), stored encrypted like a booking's."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from portal.core.extensions import db
from portal.core.models import Appointment, AuditEvent
from portal.core.permissions import Role
from portal.sampling.booking import book_appointment
from tests.support.factories import create_site, create_staff
from tests.support.helpers import get_page, post_form
from tests.support.nu_checker import assert_valid_html
from tests.support.sampling import resident_id
from tests.support.staff import browser
from tests.support.tubes import EN, ZH, desk_staff, page_text, signed_in, today_slot

CASE = {"missing_name": "王小明", "missing_sex": "male", "missing_born": "2003~", "last_seen_on": "2008-06",
        "last_seen_place": "成都火车站", "police_report": "川公刑2008-117", "sampled_before": "no"}


def _booking_with_case(site) -> Appointment:  # type: ignore[no-untyped-def]
    slot = today_slot(site)
    site.minimum_notice_minutes = 0
    appointment = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name="王秀英", applicant_phone="+8613800138000",
        attendees=[("王秀英", "parent", resident_id(serial="301"), None)], consent=True, language="zh",
        case_details=CASE)
    db.session.commit()
    return appointment


def _viewed_fields(item_id: int, action: str) -> list[list[str]]:
    return [event.fields for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.item_id == item_id, AuditEvent.action == action))]


def test_the_desk_shows_the_case_details_in_both_languages_and_audits_the_view(app):
    site = create_site()
    desk_staff(site)
    booking = _booking_with_case(site)
    desk = signed_in(browser(app), "desk")
    page, _ = get_page(desk, f"/staff/sampling/appointments/{booking.item.reference}", headers=EN)
    shown = page_text(page)
    for words in ("The person looked for", "Name of the person looked for 王小明", "Sex Male",
                  "Date of birth of the person looked for about 2003", "When last seen June 2008",
                  "Where last seen 成都火车站", "Police report number 川公刑2008-117",
                  "Sampled before for this search No"):
        assert words in shown, words
    chinese = page_text(get_page(desk, f"/staff/sampling/appointments/{booking.item.reference}", headers=ZH)[0])
    assert "被寻找人的出生日期 约2003年" in chinese and "最后见到的时间 2008年6月" in chinese
    assert all("case_details" in fields for fields in _viewed_fields(booking.item_id, "view_appointment"))
    assert len(_viewed_fields(booking.item_id, "view_appointment")) == 2


def test_the_bookings_item_page_shows_the_case_details_and_audits_the_view(app):
    site = create_site()
    booking = _booking_with_case(site)
    create_staff(Role.ADMIN, username="boss")
    admin = signed_in(browser(app), "boss")
    page, _ = get_page(admin, f"/staff/items/{booking.item.reference}", headers=EN)
    shown = page_text(page)
    assert "Name of the person looked for 王小明" in shown and "When last seen June 2008" in shown
    assert ["case_details" in fields for fields in _viewed_fields(booking.item_id, "view_item")] == [True]


def test_a_booking_without_case_details_shows_no_empty_section_and_names_no_case_field(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site)
    site.minimum_notice_minutes = 0
    booking = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name="王秀英", applicant_phone="+8613800138000",
        attendees=[("王秀英", "parent", resident_id(serial="302"), None)], consent=True, language="zh")
    db.session.commit()
    desk = signed_in(browser(app), "desk")
    page, _ = get_page(desk, f"/staff/sampling/appointments/{booking.item.reference}", headers=EN)
    assert "The person looked for" not in page_text(page)
    assert ["case_details" in fields for fields in _viewed_fields(booking.item_id, "view_appointment")] == [False]


def test_a_walk_in_is_registered_with_case_details_stored_encrypted_and_shown(app):
    site = create_site()
    desk_staff(site)
    today_slot(site)
    desk = signed_in(browser(app), "desk")
    response = post_form(desk, f"/staff/sampling/sites/{site.id}/walk-in?people=1", {
        "attendees-0-name": "赵六", "attendees-0-relationship": "parent", "attendees-0-document_type": "resident_id",
        "attendees-0-document_number": resident_id(serial="901"), "attendees-0-phone": "137 0013 7000",
        "case-missing_name": "赵小军", "case-missing_sex": "", "case-missing_born": "1995年3月",
        "case-last_seen_on": "约2001年", "case-last_seen_place": "南通汽车站", "case-police_report": "",
        "case-remembered": "", "case-sampled_before": "unknown", "consent": "y"}, headers=EN)
    assert response.status_code == 303
    walk_in = db.session.scalars(select(Appointment).where(Appointment.walk_in.is_(True))).one()
    assert json.loads(walk_in.case_details) == {"missing_name": "赵小军", "missing_born": "1995-03",
                                                "last_seen_on": "2001~", "last_seen_place": "南通汽车站",
                                                "sampled_before": "unknown"}
    stored = db.session.scalar(text("SELECT case_details FROM appointment WHERE id = :id"), {"id": walk_in.id})
    assert "赵小军" not in stored and "1995" not in stored  # encrypted at rest
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "walk_in_registered")).one()
    assert event.fields == ["case_details"]
    shown = page_text(desk.get(response.headers["Location"], headers=EN))
    assert "Name of the person looked for 赵小军" in shown and "Date of birth of the person looked for March 1995" in shown
    assert "When last seen about 2001" in shown and "Sampled before for this search Not sure" in shown


def test_a_walk_in_takes_a_season_and_a_part_of_a_decade_and_shows_them_back_in_both_languages(app):
    site = create_site()
    desk_staff(site)
    today_slot(site)
    desk = signed_in(browser(app), "desk")
    response = post_form(desk, f"/staff/sampling/sites/{site.id}/walk-in?people=1", {
        "attendees-0-name": "赵六", "attendees-0-relationship": "parent", "attendees-0-document_type": "resident_id",
        "attendees-0-document_number": resident_id(serial="903"), "attendees-0-phone": "137 0013 7000",
        "case-missing_born": "上世纪90年代末", "case-last_seen_on": "2001年夏天", "case-sampled_before": "unknown",
        "consent": "y"}, headers=ZH)
    assert response.status_code == 303
    walk_in = db.session.scalars(select(Appointment).where(Appointment.walk_in.is_(True))).one()
    details = json.loads(walk_in.case_details)
    assert (details["missing_born"], details["last_seen_on"]) == ("1997~/1999~", "2001-22")
    chinese = page_text(desk.get(response.headers["Location"], headers=ZH))
    assert "被寻找人的出生日期 1990年代末" in chinese and "最后见到的时间 2001年夏天" in chinese
    english = page_text(desk.get(response.headers["Location"], headers=EN))
    assert "Date of birth of the person looked for the late 1990s" in english
    assert "When last seen summer 2001" in english


def test_a_walk_in_with_a_nonsense_season_is_refused_as_typed(app):
    site = create_site()
    desk_staff(site)
    desk = signed_in(browser(app), "desk")
    refused = post_form(desk, f"/staff/sampling/sites/{site.id}/walk-in?people=1", {
        "attendees-0-name": "赵六", "attendees-0-relationship": "parent", "attendees-0-document_type": "resident_id",
        "attendees-0-document_number": resident_id(serial="904"), "attendees-0-phone": "137 0013 7000",
        "case-last_seen_on": "2001年雨季", "consent": "y"}, headers=ZH)
    assert refused.status_code == 200
    assert "请按您所知输入最后一次见到的时间，例如2008年、2008年6月或2008年6月1日" in page_text(refused)
    assert 'value="2001年雨季"' in refused.get_data(as_text=True)
    assert db.session.scalars(select(Appointment)).all() == []


def test_a_walk_in_needs_no_case_details_and_a_date_that_cannot_be_is_refused_as_typed(app):
    site = create_site()
    desk_staff(site)
    desk = signed_in(browser(app), "desk")
    people = {"attendees-0-name": "赵六", "attendees-0-relationship": "parent",
              "attendees-0-document_type": "resident_id", "attendees-0-document_number": resident_id(serial="902"),
              "attendees-0-phone": "137 0013 7000", "consent": "y"}
    refused = post_form(desk, f"/staff/sampling/sites/{site.id}/walk-in?people=1",
                        {**people, "case-missing_born": "2003-02-31", "case-last_seen_on": "1999"}, headers=ZH)
    assert refused.status_code == 200
    shown = page_text(refused)
    assert "请输入真实存在的日期，例如1990年5月17日" in shown and 'value="2003-02-31"' in refused.get_data(as_text=True)
    assert db.session.scalars(select(Appointment)).all() == []
    registered = post_form(desk, f"/staff/sampling/sites/{site.id}/walk-in?people=1", people, headers=ZH)
    assert registered.status_code == 303
    assert db.session.scalars(select(Appointment)).one().case_details is None


def test_the_printed_sampling_record_holds_the_case_details_tubes_and_is_audited(app):
    site = create_site()
    desk_staff(site)
    booking = _booking_with_case(site)
    desk = signed_in(browser(app), "desk")
    page, _ = get_page(desk, f"/staff/sampling/appointments/{booking.item.reference}/record", headers=EN)
    shown = page_text(page)
    assert f"Sampling record {booking.item.reference}" in shown and "Name of the person looked for 王小明" in shown
    assert "Not recorded yet" in shown and "Restricted: this file holds personal details" in shown
    assert_valid_html(page.get_data(as_text=True), "sampling-record")
    fields = _viewed_fields(booking.item_id, "print_sampling_record")
    assert len(fields) == 1 and "case_details" in fields[0] and "sample_tube_number" in fields[0]
    other = create_site(name="如皋市公安局", city="如皋市")
    desk_staff(other, username="other")
    assert signed_in(browser(app), "other").get(
        f"/staff/sampling/appointments/{booking.item.reference}/record").status_code == 404
