"""The family is told once that the visit is done: when every attendee's sample is recorded, or
when the desk closes the visit with someone not sampled (portal.sampling.visits), naming whose
sample was not taken by their place in the booking and relationship, never their name."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import Appointment, AuditEvent, IntakeItem, ItemNote, OutboundMessage
from portal.core.sms.segments import MAX_NOTICE_SEGMENTS, fits_segments
from portal.sampling.booking import book_appointment
from portal.sampling.notices import (
    CHECKED_IN_PURPOSE,
    SAMPLED_AFTER_ALL_PURPOSE,
    VISIT_CLOSED_PURPOSE,
    person_words,
    sampled_after_all_text,
    visit_closed_text,
)
from portal.sampling.visits import VisitAlreadyDone, close_visit
from tests.support.factories import create_site
from tests.support.helpers import csrf_token, get_page
from tests.support.sampling import resident_id
from tests.support.staff import browser
from tests.support.tubes import EN, ZH, box_value, checked_in_family, desk_staff, page_text, save_tubes, signed_in, today_slot


def _messages(appointment: Appointment) -> list[OutboundMessage]:
    return list(db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.item_id == appointment.item_id,
        OutboundMessage.purpose.in_([CHECKED_IN_PURPOSE, VISIT_CLOSED_PURPOSE])).order_by(OutboundMessage.id)))


def _close(client, appointment: Appointment, reasons: dict[int, tuple[str, str]], headers: dict | None = None):  # type: ignore[no-untyped-def]
    reference = appointment.item.reference
    page, _ = get_page(client, f"/staff/sampling/appointments/{reference}", headers=headers or {})
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    for attendee_id, (reason, note) in reasons.items():
        data[f"reason-{attendee_id}"] = reason
        data[f"note-{attendee_id}"] = note
    return client.post(f"/staff/sampling/appointments/{reference}/close-visit", data=data, headers=headers or {})


def test_the_sample_taken_sms_waits_until_every_attendee_is_sampled_and_is_sent_once(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2)
    desk = signed_in(browser(app), "desk")

    assert save_tubes(desk, family, ["NT-1", ""]).status_code == 303
    assert _messages(family) == []  # one of two tubes: the visit is not done
    assert save_tubes(desk, family, ["", "NT-2"]).status_code == 303
    sent = _messages(family)
    assert [m.purpose for m in sent] == [CHECKED_IN_PURPOSE]
    assert family.item.reference in sent[0].body and "王秀英" not in sent[0].body
    assert db.session.get(Appointment, family.id).visit_done_at is not None

    # A re-save (a page opened before, posted again) sends nothing more.
    save_tubes(desk, family, ["NT-1", "NT-2"])
    assert len(_messages(family)) == 1


def test_closing_a_visit_with_one_attendee_absent_sends_one_sms_naming_that_person_and_closes_the_item(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2)
    first, second = family.attendees
    desk = signed_in(browser(app), "desk")
    assert save_tubes(desk, family, ["NT-1", ""]).status_code == 303

    closed = _close(desk, family, {second.id: ("did_not_come", "去外地打工了")}, headers=EN)
    assert closed.status_code == 303
    shown = page_text(desk.get(closed.headers["Location"], headers=EN))
    assert "Visit closed. The family is told by text message that 1 person's sample was not taken." in shown
    assert "Did not come" in shown and "去外地打工了" in shown

    sent = _messages(family)
    assert [m.purpose for m in sent] == [VISIT_CLOSED_PURPOSE]
    # The family booked in Chinese: the second person, a parent, is named by place and relationship.
    assert "第2位（父母）未采血" in sent[0].body and family.item.reference in sent[0].body
    assert "李建国" not in sent[0].body and "王秀英" not in sent[0].body
    db.session.expire_all()
    stored = db.session.get(Appointment, family.id)
    assert stored.visit_done_at is not None
    assert (stored.attendees[1].not_sampled_reason, stored.attendees[1].not_sampled_note) == ("did_not_come", "去外地打工了")
    assert stored.attendees[0].not_sampled_reason is None
    assert db.session.get(IntakeItem, family.item_id).status == "closed"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.item_id == family.item_id,
                                                        AuditEvent.action == "visit_closed")).one()
    assert event.actor_id is not None and event.changes["numbers"] == {"not_sampled": 1}
    assert "去外地打工了" not in str(event.changes) and "not_sampled_reason" in event.fields

    # A second close (another desk, an old page) is refused and sends nothing.
    again = _close(desk, family, {second.id: ("did_not_come", "")}, headers=EN)
    assert again.status_code == 200 and "This visit is already closed" in page_text(again)
    assert len(_messages(family)) == 1
    assert 'action="/staff/sampling/appointments/' + family.item.reference + '/close-visit"' not in \
        desk.get(f"/staff/sampling/appointments/{family.item.reference}").get_data(as_text=True)


def test_closing_needs_a_reason_for_each_person_not_sampled_and_a_note_for_another_reason(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2)
    first, second = family.attendees
    desk = signed_in(browser(app), "desk")

    refused = _close(desk, family, {first.id: ("", ""), second.id: ("other", "")}, headers=ZH)
    assert refused.status_code == 200
    text = page_text(refused)
    assert "请选择王秀英未采血的原因" in text and "请在备注中说明李建国未采血的原因" in text
    assert _messages(family) == [] and db.session.get(Appointment, family.id).visit_done_at is None


def test_a_visit_where_nobody_gave_a_sample_says_so_and_brought_belongings_count_as_not_sampled(app):
    site = create_site()
    family = checked_in_family(today_slot(site), people=2)
    first, second = family.attendees
    close_visit(family, {first.id: ("belongings", None), second.id: ("did_not_come", None)}, actor_id=None)
    db.session.commit()
    body = _messages(family)[0].body
    assert "已收到第1位（父母）的随身物品" in body and "第2位（父母）未采血" in body
    try:
        close_visit(family, {first.id: ("belongings", None), second.id: ("did_not_come", None)}, actor_id=None)
    except VisitAlreadyDone:
        db.session.rollback()
    else:
        raise AssertionError("a second close must be refused")
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)
                             .where(OutboundMessage.purpose == VISIT_CLOSED_PURPOSE)) == 1


def test_the_visit_closed_sms_fits_three_segments_with_four_people_and_a_long_site_name_in_both_languages(app):
    with app.test_request_context():
        for language in ("zh", "en"):
            people = [person_words(n, relationship, language)
                      for n, relationship in enumerate(["parent", "relative", "seeking_birth_family", "x"], start=1)]
            text = visit_closed_text("TY-7K3M-9Q2P", "江苏省南通市公安局通州分局刑事科学技术室采血点" * 2, people, True, [],
                                     language)
            assert fits_segments(text, MAX_NOTICE_SEGMENTS), (language, text)
            assert "TY-7K3M-9Q2P" in text and all(words in text for words in people)


def test_a_visit_cannot_be_closed_before_check_in(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site)
    site.minimum_notice_minutes = 0
    booked = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name="王秀英", applicant_phone="+8613800138000",
        attendees=[("王秀英", "parent", resident_id(serial="501"), None)], consent=True, language="zh")
    db.session.commit()
    desk = signed_in(browser(app), "desk")
    page, _ = get_page(desk, f"/staff/sampling/appointments/{booked.item.reference}", headers=EN)
    assert "/close-visit" not in page.get_data(as_text=True)
    refused = _close(desk, booked, {booked.attendees[0].id: ("did_not_come", "")}, headers=EN)
    assert refused.status_code == 200 and "Check the family in before closing the visit." in page_text(refused)
    assert _messages(booked) == [] and db.session.get(Appointment, booked.id).visit_done_at is None


def _correct(client, appointment: Appointment, attendee_id: int, tube: str, reason: str,  # type: ignore[no-untyped-def]
             headers: dict | None = None):
    reference = appointment.item.reference
    page, _ = get_page(client, f"/staff/sampling/appointments/{reference}", headers=headers or {})
    return client.post(f"/staff/sampling/appointments/{reference}/tube-correction", headers=headers or {}, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "attendee": str(attendee_id), "tube_number": tube,
        "reason": reason})


def test_a_tube_from_a_stale_page_for_someone_the_closed_visit_reported_not_sampled_is_refused(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2)
    first, second = family.attendees
    desk = signed_in(browser(app), "desk")
    reference = family.item.reference
    save_tubes(desk, family, ["NT-1", ""])
    stale, _ = get_page(desk, f"/staff/sampling/appointments/{reference}")
    assert _close(desk, family, {second.id: ("did_not_come", "晚点来")}).status_code == 303
    # The current page offers no box for them, only the correction form.
    current = desk.get(f"/staff/sampling/appointments/{reference}", headers=EN)
    assert box_value(current, second.id) is None and "not sampled (Did not come)" in page_text(current)
    assert "who gave a sample after all, type its tube number: the family is told." in page_text(current)

    for headers, message in ((EN, "This visit is closed and this person was reported as not sampled"),
                             (ZH, "此次采血已结束，该人员已登记为未采血")):
        refused = desk.post(f"/staff/sampling/appointments/{reference}/samples", headers=headers, data={
            "csrf_token": csrf_token(stale.get_data(as_text=True)), f"tube-{second.id}": "NT-2"})
        assert refused.status_code == 200
        assert message in page_text(refused) and box_value(refused, second.id) == "NT-2"
    db.session.expire_all()
    kept = db.session.get(Appointment, family.id).attendees[1]
    assert (kept.sample_tube_number, kept.not_sampled_reason, kept.not_sampled_note) == (None, "did_not_come", "晚点来")
    assert [m.purpose for m in _messages(family)] == [VISIT_CLOSED_PURPOSE]


def test_the_correction_form_records_a_late_sample_after_the_close_and_tells_the_family_once(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2)
    first, second = family.attendees
    desk = signed_in(browser(app), "desk")
    save_tubes(desk, family, ["NT-1", ""])
    assert _close(desk, family, {second.id: ("did_not_come", "晚点来")}).status_code == 303

    empty = _correct(desk, family, second.id, "", "来晚了", headers=EN)
    assert empty.status_code == 200 and "Type the tube number of the sample taken." in page_text(empty)
    no_reason = _correct(desk, family, second.id, "NT-2", "", headers=EN)
    assert no_reason.status_code == 200 and "Enter why you are correcting the tube number" in page_text(no_reason)

    recorded = _correct(desk, family, second.id, "NT-2", "来晚了，已补采", headers=EN)
    assert recorded.status_code == 303
    assert "The family is told by text message that it was taken after all." in page_text(
        desk.get(recorded.headers["Location"], headers=EN))
    db.session.expire_all()
    late = db.session.get(Appointment, family.id).attendees[1]
    assert (late.sample_tube_number, late.not_sampled_reason, late.not_sampled_note) == ("NT2", None, None)
    assert late.sample_taken_at is not None
    sent = list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.item_id == family.item_id)
                                   .order_by(OutboundMessage.id)))
    assert [m.purpose for m in sent][-2:] == [VISIT_CLOSED_PURPOSE, SAMPLED_AFTER_ALL_PURPOSE]
    assert family.item.reference in sent[-1].body and "第2位（父母）" in sent[-1].body
    assert "李建国" not in sent[-1].body and fits_segments(sent[-1].body, 2)
    note = db.session.scalars(select(ItemNote).where(ItemNote.item_id == family.item_id)).one()
    assert "NT2" in note.body and "来晚了，已补采" in note.body and "Did not come" in note.body
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.item_id == family.item_id,
                                                       AuditEvent.action == "sample_recorded_after_close")).one()

    # Later: an ordinary correction, a re-save, a second close. None sends anything more.
    assert _correct(desk, family, second.id, "NT-3", "标签贴错").status_code == 303
    save_tubes(desk, family, ["NT-1", "NT-3"])
    assert _close(desk, family, {second.id: ("did_not_come", "")}).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.item_id == family.item_id, OutboundMessage.purpose == SAMPLED_AFTER_ALL_PURPOSE)) == 1


def test_the_sampled_after_all_sms_fits_two_segments_in_both_languages(app):
    with app.test_request_context():
        for language in ("zh", "en"):
            person = person_words(4, "seeking_birth_family", language)
            text = sampled_after_all_text("TY-7K3M-9Q2P", person, language)
            assert fits_segments(text, 2) and "TY-7K3M-9Q2P" in text and person in text


def test_brought_belongings_are_said_received_for_testing_with_no_rebooking_prompt(app):
    site = create_site()
    family = checked_in_family(today_slot(site), people=1)
    close_visit(family, {family.attendees[0].id: ("belongings", None)}, actor_id=None)
    db.session.commit()
    body = _messages(family)[0].body
    assert "已收到第1位（父母）的随身物品，将用于检测" in body
    assert "未采血" not in body and "预约" not in body


def test_the_desk_is_told_truly_what_the_family_is_told_when_belongings_were_brought(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site)
    alone = checked_in_family(slot, people=1)
    mixed = checked_in_family(slot, people=2, serial=2)
    desk = signed_in(browser(app), "desk")
    closed = _close(desk, alone, {alone.attendees[0].id: ("belongings", "")}, headers=EN)
    assert "told by text message that 1 person's belongings were received for testing." in page_text(
        desk.get(closed.headers["Location"], headers=EN))
    closed = _close(desk, mixed, {mixed.attendees[0].id: ("belongings", ""), mixed.attendees[1].id: ("declined", "")},
                    headers=ZH)
    shown = page_text(desk.get(closed.headers["Location"], headers=ZH))
    assert "本次采血已结束。已发短信告知这家人哪些人的随身物品已收到用于检测、哪些人未采血。" in shown


def test_a_family_with_belongings_and_someone_absent_names_each_for_what_happened(app):
    site = create_site()
    family = checked_in_family(today_slot(site), people=3)
    first, second, third = family.attendees
    close_visit(family, {first.id: ("belongings", None), second.id: ("did_not_come", None),
                         third.id: ("belongings", None)}, actor_id=None)
    db.session.commit()
    body = _messages(family)[0].body
    assert "已收到第1位（父母）、第3位（父母）的随身物品" in body and "第2位（父母）未采血" in body
    assert "重新预约" in body
    with app.test_request_context():
        english = visit_closed_text("TY-7K3M-9Q2P", "Nantong", [person_words(2, "parent", "en")], False,
                                    [person_words(1, "parent", "en")], "en")
    assert "belongings of person 1 (parent) received for testing; no sample from person 2 (parent)." in english
    assert "book again" in english


def test_the_belongings_sms_fits_three_segments_with_four_people_and_a_long_site_name_in_both_languages(app):
    with app.test_request_context():
        for language in ("zh", "en"):
            people = [person_words(n, relationship, language)
                      for n, relationship in enumerate(["parent", "relative", "seeking_birth_family", "x"], start=1)]
            for absent, belongings in ((people[:2], people[2:]), ([], people)):
                text = visit_closed_text("TY-7K3M-9Q2P", "江苏省南通市公安局通州分局刑事科学技术室采血点" * 2, absent,
                                         False, belongings, language)
                assert fits_segments(text, MAX_NOTICE_SEGMENTS), (language, text)
                assert "TY-7K3M-9Q2P" in text and all(words in text for words in people)
