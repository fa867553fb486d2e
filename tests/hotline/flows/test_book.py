"""Booking free blood sampling by SMS: complete conversations through signed webhook requests, in
both languages, and every refusal of the web's booking rules answered by SMS."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text, update

from portal.core.extensions import db
from portal.core.i18n import format_day, format_local_datetime
from portal.core.models import ApplicantRole, Appointment, Channel, InboundMessage, IntakeItem, OutboundMessage, SamplingSite, SiteClosure, Slot, SmsConversation, utcnow
from portal.demo.commands import DEMO_SITES_CSV
from portal.sampling.booking import (
    AlreadyBooked,
    BookingError,
    NotChangeable,
    PartyTooLarge,
    RepeatedIdentityNumber,
    SiteClosed,
    SlotFull,
    SlotInPast,
    SlotNotFound,
    TooManyBookingsForPhone,
    UnderAge,
    book_appointment,
)
from portal.sampling import notices
from portal.sampling.notices import CONFIRMATION_PURPOSE, REMINDER_PURPOSE
from portal.sampling.slots import available_days, local_day, open_slots
from portal.hotline import replies
from portal.hotline.flows.book import NAME_PLACEHOLDER, page_of, refusal_note
from portal.hotline.incoming import ID_NUMBER_PLACEHOLDER as ID_PLACEHOLDER
from portal.core.sms.segments import MAX_NOTICE_SEGMENTS, fits_two_segments, segments
from tests.support.database import empty_all_tables
from tests.support.factories import create_site
from tests.support.sampling import book_on_web, person, reopen_if_day_off, resident_id
from tests.support.sms import SENDER
from tests.support.sms import send as say
from tests.support.staff import control_clock

OTHER_PHONE = "+8613900139000"
ID_NUMBER = resident_id("19800101", "001")
ID_ENDING_IN_X = resident_id("19800101", "018")
LONGEST_SITE = "启东市公安局汇龙镇中心派出所"  # the longest name in the real Nantong list


def number_of(reply: str, label: str) -> str:
    """The number a list reply gives `label` ("3 如皋市公安局" → "3")."""
    found = re.search(rf"^(\d+) {re.escape(label)}$", reply, re.MULTILINE)
    assert found, f"{label!r} is not offered in {reply!r}"
    return found.group(1)


def numbers_in(reply: str) -> list[int]:
    return [int(n) for n in re.findall(r"^(\d+) ", reply, re.MULTILINE)]


def site_named(name: str) -> SamplingSite:
    return db.session.scalars(select(SamplingSite).where(SamplingSite.name == name)).one()


def walk_to_confirm(client, *, language: str = "zh", site: str = LONGEST_SITE, day: str = "3",
                    time: str = "1", id_number: str = ID_NUMBER, sender: str = SENDER,
                    name: str = "王秀英") -> str:
    """Answer every question up to the last one; returns the confirm question."""
    keyword, assert_words, one_person = (("预约", "谁在预约", "每次为一人预约") if language == "zh"
                                         else ("book", "Who is booking?", "for one person"))
    first = say(client, keyword, sender)
    assert assert_words in first and one_person in first  # an SMS booking is for one person
    sites = say(client, "1", sender)
    days = say(client, number_of(sites, site), sender)
    assert numbers_in(days)[:1] == [1], days
    say(client, day, sender)  # the times of that day
    asked_name = say(client, time, sender)
    assert site in asked_name
    say(client, name, sender)
    return say(client, id_number, sender)


def chosen_slot() -> Slot:
    conversation = db.session.scalars(select(SmsConversation)).one()
    return db.session.get(Slot, json.loads(conversation.data)["slot_id"])


def appointments() -> list[Appointment]:
    db.session.rollback()
    return list(db.session.scalars(select(Appointment)))


# Complete bookings -------------------------------------------------------------------------------


def test_a_chinese_sms_booking_ends_with_a_reference_and_books_the_slot(client, demo_sites):
    confirm = walk_to_confirm(client)
    assert "启东市公安局汇龙镇中心派出所" in confirm and "尾号" + ID_NUMBER[-4:] in confirm
    assert "血样只用于查找失踪人员身份" in confirm and "同意并预约请回复1" in confirm
    assert ID_NUMBER not in confirm and "王秀英" not in confirm
    slot = chosen_slot()

    booked = say(client, "1")

    appointment = appointments()[0]
    reference = appointment.item.reference
    assert booked.startswith(f"受理编号{reference}")
    assert "启东市公安局汇龙镇中心派出所" in booked and "星期" in booked
    assert appointment.item.channel == Channel.SMS.value
    assert appointment.slot_id == slot.id and appointment.party_size == 1
    assert appointment.applicant_phone == SENDER and appointment.language == "zh"
    assert appointment.applicant_role == ApplicantRole.PARENT.value
    assert appointment.applicant_name == "王秀英"
    assert [(a.name, a.id_number, a.is_applicant) for a in appointment.attendees] == [("王秀英", ID_NUMBER, True)]
    assert db.session.get(Slot, slot.id).booked == 1
    assert db.session.scalar(select(func.count()).select_from(SmsConversation)) == 0


def test_the_reply_is_the_confirmation_and_the_reminder_is_still_queued(client, demo_sites):
    walk_to_confirm(client)
    booked = say(client, "1")
    appointment = appointments()[0]
    queued = {m.purpose: m for m in db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.purpose != "hotline_reply"))}
    # Not the same confirmation twice: the reply is it, recorded against the booking.
    assert CONFIRMATION_PURPOSE not in queued
    assert queued[REMINDER_PURPOSE].to_phone == SENDER
    reply = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "hotline_reply")
                               .order_by(OutboundMessage.id.desc())).first()
    assert reply.body == booked and reply.item_id == appointment.item_id


def test_the_name_and_identity_number_are_never_stored_in_plain_text_by_the_hotline(client, demo_sites):
    walk_to_confirm(client, id_number=ID_NUMBER)
    before_booking = db.session.scalars(select(InboundMessage.body).order_by(InboundMessage.id)).all()
    assert NAME_PLACEHOLDER in before_booking and ID_PLACEHOLDER in before_booking
    raw = db.session.execute(text("SELECT data FROM sms_conversation")).scalar_one()
    assert ID_NUMBER not in raw and "王秀英" not in raw
    say(client, "1")
    for body in db.session.scalars(select(InboundMessage.body)):
        assert ID_NUMBER not in body and "王秀英" not in body
    for body in db.session.scalars(select(OutboundMessage.body)):
        assert ID_NUMBER not in body and "王秀英" not in body
    raw_attendee = db.session.execute(text("SELECT id_number, name FROM attendee")).one()
    assert ID_NUMBER not in raw_attendee[0] and "王秀英" not in raw_attendee[1]


def test_the_conversation_s_messages_become_part_of_the_booking(client, demo_sites):
    walk_to_confirm(client)
    say(client, "1")
    item_id = appointments()[0].item_id
    attached = db.session.scalars(select(InboundMessage.body).where(InboundMessage.item_id == item_id)
                                  .order_by(InboundMessage.id)).all()
    assert attached[-3:] == [NAME_PLACEHOLDER, ID_PLACEHOLDER, "1"]


def test_an_english_sms_booking_stays_in_english_through_a_chinese_name_and_an_x_in_the_number(client, demo_sites):
    confirm = walk_to_confirm(client, language="en", id_number=ID_ENDING_IN_X.lower(), name="王秀英")
    assert confirm.startswith("Check:") and "ending " + ID_ENDING_IN_X[-4:] in confirm
    assert "used only to identify missing people" in confirm and "Reply 1 to agree and book" in confirm
    assert fits_two_segments(confirm)

    booked = say(client, "1")

    appointment = appointments()[0]
    assert booked.startswith(f"Reference {appointment.item.reference}.")
    # The booking's confirmation is a booking notice: three segments (docs/writing.md#how-long-an-sms-may-be).
    assert LONGEST_SITE in booked and segments(booked) <= MAX_NOTICE_SEGMENTS
    assert "for you only" in booked and "To book for another person, send BOOK again." in booked
    assert appointment.language == "en" and appointment.attendees[0].id_number == ID_ENDING_IN_X


def test_a_booking_can_start_from_the_menu(client, demo_sites):
    assert "1 report a lead" in say(client, "hello")
    assert "Who is booking?" in say(client, "2")
    sites = say(client, "3")
    days = say(client, number_of(sites, "南通市公安局"))
    assert "Choose a day" in days
    times = say(client, "３")  # full-width digits are numbers too
    assert "Times on" in times
    say(client, "1")
    say(client, "Wang Xiuying")
    say(client, ID_NUMBER)
    booked = say(client, "1")

    appointment = appointments()[0]
    assert booked.startswith(f"Reference {appointment.item.reference}")
    assert appointment.applicant_role == ApplicantRole.SEEKING_BIRTH_FAMILY.value
    assert appointment.attendees[0].relationship_to_missing == ApplicantRole.SEEKING_BIRTH_FAMILY.value
    kept = db.session.scalars(select(IntakeItem).where(IntakeItem.kind == "sms_message")).one()
    assert db.session.scalars(select(InboundMessage.body).where(InboundMessage.item_id == kept.id)
                              .order_by(InboundMessage.id)).all() == ["hello", "2"]


def test_a_sender_without_a_mobile_number_is_told_to_book_on_the_web(client, demo_sites):
    reply = say(client, "book", sender="+15005550006")
    assert reply == replies.book_needs_mobile("en")
    assert db.session.scalar(select(func.count()).select_from(SmsConversation)) == 0


# Lists, pages and wrong answers --------------------------------------------------------------------


def test_more_shows_the_next_days_and_times_and_their_numbers_can_be_chosen(client, demo_sites):
    say(client, "预约")
    sites = say(client, "1")
    days = say(client, number_of(sites, "南通市公安局"))
    assert numbers_in(days) == [1, 2, 3, 4, 5] and "回复“更多”" in days
    later_days = say(client, "更多")
    assert numbers_in(later_days)[0] == 6 and "星期" in later_days
    times = say(client, "6")
    first_page = numbers_in(times)
    assert first_page[0] == 1 and "回复“更多”" in times
    second = say(client, "more")
    assert numbers_in(second)[0] == first_page[-1] + 1
    wanted_label = re.search(rf"^{first_page[-1] + 1} (.+)$", second, re.MULTILINE).group(1)
    asked_name = say(client, str(first_page[-1] + 1))
    assert wanted_label in asked_name
    for reply in (days, later_days, times, second, asked_name):
        assert fits_two_segments(reply), reply


def test_more_after_the_last_page_starts_the_list_again(client, demo_sites):
    say(client, "预约")
    sites = say(client, "1")
    say(client, number_of(sites, "南通市公安局"))
    say(client, "1")  # the first day
    pages = [say(client, "更多") for _ in range(6)]
    assert any(numbers_in(page)[0] == 1 for page in pages)


def test_many_sites_are_paged_by_length_and_every_page_fits_two_segments(client):
    for index in range(14):
        site = create_site(name=f"南通市公安局第{index + 1}分局城南街道派出所", city="南通市")
        open_slots(site, utcnow().date(), 14)
    long_site = create_site(name="南通市" + "很长的名字" * 39 + "分所", city="南通市")  # 200, the column's most
    open_slots(long_site, utcnow().date(), 14)
    db.session.commit()

    say(client, "预约")
    seen: list[int] = []
    pages = [say(client, "1")]
    while True:
        seen += numbers_in(pages[-1])
        if "更多" not in pages[-1]:
            break
        pages.append(say(client, "更多"))
    assert seen == list(range(1, 16)) and len(pages) > 2
    assert all(fits_two_segments(page) for page in pages), pages
    assert "…" in pages[-1]  # the one name too long for any page is shortened
    days = say(client, "15")
    assert "选择日期" in days
    say(client, "1")
    asked_name = say(client, "1")
    say(client, "王秀英")
    confirm = say(client, ID_NUMBER)
    booked = say(client, "1")
    for reply in (asked_name, confirm):
        assert "南通市很长的名字" in reply and "…" in reply and fits_two_segments(reply), reply
    assert "南通市很长的名字" in booked and "…" in booked and segments(booked) <= MAX_NOTICE_SEGMENTS, booked


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_page_of_a_list_never_exceeds_two_segments(app, language):
    labels = [LONGEST_SITE * (1 + n % 3) for n in range(40)]
    start, pages = 0, 0
    while True:
        page = page_of(labels, start, lambda p, f, m: replies.book_ask_site(
            "南通市通州区", p, f, m, replies.book_note_not_in_list(language), language))
        assert fits_two_segments(page.text)
        pages += 1
        if page.next_start == 0:
            break
        start = page.next_start
    assert pages > 5
    days = [format_day(utcnow().date() + timedelta(days=n), language) for n in range(30)]
    page = page_of(days, 0, lambda p, f, m: replies.book_ask_day(
        p, f, m, replies.book_note_day_full(language), language), cap=5)
    assert fits_two_segments(page.text) and numbers_in(page.text) == [1, 2, 3, 4, 5]


def test_wrong_answers_ask_the_same_question_again_without_losing_the_step(client, demo_sites):
    say(client, "预约")
    assert say(client, "9") == replies.book_ask_role(replies.book_note_not_in_list("zh"), "zh")
    sites = say(client, "1")
    again = say(client, "99")
    assert again.startswith("请回复下面列出的数字") and numbers_in(again) == numbers_in(sites)
    days = say(client, number_of(sites, "如皋市公安局"))
    again = say(client, "明天")
    assert again.startswith("请回复下面列出的数字") and numbers_in(again) == numbers_in(days)
    times = say(client, "0")
    assert times.startswith("请回复下面列出的数字")
    times = say(client, "2")
    assert "可预约的时间" in times
    assert "请回复您的姓名" in say(client, "1")
    assert "100个字" in say(client, "12345")  # digits are not a name
    assert "100个字" in say(client, "更多")
    say(client, "王秀英")
    confirm = say(client, ID_NUMBER)
    assert say(client, "也许") == replies.book_note_reply_1_or_2("zh") + confirm
    assert "受理编号" in say(client, "是")


def test_a_mistyped_identity_number_is_asked_again_and_not_kept_in_the_message_log(client, demo_sites):
    say(client, "预约")
    sites = say(client, "1")
    say(client, number_of(sites, "南通市公安局"))
    say(client, "3")
    say(client, "1")
    say(client, "王秀英")
    wrong_check = ID_NUMBER[:-1] + ("1" if ID_NUMBER[-1] != "1" else "2")

    assert say(client, wrong_check) == replies.book_identity_number_mistyped("zh")
    assert say(client, "身份证123456") == replies.book_identity_number_invalid("zh")
    assert say(client, "11010519800101") == replies.book_identity_number_invalid("zh")
    assert "请核对" in say(client, "  " + ID_NUMBER[:6] + " " + ID_NUMBER[6:] + " ")

    bodies = db.session.scalars(select(InboundMessage.body)).all()
    assert wrong_check not in bodies and "身份证123456" not in bodies
    assert bodies.count(ID_PLACEHOLDER) == 4


def test_a_city_can_be_chosen_by_number_or_by_name(client):
    for province, city, name in [("江苏省", "南通市", "南通市公安局"), ("四川省", "成都市", "成都市公安局"),
                                 ("四川省", "绵阳市", "绵阳市公安局")]:
        site = create_site(province=province, city=city, name=name)
        open_slots(site, utcnow().date(), 14)
    db.session.commit()
    say(client, "book")
    cities = say(client, "1")
    assert "Which city?" in cities and number_of(cities, "成都市")
    assert say(client, "广州").startswith(replies.book_note_no_such_city("zh"))
    sites = say(client, "成都")
    assert "成都市公安局" in sites and "南通市公安局" not in sites
    say(client, "book")
    say(client, "1")
    assert "绵阳市公安局" in say(client, number_of(cities, "绵阳市"))


# The web's rules, refused the same way ------------------------------------------------------------


def test_the_same_identity_number_cannot_book_twice_from_another_phone(client, demo_sites):
    walk_to_confirm(client)
    say(client, "1")
    walk_to_confirm(client, sender=OTHER_PHONE, site="如东县公安局")

    refused = say(client, "1", sender=OTHER_PHONE)

    assert refused == replies.book_refused("zh")
    assert len(appointments()) == 1
    assert db.session.scalar(select(func.count()).select_from(SmsConversation)) == 0


def test_the_same_identity_number_from_the_same_phone_is_shown_its_booking(client, demo_sites):
    walk_to_confirm(client)
    say(client, "1")
    reference = appointments()[0].item.reference
    walk_to_confirm(client, site="如东县公安局")
    again = say(client, "1")
    assert again.startswith("您已经预约过") and reference in again
    assert len(appointments()) == 1


def test_an_identity_number_booked_on_the_web_cannot_book_again_by_sms(app, client, demo_sites):
    site = site_named("南通市公安局")
    slot = db.session.scalars(select(Slot).where(Slot.site_id == site.id, Slot.starts_at > utcnow() + timedelta(days=2))
                              .order_by(Slot.starts_at)).first()
    web = app.test_client()
    assert book_on_web(web, slot, [person(id_number=ID_NUMBER, phone="139 0013 9000")]).status_code == 303
    walk_to_confirm(client)
    assert say(client, "1") == replies.book_refused("zh")
    assert [a.item.channel for a in appointments()] == ["web"]


def test_a_fourth_booking_from_one_phone_is_refused_as_on_the_web(client, demo_sites):
    slots = db.session.scalars(select(Slot).where(Slot.starts_at > utcnow() + timedelta(days=2))
                               .order_by(Slot.starts_at).limit(3)).all()
    for serial, slot in zip(("101", "102", "103"), slots):
        book_appointment(slot_id=slot.id, applicant_role=ApplicantRole.PARENT, applicant_name="王秀英",
                         applicant_phone=SENDER, attendees=[("王秀英", "parent", resident_id(serial=serial), SENDER)],
                         consent=True, language="zh")
    db.session.commit()
    walk_to_confirm(client)
    assert say(client, "1") == replies.book_refused("zh")
    assert len(appointments()) == 3


def test_refused_bookings_from_one_number_are_limited_like_the_web(app_factory):
    app = app_factory(sms_burst_per_minute=1000, ratelimit_sampling_identity_refusals="1 per hour")
    with app.app_context():
        empty_all_tables()
        site = create_site(name=LONGEST_SITE, city="启东市")
        open_slots(site, utcnow().date(), 14)
        db.session.commit()
        client = app.test_client()
        walk_to_confirm(client)
        say(client, "1")
        walk_to_confirm(client, sender=OTHER_PHONE, day="4")
        assert say(client, "1", sender=OTHER_PHONE) == replies.book_refused("zh")
        walk_to_confirm(client, sender=OTHER_PHONE, id_number=resident_id(serial="055"), day="5")
        assert say(client, "1", sender=OTHER_PHONE) == replies.book_too_many_tries("zh")
        assert len(appointments()) == 1
        db.session.remove()


def test_a_closed_day_is_not_offered(client, demo_sites):
    site = site_named("南通市公安局")
    first = available_days(site)[0]
    db.session.add(SiteClosure(site_id=site.id, starts_on=first, ends_on=first, reason="holiday"))
    db.session.commit()
    say(client, "预约")
    sites = say(client, "1")
    days = say(client, number_of(sites, "南通市公安局"))
    assert format_day(first, "zh") not in days and format_day(available_days(site)[0], "zh") in days


def test_a_closure_added_before_the_confirmation_is_refused_and_other_days_offered(client, demo_sites):
    walk_to_confirm(client, site="南通市公安局")
    slot = chosen_slot()
    day = local_day(slot.site, slot.starts_at)
    db.session.add(SiteClosure(site_id=slot.site_id, starts_on=day, ends_on=day, reason="training"))
    db.session.commit()

    refused = say(client, "1")

    assert refused.startswith(replies.book_note_site_closed("zh")) and "选择日期" in refused
    assert appointments() == []
    assert db.session.scalars(select(SmsConversation.step)).one() == "day"


def test_a_slot_filled_before_the_confirmation_offers_the_times_again_and_another_can_be_booked(client, demo_sites):
    walk_to_confirm(client, site="南通市公安局")
    slot = chosen_slot()
    db.session.execute(update(Slot).where(Slot.id == slot.id).values(booked=Slot.capacity))
    db.session.commit()

    refused = say(client, "1")

    assert refused.startswith(replies.book_note_slot_taken("zh")) and "可预约的时间" in refused
    assert fits_two_segments(refused)
    assert appointments() == []
    say(client, "1")  # the first free time of the same day
    say(client, "王秀英")
    say(client, ID_NUMBER)
    assert "受理编号" in say(client, "1")
    booked = appointments()
    assert len(booked) == 1 and booked[0].slot_id != slot.id


def test_a_time_that_became_too_soon_is_refused(client, demo_sites):
    walk_to_confirm(client, site="南通市公安局")
    slot = chosen_slot()
    soon = utcnow() + timedelta(minutes=10)
    db.session.execute(update(Slot).where(Slot.id == slot.id)
                       .values(starts_at=soon, ends_at=soon + timedelta(minutes=20)))
    db.session.commit()
    reopen_if_day_off(slot.site, local_day(slot.site, soon))  # too soon, whatever day the test runs

    refused = say(client, "1")

    assert refused.startswith(replies.book_note_too_soon("zh"))
    assert appointments() == []


def test_a_time_removed_before_the_confirmation_is_refused(client, demo_sites):
    walk_to_confirm(client, site="南通市公安局")
    slot = chosen_slot()
    db.session.execute(text("DELETE FROM slot WHERE id = :id"), {"id": slot.id})
    db.session.commit()
    refused = say(client, "1")
    assert refused.startswith(replies.book_note_time_gone("zh"))
    assert appointments() == []


def test_a_site_whose_times_hold_no_one_is_refused_and_other_sites_offered(client, demo_sites):
    walk_to_confirm(client, site="南通市公安局")
    slot = chosen_slot()
    db.session.execute(update(Slot).where(Slot.id == slot.id).values(capacity=0))
    db.session.commit()
    refused = say(client, "1")
    assert refused.startswith(replies.book_note_site_full("zh")) and "采血点，请回复数字" in refused


def test_a_person_under_14_is_told_a_parent_or_guardian_must_book(client, demo_sites):
    child = resident_id(f"{utcnow().year - 10}0101", "001")
    walk_to_confirm(client, id_number=child)
    assert say(client, "1") == replies.book_under_age("zh")
    assert appointments() == []


def test_answering_2_books_nothing(client, demo_sites):
    walk_to_confirm(client, language="en")
    assert say(client, "2") == replies.book_nothing_booked("en")
    assert appointments() == []


def test_an_expired_booking_conversation_starts_afresh(client, demo_sites, monkeypatch):
    clock = control_clock(monkeypatch)
    say(client, "预约")
    say(client, "1")
    clock.advance(minutes=31)
    assert say(client, "1") == replies.menu_after_expiry("zh")
    assert appointments() == []


@pytest.mark.parametrize(
    ("error", "note"),
    [
        (SlotFull(1), replies.book_note_slot_taken),
        (SlotInPast(1), replies.book_note_too_soon),
        (SiteClosed(1), replies.book_note_site_closed),
        (PartyTooLarge(1, 0), replies.book_note_site_full),
        (SlotNotFound(1), replies.book_note_time_gone),
        (RepeatedIdentityNumber(1), replies.book_note_time_gone),
        (NotChangeable(1), replies.book_note_time_gone),
    ],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_refusal_of_the_time_has_its_own_note(app, error, note, language):
    assert refusal_note(error, language) == note(language)


def test_every_error_of_the_booking_rules_is_answered_by_the_tests_above():
    # A new refusal in portal.sampling.booking needs its SMS answer (and a line in this list).
    answered = {SlotFull, SlotInPast, SiteClosed, PartyTooLarge, SlotNotFound, RepeatedIdentityNumber,
                NotChangeable, AlreadyBooked, TooManyBookingsForPhone, UnderAge}
    assert {kind for kind in BookingError.__subclasses__() if kind.__module__ == "portal.sampling.booking"} == answered


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_booking_reply_fits_two_segments_with_the_longest_real_values(app, language):

    with open(DEMO_SITES_CSV, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    longest = max((row["name"] for row in rows), key=len)
    assert longest == LONGEST_SITE
    city = max((row["city"] for row in rows), key=len)
    # A Wednesday in September at 11:40: the longest English weekday, month and clock time.
    when = format_local_datetime(datetime(2026, 9, 30, 3, 40, tzinfo=timezone.utc), "Asia/Shanghai", language)
    reference = "TY-7K3M-9Q2P"
    texts = [
        replies.book_ask_role(replies.book_note_not_in_list(language), language),
        replies.book_ask_name(longest, when, language),
        replies.book_ask_name_again(language),
        replies.book_ask_identity_number(language),
        replies.book_identity_number_mistyped(language),
        replies.book_identity_number_invalid(language),
        replies.book_confirm(None, when, "002X", replies.book_note_reply_1_or_2(language), language),
        replies.book_already_booked_by_you(reference, longest, when, language),
        replies.book_nothing_booked(language),
        replies.book_refused(language),
        replies.book_under_age(language),
        replies.book_too_many_tries(language),
        replies.book_needs_mobile(language),
        replies.book_no_free_times(language),
        replies.book_ask_city([city], 1, True, replies.book_note_no_such_city(language), language),
        replies.book_ask_city([city], 1, True, replies.book_note_city_full(language), language),
        replies.book_ask_site(city, [longest], 1, True, replies.book_note_site_full(language), language),
    ]
    if language == "zh":
        texts.append(replies.book_confirm(longest, when, "002X", replies.book_note_reply_1_or_2(language), language))
    for note in (replies.book_note_slot_taken, replies.book_note_too_soon, replies.book_note_time_gone):
        texts.append(replies.book_ask_time(when, [when[-7:]], 1, True, note(language), language))
    texts.append(replies.book_ask_day([when], 1, True, replies.book_note_site_closed(language), language))
    for reply in texts:
        assert fits_two_segments(reply), reply
    # The reply that confirms the booking is a booking notice: three segments.
    booked = notices.sms_booking_confirmation_text(reference, longest, city, when,
                                                   "https://tuanyuan.police.nantong.gov.cn/sampling/manage", language)
    assert segments(booked) <= MAX_NOTICE_SEGMENTS and reference in booked and when in booked, booked

