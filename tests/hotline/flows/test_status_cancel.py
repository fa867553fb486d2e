"""The SMS hotline's progress check (STATUS / 查询) and booking cancellation (CANCEL BOOKING /
取消预约), through signed webhook requests in both languages."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.i18n import format_local_datetime_without_year
from portal.core.models import Appointment, AppointmentStatus, AuditEvent, Channel, FollowUpGuard, InboundMessage, OutboundMessage, TipQuestion
from portal.sampling.booking import cancel_appointment
from portal.sampling.notices import CANCELLATION_PURPOSE
from portal.hotline import replies
from portal.core.security.crypto import lookup_hash
from portal.hotline.flows.status import STORED_BODY, sender_guard_key
from portal.hotline.keywords import read_reference_and_code
from tests.support.factories import create_site, create_slot, create_tip
from tests.support.sampling import places_taken
from tests.support.sms import SENDER, book, longest_local_time, send, status_of, when, wrong_code_reply
from tests.support.staff import control_clock

OTHER_PHONE = "+8613900139000"
# The longest site name of the real list (portal/demo/sampling-sites-nantong-2021.csv).
LONGEST_SITE = "启东市公安局汇龙镇中心派出所"
CODE_PATTERN = re.compile(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}")
PUBLIC_URL = "https://hotline.example.cn"


def booked_slot(capacity: int = 3, days: int = 0):
    site = create_site(name=LONGEST_SITE)
    slot = create_slot(site, capacity=capacity)
    if days:
        slot.starts_at = slot.starts_at + timedelta(days=days)
        slot.ends_at = slot.ends_at + timedelta(days=days)
        db.session.commit()
    return slot


def sms_tip(client, body: str, sender: str = SENDER) -> tuple[str, str]:
    """Report a tip by SMS; return (reference, follow-up code) read from the reply."""
    reply = send(client, body, sender=sender)
    reference = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", reply).group(0)
    return reference, CODE_PATTERN.search(reply).group(0)


# Reading a reference and a code --------------------------------------------------------------


@pytest.mark.parametrize(
    "text, reference, code",
    [
        ("TY-7K3M-9Q2P", "TY-7K3M-9Q2P", ""),
        ("ty7k3m9q2p", "TY-7K3M-9Q2P", ""),
        ("ＴＹ－７Ｋ３Ｍ－９Ｑ２Ｐ", "TY-7K3M-9Q2P", ""),
        ("7k3m 9q2p", "TY-7K3M-9Q2P", ""),
        ("TY-7K3M-9Q2P 7K3M-9Q2P-XH4T-R8WB", "TY-7K3M-9Q2P", "7K3M9Q2PXH4TR8WB"),
        ("受理编号TY-7K3M-9Q2P，查询码７ｋ３ｍ９ｑ２ｐｘｈ４ｔｒ８ｗｂ", "TY-7K3M-9Q2P", "7K3M9Q2PXH4TR8WB"),
        ("ref ty 7k3m 9q2p code 7k3m 9q2p xh4t r8wb", "TY-7K3M-9Q2P", "7K3M9Q2PXH4TR8WB"),
    ],
)
def test_a_reference_and_code_are_read_in_any_case_width_and_spacing(text, reference, code):
    assert read_reference_and_code(text) == (reference, code)


@pytest.mark.parametrize("text", ["", "hello", "查询进度", "TY-7K3", "1234"])
def test_text_without_a_reference_reads_as_none(text):
    assert read_reference_and_code(text) == (None, "")


def test_a_lock_of_one_minute_says_1_minute_and_longer_ones_minutes(app):
    assert "Wait 1 minute, then try again." in replies.status_locked(1, "en")
    assert "Wait 30 minutes, then try again." in replies.status_locked(30, "en")
    assert "请等待1分钟后再试" in replies.status_locked(1, "zh")
    assert "请等待30分钟后再试" in replies.status_locked(30, "zh")


# Progress of a booking -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, body, status_word",
    [("zh", "查询 {compact}", "已预约"), ("en", "status {compact}", "Booked")],
)
def test_booking_progress_from_the_phone_that_booked_it_shows_status_site_and_local_time(
    client, language, body, status_word
):
    appointment = book(booked_slot(), language=language)
    reference = appointment.item.reference

    reply = send(client, body.format(compact=reference.replace("-", "").lower()))

    assert reply == replies.booking_progress_booked(reference, LONGEST_SITE, when(appointment, language), language)
    assert status_word in reply and LONGEST_SITE in reply
    local = appointment.slot.starts_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (f"{local.month}月{local.day}日" if language == "zh" else f"{local.day} ") in reply


def test_booking_progress_of_a_booking_made_on_the_web_shows_its_cancelled_status(client):
    appointment = book(booked_slot(), channel=Channel.WEB)
    cancel_appointment(appointment, actor_kind="public")
    db.session.commit()
    reference = appointment.item.reference

    reply = send(client, f"STATUS {reference}")

    assert reply == replies.booking_progress_cancelled(reference, LONGEST_SITE, when(appointment, "en"), "en")
    assert "Cancelled" in reply


def test_booking_progress_from_another_phone_reads_exactly_like_an_unknown_reference(client):
    appointment = book(booked_slot())
    reference = appointment.item.reference
    unknown = "TY-2222-3333" if reference != "TY-2222-3333" else "TY-4444-5555"

    for_booking = send(client, f"查询 {reference}", sender=OTHER_PHONE)
    for_unknown = send(client, f"查询 {unknown}", sender=OTHER_PHONE)
    assert for_booking == replies.status_ask_code(reference, "zh")
    assert for_booking.replace(reference, "X") == for_unknown.replace(unknown, "X")

    with_code_booking = send(client, f"查询 {reference} 7K3M-9Q2P-XH4T-R8WB", sender=OTHER_PHONE)
    with_code_unknown = send(client, f"查询 {unknown} 7K3M-9Q2P-XH4T-R8WB", sender=OTHER_PHONE)
    assert with_code_booking == with_code_unknown == replies.status_not_found("zh")
    assert LONGEST_SITE not in for_booking + with_code_booking


# Progress of a tip ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, tip_body, keyword",
    [("zh", "举报 我在成都火车站看到一个小孩被成年人强迫乞讨", "查询"),
     ("en", "TIP a child begging with an adult at the bus station", "STATUS")],
)
def test_tip_progress_by_sms_with_the_reference_and_code_from_the_tip_reply(client, language, tip_body, keyword):
    reference, code = sms_tip(client, tip_body)

    reply = send(client, f"{keyword} {reference.lower()} {code.replace('-', ' ')}")

    assert reply == replies.tip_progress_received(reference, language)
    assert reference in reply and "110" in reply


def test_tip_progress_asks_for_the_reference_then_the_code_and_keeps_neither(client):
    reference, code = sms_tip(client, "举报 我在成都火车站看到一个小孩被成年人强迫乞讨")

    assert send(client, "查询") == replies.status_ask_reference("zh")
    assert send(client, f"编号{reference}") == replies.status_ask_code(reference, "zh")
    assert send(client, code.lower()) == replies.tip_progress_received(reference, "zh")

    bodies = [message.body for message in db.session.scalars(select(InboundMessage).order_by(InboundMessage.id))]
    assert bodies[-3:] == ["查询", STORED_BODY, STORED_BODY]
    stored = [message.body for message in db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))]
    assert not any(code in body for body in stored)
    assert stored[-1] == replies.tip_progress_received(replies.REDACTED_REFERENCE, "zh")
    assert not any(reference in body for body in stored[-2:])


def test_tip_with_an_unanswered_staff_question_says_where_to_answer_it_but_not_the_question(app_factory):
    app = app_factory(public_base_url=PUBLIC_URL)
    with app.app_context():
        from tests.support.database import empty_all_tables

        empty_all_tables()
        receipt = create_tip()
        db.session.add(TipQuestion(tip_id=receipt.tip.id, text="孩子大约几岁？"))
        db.session.commit()
        client = app.test_client()

        reply = send(client, f"查询 {receipt.reference} {receipt.follow_up_code}", url=f"{PUBLIC_URL}/sms/inbound")

        assert reply == replies.tip_progress_question(receipt.reference, f"{PUBLIC_URL}/tips/status", "zh")
        assert "孩子大约几岁" not in reply
        db.session.remove()


def test_wrong_codes_from_other_phones_never_lock_the_tipster_out_on_the_web_or_by_sms(client, app):
    from tests.support.helpers import post_form

    receipt = create_tip()
    limit = app.config["SETTINGS"].follow_up_max_failures
    # A stranger who knows the reference, from several phones, more often than the lock allows.
    for attempt in range(limit + 1):
        reply = send(client, f"STATUS {receipt.reference} 2222-3333-4444-5555", sender=f"+86139001390{attempt:02d}")
        assert reply == replies.status_not_found("en")

    page = post_form(client, "/tips/status", {"reference": receipt.reference, "follow_up_code": receipt.follow_up_code})
    assert page.status_code == 303

    right = send(client, f"STATUS {receipt.reference} {receipt.follow_up_code}", sender="+8613700137000")
    assert right == replies.tip_progress_received(receipt.reference, "en")


def test_wrong_codes_by_sms_lock_the_reference_for_that_phone_only(client, app):
    settings = app.config["SETTINGS"]
    receipt = create_tip()
    for _attempt in range(settings.follow_up_max_failures):
        send(client, f"STATUS {receipt.reference} 2222-3333-4444-5555")

    assert send(client, f"STATUS {receipt.reference} {receipt.follow_up_code}") == replies.status_locked(
        settings.follow_up_lock_minutes, "en")
    assert send(client, f"STATUS {receipt.reference} {receipt.follow_up_code}", sender=OTHER_PHONE) == \
        replies.tip_progress_received(receipt.reference, "en")


def test_one_phone_trying_many_references_is_locked_out_of_progress_checks(client, app):
    settings = app.config["SETTINGS"]
    receipt = create_tip()
    references = [f"TY-{n}{n}{n}{n}-2345" for n in "23456789ABCDEFG"[: settings.follow_up_max_failures]]

    replies_seen = [send(client, f"查询 {reference} 2222-3333-4444-5555") for reference in references]

    assert replies_seen[:-1] == [wrong_code_reply(used, settings, "zh") for used in range(1, settings.follow_up_max_failures)]
    # Two tries before the lock, the answer warns (as the web does).
    assert "还可以再试2次，之后30分钟内无法查询。" in replies_seen[-3] and "还可以再试1次" in replies_seen[-2]
    assert replies_seen[-1] == replies.status_locked(settings.follow_up_lock_minutes, "zh")
    # Even the right code for a real tip: this phone must wait; another phone is not affected.
    assert send(client, f"查询 {receipt.reference} {receipt.follow_up_code}") == replies.status_locked(
        settings.follow_up_lock_minutes, "zh")
    assert send(client, f"查询 {receipt.reference} {receipt.follow_up_code}", sender=OTHER_PHONE) == \
        replies.tip_progress_received(receipt.reference, "zh")
    # The count sits in the guard table under an HMAC of its own: no phone hash in it.
    keys = set(db.session.scalars(select(FollowUpGuard.reference_hash)))
    assert sender_guard_key(lookup_hash(SENDER, "phone")) in keys
    assert lookup_hash(SENDER, "phone") not in keys


def test_the_phone_lock_on_progress_checks_ends_after_the_lock_time(client, app, monkeypatch):
    settings = app.config["SETTINGS"]
    clock = control_clock(monkeypatch)
    receipt = create_tip()
    for n in "23456789ABCDEFG"[: settings.follow_up_max_failures]:
        send(client, f"查询 TY-{n}{n}{n}{n}-2345 2222-3333-4444-5555")

    clock.advance(minutes=settings.follow_up_lock_minutes + 1)

    assert send(client, f"查询 {receipt.reference} {receipt.follow_up_code}") == \
        replies.tip_progress_received(receipt.reference, "zh")


# Cancelling a booking ------------------------------------------------------------------------


@pytest.mark.parametrize("language, keyword", [("zh", "取消预约"), ("en", "cancel booking")])
def test_cancelling_asks_once_more_then_frees_the_place_and_cancels(client, language, keyword):
    slot = booked_slot()
    appointment = book(slot, language=language)
    reference, appointment_id = appointment.item.reference, appointment.id
    assert places_taken(slot.id) == 1
    appointment = db.session.get(Appointment, appointment_id)
    local_when = when(appointment, language)

    assert send(client, keyword) == replies.cancel_confirm(reference, LONGEST_SITE, local_when, language)
    assert status_of(appointment_id) == AppointmentStatus.BOOKED.value

    assert send(client, "１") == replies.cancel_done(reference, LONGEST_SITE, local_when, language)

    assert status_of(appointment_id) == AppointmentStatus.CANCELLED.value
    assert places_taken(slot.id) == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment_cancelled")).one()
    assert event.actor_kind == "public" and event.actor_id is None
    # The reply is the cancellation notice: the outbox sends no second SMS saying the same.
    assert db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == CANCELLATION_PURPOSE)).all() == []


def test_cancelling_with_the_reference_after_the_keyword_offers_that_booking(client):
    appointment = book(booked_slot(), language="en")
    reference = appointment.item.reference

    reply = send(client, f"CANCEL BOOKING {reference.lower()}")

    assert reply == replies.cancel_confirm(reference, LONGEST_SITE, when(appointment, "en"), "en")


def test_replying_2_keeps_the_booking(client):
    slot = booked_slot()
    appointment = book(slot)
    reference, appointment_id = appointment.item.reference, appointment.id

    send(client, f"取消预约 {reference}")
    assert send(client, "2") == replies.cancel_kept(reference, "zh")

    assert status_of(appointment_id) == AppointmentStatus.BOOKED.value
    assert places_taken(slot.id) == 1
    # The conversation is over: another "1" is an ordinary message, not a cancellation.
    assert send(client, "1") == replies.menu("zh")
    assert status_of(appointment_id) == AppointmentStatus.BOOKED.value


def test_an_answer_other_than_1_or_2_asks_again_and_cancels_nothing(client):
    appointment = book(booked_slot())
    reference, appointment_id = appointment.item.reference, appointment.id
    confirm = send(client, "取消预约")

    # "取消" reads as "no" elsewhere in the hotline: here it must neither cancel nor keep.
    assert send(client, "取消") == confirm
    assert send(client, "好的") == confirm
    assert status_of(appointment_id) == AppointmentStatus.BOOKED.value
    assert send(client, "1") == replies.cancel_done(reference, LONGEST_SITE, when(appointment, "zh"), "zh")


def test_cancelling_from_another_phone_is_refused(client):
    slot = booked_slot()
    appointment = book(slot)
    reference, appointment_id = appointment.item.reference, appointment.id

    assert send(client, f"CANCEL BOOKING {reference}", sender=OTHER_PHONE) == replies.cancel_not_found("en")
    assert send(client, "取消预约", sender=OTHER_PHONE) == replies.cancel_none("zh")
    assert send(client, "1", sender=OTHER_PHONE) == replies.menu("zh")

    assert status_of(appointment_id) == AppointmentStatus.BOOKED.value
    assert places_taken(slot.id) == 1


def test_several_upcoming_bookings_are_listed_soonest_first_to_choose_by_number(client):
    later = book(booked_slot(days=7), serial="002")
    sooner = book(create_slot(later.site), serial="003")
    later_id, sooner_id = later.id, sooner.id
    listed = [(sooner.item.reference, format_local_datetime_without_year(sooner.slot.starts_at, sooner.site.timezone,
                                                                          "en")),
              (later.item.reference, format_local_datetime_without_year(later.slot.starts_at, later.site.timezone,
                                                                        "en"))]

    assert send(client, "CANCEL BOOKING") == replies.cancel_choose(listed, "en")
    assert send(client, "3") == replies.cancel_choose(listed, "en")
    assert send(client, "2") == replies.cancel_confirm(later.item.reference, LONGEST_SITE, when(later, "en"), "en")
    send(client, "1")

    assert status_of(later_id) == AppointmentStatus.CANCELLED.value
    assert status_of(sooner_id) == AppointmentStatus.BOOKED.value


def test_a_cancelled_or_checked_in_booking_is_refused_with_a_clear_reply(client):
    cancelled = book(booked_slot(), serial="004")
    cancel_appointment(cancelled, actor_kind="public")
    checked_in = book(create_slot(cancelled.site, starts_at=cancelled.slot.starts_at + timedelta(hours=1)),
                      serial="005")
    checked_in.status = AppointmentStatus.CHECKED_IN.value
    db.session.commit()

    assert send(client, f"取消预约 {cancelled.item.reference}") == \
        replies.cancel_refused_cancelled(cancelled.item.reference, "zh")
    assert send(client, f"CANCEL BOOKING {checked_in.item.reference}") == \
        replies.cancel_refused_checked_in(checked_in.item.reference, "en")


def test_a_booking_cancelled_on_the_web_during_the_confirmation_is_refused_not_cancelled_twice(client):
    slot = booked_slot()
    appointment = book(slot)
    reference = appointment.item.reference
    send(client, "取消预约")
    cancel_appointment(appointment, actor_kind="public")
    db.session.commit()

    assert send(client, "1") == replies.cancel_refused_cancelled(reference, "zh")
    assert places_taken(slot.id) == 0
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment_cancelled")).all()) == 1


def test_an_expired_conversation_mid_cancel_cancels_nothing_and_says_it_ended(client, app, monkeypatch):
    clock = control_clock(monkeypatch)
    appointment = book(booked_slot())
    appointment_id = appointment.id
    send(client, "取消预约")

    clock.advance(minutes=app.config["SETTINGS"].sms_conversation_idle_minutes + 1)

    assert send(client, "1") == replies.menu_after_expiry("zh")
    assert status_of(appointment_id) == AppointmentStatus.BOOKED.value


# From the menu -------------------------------------------------------------------------------


def test_menu_choice_3_starts_a_progress_check(client):
    appointment = book(booked_slot(), language="en")
    reference = appointment.item.reference

    assert send(client, "hello") == replies.menu("en")
    assert send(client, "3") == replies.status_ask_reference("en")
    assert send(client, reference) == replies.booking_progress_booked(reference, LONGEST_SITE,
                                                                      when(appointment, "en"), "en")


def test_menu_choice_4_starts_a_cancellation(client):
    slot = booked_slot()
    appointment = book(slot)
    reference, appointment_id = appointment.item.reference, appointment.id

    assert send(client, "你好") == replies.menu("zh")
    assert send(client, "4") == replies.cancel_confirm(reference, LONGEST_SITE, when(appointment, "zh"), "zh")
    send(client, "1")

    assert status_of(appointment_id) == AppointmentStatus.CANCELLED.value
    assert places_taken(slot.id) == 0


# Every reply within two segments -------------------------------------------------------------


def _limit(text: str) -> int:
    # docs/writing.md#how-long-an-sms-may-be: 134 characters once any character needs UCS-2
    # (a Chinese site name in an English reply too), else 306 GSM-7 characters (these texts use
    # only ASCII).
    return 306 if all(32 <= ord(ch) < 127 for ch in text) else 134


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_progress_and_cancellation_reply_fits_two_segments_with_the_longest_values(app, language):
    reference = "TY-7K3M-9Q2P"
    values = {
        "reference": reference, "site_name": LONGEST_SITE, "when": longest_local_time(language),
        "url": "https://tuanyuan.police.nantong.gov.cn/tips/status", "minutes": 1440, "tries_left": 2,
        "bookings": [(reference, longest_local_time(language, without_year=True))] * 3,
    }
    import inspect

    names = [name for name, function in inspect.getmembers(replies, inspect.isfunction)
             if function.__module__ == replies.__name__
             and name.startswith(("status_", "booking_progress_", "tip_progress_", "cancel_"))]
    assert len(names) >= 20
    for name in names:
        function = getattr(replies, name)
        parameters = list(inspect.signature(function).parameters)
        assert parameters[-1] == "language", name
        text = function(*[values[parameter] for parameter in parameters[:-1]], language)
        assert len(text) <= _limit(text), f"{name} [{language}] is {len(text)} characters: {text}"


def test_the_sms_warning_two_tries_before_the_lock_is_the_same_for_a_real_and_an_unknown_reference(client, app):
    """As on the web: wrong codes warn when two tries are left, and the answer does not tell
    whether the reference exists."""
    settings = app.config["SETTINGS"]
    receipt = create_tip()
    real = [send(client, f"查询 {receipt.reference} 2222-3333-4444-5555") for _ in range(3)]
    unknown = [send(client, "查询 TY-2345-6789 2222-3333-4444-5555", sender=OTHER_PHONE) for _ in range(3)]
    assert real == unknown
    assert real[:2] == [replies.status_not_found("zh")] * 2
    assert real[2] == replies.status_not_found_tries_left(2, settings.follow_up_lock_minutes, "zh")
    assert real[2].endswith("还可以再试2次，之后30分钟内无法查询。")
