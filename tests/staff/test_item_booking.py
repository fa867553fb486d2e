"""A sampling booking in the staff console: found in the queue by its reference whatever the
filters, and its item page names its site as its place and sums up the sampling."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, AppointmentStatus, AuditEvent, utcnow
from portal.core.permissions import Role
from tests.support.factories import create_site, create_slot, create_staff, create_tip
from tests.support.helpers import get_page, text_of
from tests.support.staff import browser, create_appointment, sign_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _signed_in(app: Flask, role: Role, **attrs: object):  # type: ignore[no-untyped-def]
    user = create_staff(role, **attrs)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return user, client


def _listed(client, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    response, _page = get_page(client, "/staff/queue" + query, headers=EN)
    table = response.get_data(as_text=True).split('<table class="staff-table">', 1)[-1]
    return re.findall(r'href="/staff/items/(TY-[0-9A-Z]{4}-[0-9A-Z]{4})"', table)


def _appointment(item) -> Appointment:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(Appointment).where(Appointment.item_id == item.id))


def test_a_booking_reference_typed_any_way_finds_the_booking_whatever_the_kind_and_status_filter(app: Flask) -> None:
    booking = create_appointment(create_slot(create_site()))
    create_tip()
    _, client = _signed_in(app, Role.TRIAGE_OFFICER)
    assert booking.reference not in _listed(client, "")  # bookings are left out of the default queue
    body = booking.reference.removeprefix("TY-")
    for typed in (booking.reference, booking.reference.lower(), body.replace("-", ""), "ty " + body.replace("-", " ")):
        assert _listed(client, f"?q={typed}") == [booking.reference], typed
    assert _listed(client, f"?q={booking.reference}&kind=tip&status=closed") == [booking.reference]


def test_a_closed_tip_is_found_by_its_reference_from_the_open_queue(app: Flask) -> None:
    receipt = create_tip()
    receipt.tip.item.status = "closed"
    db.session.commit()
    _, client = _signed_in(app, Role.TRIAGE_OFFICER)
    assert _listed(client, f"?q={receipt.reference}") == [receipt.reference]
    assert _listed(client, "") == []


def test_a_booking_reference_finds_nothing_for_an_account_that_may_not_see_it(app: Flask) -> None:
    booking = create_appointment(create_slot(create_site()))
    _, client = _signed_in(app, Role.SITE_STAFF)  # staff of no site
    assert _listed(client, f"?q={booking.reference}") == []


def test_the_search_box_says_a_reference_number_works(app: Flask) -> None:
    _, client = _signed_in(app, Role.TRIAGE_OFFICER)
    english, page = get_page(client, "/staff/queue", headers=EN)
    html = english.get_data(as_text=True)
    assert 'aria-describedby="q-hint"' in html and "Or type a reference number, like TY-7K3M-9Q2P" in text_of(english)
    chinese, _page = get_page(client, "/staff/queue", headers=ZH)
    assert "受理编号" in text_of(chinese)


def test_a_booking_item_page_names_its_site_as_its_place_not_an_unknown_region(app: Flask) -> None:
    site = create_site(name="南通市公安局崇川分局", city="南通市")
    booking = create_appointment(create_slot(site))
    _, client = _signed_in(app, Role.TRIAGE_OFFICER)
    response, _page = get_page(client, f"/staff/items/{booking.reference}", headers=EN)
    page_text = text_of(response)
    assert "Place 南通市公安局崇川分局, 南通市 (sampling site)" in page_text
    assert "Not known" not in page_text


def test_a_booking_item_page_sums_up_each_persons_sample_and_the_visit_and_audits_the_tube_numbers(app: Flask) -> None:
    booking = create_appointment(create_slot(create_site()), applicant_name="李四")
    appointment = _appointment(booking)
    second = type(appointment.attendees[0])(name="王五", relationship_to_missing="father", id_number=None)
    appointment.attendees.append(second)
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.checked_in_at = utcnow()
    appointment.attendees[0].sample_tube_number = "NT2026000123"
    appointment.attendees[0].sample_taken_at = utcnow()
    second.not_sampled_reason = "declined"
    second.not_sampled_note = "不想说"
    appointment.visit_done_at = utcnow()
    db.session.commit()
    user, client = _signed_in(app, Role.ADMIN)
    response, _page = get_page(client, f"/staff/items/{booking.reference}", headers=EN)
    page_text = text_of(response)
    assert "Sampling Visit Done on" in page_text
    assert "李四 Tube number NT2026000123" in page_text
    assert "王五 No sample: Chose not to give a sample" in page_text
    assert "不想说" not in page_text  # the desk's note stays on the desk page
    assert f'href="/staff/sampling/appointments/{booking.reference}"' in response.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_item", AuditEvent.actor_id == user.id))
    assert {"sample_tube_number", "not_sampled_reason", "attendee_name"} <= set(event.fields)
    assert "not_sampled_note" not in event.fields


def test_a_booking_not_yet_visited_says_so_and_audits_no_tube_number(app: Flask) -> None:
    booking = create_appointment(create_slot(create_site()), applicant_name="李四")
    user, client = _signed_in(app, Role.TRIAGE_OFFICER)
    response, _page = get_page(client, f"/staff/items/{booking.reference}", headers=ZH)
    page_text = text_of(response)
    assert "未完成" in page_text and "尚未记录采血" in page_text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_item", AuditEvent.actor_id == user.id))
    assert "sample_tube_number" not in event.fields
