"""Closing a site's days from the staff pages: the preview of the families affected, confirming
it, a preview gone stale, site staff proposing and an admin deciding, who is refused, and the
day list of a closed day (portal/staff/closure_views.py, portal/sampling/closures.py)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import (
    Appointment,
    AuditEvent,
    AuditEventItem,
    ClosureStatus,
    OutboundMessage,
    OutboundStatus,
    SamplingSite,
    SiteClosure,
    Slot,
    staff_site,
)
from portal.core.permissions import Role
from portal.sampling import notices
from portal.sampling.booking import book_appointment
from portal.sampling.slots import closed_days
from tests.support.closures import fingerprint_of, preview_then_confirm
from tests.support.factories import create_site, create_staff
from tests.support.helpers import check_page, csrf_token, get_page, post_form, text_of
from tests.support.sampling import next_weekday, resident_id, slot_at
from tests.support.staff import browser, sign_in

ZH = {"Accept-Language": "zh"}
EN = {"Accept-Language": "en"}


def _signed_in(app, role: Role, username: str, site: SamplingSite | None = None):  # type: ignore[no-untyped-def]
    user = create_staff(role, username=username)
    if site is not None:
        db.session.execute(staff_site.insert().values(staff_user_id=user.id, site_id=site.id))
        db.session.commit()
    client = browser(app)
    assert sign_in(client, username).status_code == 303
    return client


def _book(slot: Slot, serial: str, phone: str | None = "+8613800138001", name: str = "王秀英",
          people: int = 1) -> Appointment:
    appointment = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name=name, applicant_phone=phone,
        attendees=[(f"{name}{n}", "parent", resident_id(serial=f"{serial[:2]}{n}"), None) for n in range(people)],
        consent=True, language="zh")
    db.session.commit()
    return appointment


def _closure_sms() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == notices.CLOSURE_PURPOSE)
                                   .order_by(OutboundMessage.id)))


def _closures() -> list[SiteClosure]:
    db.session.expire_all()
    return list(db.session.scalars(select(SiteClosure).order_by(SiteClosure.id)))


def _booked_day(site: SamplingSite) -> tuple[date, list[Appointment], Slot]:
    """A weekday with two families booked (one of two people, one without a mobile number), and
    a free slot the next day: the time the preview offers."""
    day = next_weekday(3)
    morning, afternoon = slot_at(site, day, 1), slot_at(site, day, 6)
    families = [_book(morning, "071", name="王秀英", people=2), _book(afternoon, "081", phone=None, name="李建国")]
    free = slot_at(site, day + timedelta(days=1), 2)
    return day, families, free


def test_the_preview_lists_the_affected_bookings_and_changes_nothing(app):
    site = create_site()
    day, (two, no_phone), free = _booked_day(site)
    admin = _signed_in(app, Role.ADMIN, "admin")

    response = post_form(admin, f"/staff/sampling/sites/{site.id}/closures",
                         {"starts_on": day.isoformat(), "ends_on": "", "reason": "设备检修", "action": "preview"},
                         headers=ZH)

    assert response.status_code == 200
    check_page(response)  # a title, one h1, unique ids, a CSRF token in every form
    page = text_of(response)
    for appointment in (two, no_phone):
        assert appointment.item.reference in page
    assert "王秀英" in page and "李建国" in page
    assert "2个预约" in page and "设备检修" in page
    # Exactly the SMS the confirmation will queue, and the free time the family is offered.
    assert notices.closure_notice_body(db.session.get(Appointment, two.id)) in page
    assert "没有手机号码" in page
    assert "上午10:00" in page  # the free slot the next day: 02:00 UTC is 10:00 in Shanghai
    # What was typed is carried to the confirm button, with the preview's fingerprint.
    html = response.get_data(as_text=True)
    assert f'value="{day.isoformat()}"' in html and fingerprint_of(html)
    # Nothing changed: no closure, no message, the day still bookable.
    assert _closures() == [] and _closure_sms() == []
    assert closed_days(site, day, day) == set()
    # The names shown are an audited view, naming the bookings' items.
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "view_closure_preview")).one()
    listed = set(db.session.scalars(select(AuditEventItem.item_id).where(AuditEventItem.audit_event_id == event.id)))
    assert listed == {two.item_id, no_phone.item_id}


def test_confirming_closes_the_days_and_sends_each_family_the_text_the_preview_showed(app):
    site = create_site()
    day, (two, no_phone), _free = _booked_day(site)
    admin = _signed_in(app, Role.ADMIN, "admin")
    url = f"/staff/sampling/sites/{site.id}/closures"
    preview = post_form(admin, url, {"starts_on": day.isoformat(), "reason": "设备检修", "action": "preview"}, headers=ZH)
    shown = text_of(preview)

    confirmed = post_form(admin, url, {"starts_on": day.isoformat(), "ends_on": "", "reason": "设备检修",
                                       "action": "confirm", "fingerprint": fingerprint_of(preview.get_data(as_text=True))},
                          headers=ZH)

    assert confirmed.status_code == 303
    closure = _closures()[0]
    assert (closure.status, closure.reason, closure.families_told) == (ClosureStatus.CONFIRMED, "设备检修", 1)
    assert closed_days(site, day, day) == {day}
    sent = _closure_sms()
    assert [message.item_id for message in sent] == [two.item_id]  # the booking without a mobile gets none
    assert sent[0].body in shown
    # The bookings stay as they are until the families move or cancel.
    assert db.session.get(Appointment, two.id).status == "booked"
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "closure_added")).one()
    page, _ = get_page(admin, url, headers=EN)
    assert "a text message was queued for 1 family" in text_of(page)


def test_a_preview_gone_stale_is_shown_again_with_a_message_and_closes_nothing(app):
    site = create_site()
    day, _families, _free = _booked_day(site)
    admin = _signed_in(app, Role.ADMIN, "admin")
    url = f"/staff/sampling/sites/{site.id}/closures"
    typed = {"starts_on": day.isoformat(), "ends_on": "", "reason": "设备检修"}
    preview = post_form(admin, url, {**typed, "action": "preview"}, headers=EN)
    old_fingerprint = fingerprint_of(preview.get_data(as_text=True))
    late = _book(slot_at(site, day, 3), "091", phone="+8613800138009", name="赵敏")  # booked meanwhile

    stale = post_form(admin, url, {**typed, "action": "confirm", "fingerprint": old_fingerprint}, headers=EN)

    assert stale.status_code == 200
    page = text_of(stale)
    assert "changed since you looked" in page and "Nothing was closed" in page
    assert late.item.reference in page and "赵敏" in page and "设备检修" in page
    assert _closures() == [] and _closure_sms() == []
    # Confirming the preview shown now works.
    again = post_form(admin, url, {**typed, "action": "confirm", "fingerprint": fingerprint_of(stale.get_data(as_text=True))},
                      headers=EN)
    assert again.status_code == 303
    assert len(_closure_sms()) == 2


def test_site_staff_propose_nothing_closes_then_an_admin_confirms_and_the_day_closes(app):
    site = create_site()
    day, (two, _no_phone), _free = _booked_day(site)
    desk = _signed_in(app, Role.SITE_STAFF, "desk", site)
    url = f"/staff/sampling/sites/{site.id}/closures/propose"

    # A proposal needs a reason; what was typed is kept.
    refused = post_form(desk, url, {"starts_on": day.isoformat(), "reason": "", "action": "preview"}, headers=EN)
    assert refused.status_code == 200 and "Enter why the site must close" in text_of(refused)
    assert f'value="{day.isoformat()}"' in refused.get_data(as_text=True)

    preview = post_form(desk, url, {"starts_on": day.isoformat(), "reason": "人员培训", "action": "preview"}, headers=EN)
    assert two.item.reference in text_of(preview)
    proposed = post_form(desk, url, {"starts_on": day.isoformat(), "ends_on": "", "reason": "人员培训", "action": "propose"},
                         headers=EN)
    assert proposed.status_code == 303
    proposal = _closures()[0]
    assert proposal.status == ClosureStatus.PROPOSED and proposal.proposed_by_id is not None
    assert closed_days(site, day, day) == set() and _closure_sms() == []

    admin = _signed_in(app, Role.ADMIN, "admin")
    sites_page, _ = get_page(admin, "/staff/sampling/sites", headers=EN)
    decide_url = f"/staff/sampling/sites/{site.id}/closures/{proposal.id}/decide"
    assert "1 proposed closure waits for your decision" in text_of(sites_page)
    assert decide_url in sites_page.get_data(as_text=True)
    decide_page, _ = get_page(admin, decide_url, headers=EN)
    assert two.item.reference in text_of(decide_page) and "人员培训" in text_of(decide_page) and "desk" in text_of(decide_page)

    confirmed = admin.post(decide_url, data={"csrf_token": csrf_token(decide_page.get_data(as_text=True)),
                                             "fingerprint": fingerprint_of(decide_page.get_data(as_text=True)),
                                             "action": "confirm"}, headers=EN)

    assert confirmed.status_code == 303
    closure = _closures()[0]
    assert closure.status == ClosureStatus.CONFIRMED and closure.decided_by_id is not None
    assert closed_days(site, day, day) == {day}
    assert [message.item_id for message in _closure_sms()] == [two.item_id]
    assert "proposed closure" not in text_of(get_page(admin, "/staff/sampling/sites", headers=EN)[0])


def test_an_admin_rejects_a_proposal_and_the_site_stays_open(app):
    site = create_site()
    day, _families, _free = _booked_day(site)
    desk = _signed_in(app, Role.SITE_STAFF, "desk", site)
    post_form(desk, f"/staff/sampling/sites/{site.id}/closures/propose",
              {"starts_on": day.isoformat(), "reason": "人员培训", "action": "propose"})
    proposal = _closures()[0]
    admin = _signed_in(app, Role.ADMIN, "admin")

    rejected = post_form(admin, f"/staff/sampling/sites/{site.id}/closures/{proposal.id}/decide", {"action": "reject"})

    assert rejected.status_code == 303
    assert _closures()[0].status == ClosureStatus.REJECTED
    assert closed_days(site, day, day) == set() and _closure_sms() == []
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "closure_rejected")).one()


def test_site_staff_cannot_confirm_a_proposal_nor_close_days_themselves(app):
    site = create_site()
    day, _families, _free = _booked_day(site)
    desk = _signed_in(app, Role.SITE_STAFF, "desk", site)
    propose_page = desk.get(f"/staff/sampling/sites/{site.id}/closures/propose").get_data(as_text=True)
    post_form(desk, f"/staff/sampling/sites/{site.id}/closures/propose",
              {"starts_on": day.isoformat(), "reason": "人员培训", "action": "propose"})
    proposal = _closures()[0]
    form = {"csrf_token": csrf_token(propose_page), "fingerprint": "", "action": "confirm",
            "starts_on": day.isoformat(), "reason": "人员培训"}

    assert desk.get(f"/staff/sampling/sites/{site.id}/closures/{proposal.id}/decide").status_code == 403
    assert desk.post(f"/staff/sampling/sites/{site.id}/closures/{proposal.id}/decide", data=form).status_code == 403
    assert desk.post(f"/staff/sampling/sites/{site.id}/closures", data=form).status_code == 403
    # Even with a valid fingerprint, the propose page only proposes.
    desk.post(f"/staff/sampling/sites/{site.id}/closures/propose", data=form)
    assert all(closure.status == ClosureStatus.PROPOSED for closure in _closures())
    assert closed_days(site, day, day) == set() and _closure_sms() == []


def test_a_supervisor_can_neither_propose_nor_confirm_a_closure(app):
    site = create_site()
    day, _families, _free = _booked_day(site)
    desk = _signed_in(app, Role.SITE_STAFF, "desk", site)
    post_form(desk, f"/staff/sampling/sites/{site.id}/closures/propose",
              {"starts_on": day.isoformat(), "reason": "人员培训", "action": "propose"})
    proposal = _closures()[0]
    supervisor = _signed_in(app, Role.SUPERVISOR, "supervisor")
    form = {"starts_on": day.isoformat(), "reason": "人员培训", "action": "confirm"}

    for url in (f"/staff/sampling/sites/{site.id}/closures/propose", f"/staff/sampling/sites/{site.id}/closures",
                f"/staff/sampling/sites/{site.id}/closures/{proposal.id}/decide"):
        assert supervisor.get(url).status_code == 403, url
        assert supervisor.post(url, data=form).status_code in (400, 403), url  # no CSRF token: refused either way
    assert [closure.status for closure in _closures()] == [ClosureStatus.PROPOSED]
    assert closed_days(site, day, day) == set()


def test_site_staff_of_another_site_cannot_propose_a_closure_of_it(app):
    site = create_site()
    other = create_site(name="启东市公安局")
    day, _families, _free = _booked_day(site)
    desk = _signed_in(app, Role.SITE_STAFF, "desk", other)
    own_page = desk.get(f"/staff/sampling/sites/{other.id}/closures/propose")
    assert own_page.status_code == 200

    assert desk.get(f"/staff/sampling/sites/{site.id}/closures/propose").status_code == 404
    refused = desk.post(f"/staff/sampling/sites/{site.id}/closures/propose",
                        data={"csrf_token": csrf_token(own_page.get_data(as_text=True)),
                              "starts_on": day.isoformat(), "reason": "人员培训", "action": "propose"})
    assert refused.status_code == 404
    assert _closures() == []


def test_the_day_list_of_a_closed_day_shows_the_closure_and_what_each_family_was_told(app):
    site = create_site()
    day, (two, no_phone), _free = _booked_day(site)
    admin = _signed_in(app, Role.ADMIN, "admin")
    assert preview_then_confirm(admin, f"/staff/sampling/sites/{site.id}/closures",
                                {"starts_on": day.isoformat(), "ends_on": "", "reason": "设备检修"}).status_code == 303
    desk = _signed_in(app, Role.SITE_STAFF, "desk", site)

    response, _ = get_page(desk, f"/staff/sampling/sites/{site.id}/day?day={day.isoformat()}", headers=ZH)

    page = text_of(response)
    assert "停开：设备检修。" in page
    assert "已安排短信通知停开日期已预约的1个家庭" in page and "当天有2个预约还没有改期" in page
    assert "已安排通知停开：短信等待发送" in page  # the booking with a mobile number: queued
    assert "未通知：没有手机号码" in page  # the one without
    # Once the worker sent it, the list says so.
    message = _closure_sms()[0]
    message.status = OutboundStatus.SENT
    db.session.commit()
    assert "已短信通知停开，尚未改期" in text_of(get_page(desk, f"/staff/sampling/sites/{site.id}/day?day={day.isoformat()}",
                                                       headers=ZH)[0])
    # An open day has no notice; the site staff see how to propose a closure.
    open_day, _ = get_page(desk, f"/staff/sampling/sites/{site.id}/day?day={(day + timedelta(days=1)).isoformat()}",
                           headers=EN)
    assert "Closed" not in text_of(open_day) and "Propose closing this site" in text_of(open_day)


def test_a_proposal_whose_bookings_changed_is_shown_again_to_the_admin_and_stays_proposed(app):
    site = create_site()
    day, _families, _free = _booked_day(site)
    desk = _signed_in(app, Role.SITE_STAFF, "desk", site)
    post_form(desk, f"/staff/sampling/sites/{site.id}/closures/propose",
              {"starts_on": day.isoformat(), "reason": "人员培训", "action": "propose"})
    proposal = _closures()[0]
    admin = _signed_in(app, Role.ADMIN, "admin")
    url = f"/staff/sampling/sites/{site.id}/closures/{proposal.id}/decide"
    page, _ = get_page(admin, url, headers=EN)
    late = _book(slot_at(site, day, 3), "091", phone="+8613800138009", name="赵敏")

    stale = admin.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "action": "confirm",
                                  "fingerprint": fingerprint_of(page.get_data(as_text=True))}, headers=EN)

    assert stale.status_code == 200
    assert "changed since you looked" in text_of(stale) and late.item.reference in text_of(stale)
    assert _closures()[0].status == ClosureStatus.PROPOSED and _closure_sms() == []


def test_the_booking_page_of_a_closed_day_says_so_and_whether_the_familys_closure_sms_went(app):
    site = create_site()
    day, (two, no_phone), free = _booked_day(site)
    later = _book(free, "091", name="张伟")
    admin = _signed_in(app, Role.ADMIN, "admin")
    assert preview_then_confirm(admin, f"/staff/sampling/sites/{site.id}/closures",
                                {"starts_on": day.isoformat(), "ends_on": "", "reason": "设备检修"}).status_code == 303
    desk = _signed_in(app, Role.SITE_STAFF, "desk", site)

    def booking_page(appointment: Appointment, headers: dict) -> str:
        return text_of(get_page(desk, f"/staff/sampling/appointments/{appointment.item.reference}", headers=headers)[0])

    page = booking_page(two, EN)
    assert "The site is closed on this booking's day: 设备检修." in page
    assert "Closure text message: told of the closure: text message waiting to be sent." in page
    assert "Check-in opens" not in page  # the site is closed that day: check-in never opens
    assert "not told: no mobile number; call or tell the family" in booking_page(no_phone, EN)
    message = _closure_sms()[0]
    message.status = OutboundStatus.SENT
    db.session.commit()
    assert "已短信通知停开，尚未改期" in booking_page(two, ZH)
    # A booking on an open day has no notice.
    assert "closed on this booking's day" not in booking_page(later, EN)
