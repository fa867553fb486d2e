"""Progress and cancellation replies name the site, and site names can be up to 200 characters:
each reply still fits two SMS segments, the name cut short ("…") only when it must be. A Chinese
name makes an English reply UCS-2 (134 characters), so English replies are tested with Chinese
names too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from portal.core.extensions import db
from portal.core.models import Appointment, AppointmentStatus, Slot, utcnow
from portal.sampling.booking import cancel_appointment
from portal.hotline import replies
from portal.core.sms.segments import count, fits_two_segments, segments, shortened
from tests.support.factories import create_site, create_slot
from tests.support.sms import book, longest_local_time, send, status_of, when

# A real kind of name, 28 characters: an English reply with it took three segments.
POLICE_STATION = "南通市公安局经济技术开发区分局中兴街道竹行派出所户籍室"
CHINESE_200 = ("南通市公安局经济技术开发区分局中兴街道竹行派出所户籍室" * 8)[:200]
ENGLISH_200 = ("Nantong Public Security Bureau, Economic and Technological Development Zone Branch, "
               "Zhongxing Street Zhuhang Police Station, Household Registration Office, Window " * 2)[:200]
LONG_NAMES = {"chinese": CHINESE_200, "english": ENGLISH_200}
KEYWORDS = {"zh": ("查询", "取消预约"), "en": ("STATUS", "CANCEL BOOKING")}


def _set_status(appointment: Appointment, status: AppointmentStatus) -> None:
    db.session.execute(update(Appointment).where(Appointment.id == appointment.id).values(status=status.value))
    db.session.commit()


def _move_to_the_past(appointment: Appointment) -> None:
    starts_at = utcnow() - timedelta(days=2)
    db.session.execute(update(Slot).where(Slot.id == appointment.slot_id)
                       .values(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=20)))
    db.session.commit()


def _named(reply: str, name: str) -> bool:
    """True when `reply` holds `name`, or its start (at least 4 characters) ended by an ellipsis."""
    return name in reply or any(name[:keep] + mark in reply for keep in range(4, len(name)) for mark in ("…", "..."))


# The reproduction --------------------------------------------------------------------------------


def test_english_booking_progress_fits_two_segments_with_a_longer_site_name(client):
    appointment = book(create_slot(create_site(name=POLICE_STATION)))
    _set_status(appointment, AppointmentStatus.CHECKED_IN)

    reply = send(client, f"status {appointment.item.reference}")

    assert "Booking" in reply and "Checked in" in reply and appointment.item.reference in reply
    assert segments(reply) <= 2, reply


# Progress: every state, both languages, the longest names ---------------------------------------

STATES = {
    "booked": None,
    "cancelled": lambda appointment: (cancel_appointment(appointment, actor_kind="public"), db.session.commit()),
    "checked in": lambda appointment: _set_status(appointment, AppointmentStatus.CHECKED_IN),
    "no-show": lambda appointment: _set_status(appointment, AppointmentStatus.NO_SHOW),
    "passed": _move_to_the_past,
}
STATE_REPLIES = {
    "booked": replies.booking_progress_booked, "cancelled": replies.booking_progress_cancelled,
    "checked in": replies.booking_progress_checked_in, "no-show": replies.booking_progress_no_show,
    "passed": replies.booking_progress_passed,
}


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("name_kind", list(LONG_NAMES))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_booking_progress_in_every_state_fits_two_segments_with_a_200_character_site_name(
    client, state, name_kind, language
):
    name = LONG_NAMES[name_kind]
    appointment = book(create_slot(create_site(name=name)), language=language)
    reference = appointment.item.reference
    if STATES[state] is not None:
        STATES[state](appointment)

    reply = send(client, f"{KEYWORDS[language][0]} {reference}")

    assert fits_two_segments(reply), f"{segments(reply)} segments: {reply}"
    assert _named(reply, name), reply
    # The rest of the reply is the one for that state, word for word.
    db.session.expire_all()
    appointment = db.session.get(Appointment, appointment.id)
    assert reply == shortened(lambda cut: STATE_REPLIES[state](reference, cut, when(appointment, language), language),
                              name)


def test_a_site_name_that_fits_is_not_cut(client):
    appointment = book(create_slot(create_site(name=POLICE_STATION)), language="zh")
    reference = appointment.item.reference

    reply = send(client, f"查询 {reference}")

    assert reply == replies.booking_progress_booked(reference, POLICE_STATION, when(appointment, "zh"), "zh")


# Cancelling: the list, the question and the answer -----------------------------------------------


@pytest.mark.parametrize("name_kind", list(LONG_NAMES))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_cancelling_a_booking_at_a_200_character_site_fits_two_segments_at_every_step(client, name_kind, language):
    name = LONG_NAMES[name_kind]
    site = create_site(name=name)
    first = create_slot(site)
    appointments = [book(first, language=language, serial="001")] + [
        book(create_slot(site, starts_at=first.starts_at + timedelta(days=days)), language=language, serial=serial)
        for days, serial in ((1, "002"), (7, "003"))]
    reference = appointments[0].item.reference
    keyword = KEYWORDS[language][1]

    listed = send(client, keyword)
    question = send(client, "1")
    asked_again = send(client, "5")
    done = send(client, "1")

    for reply in (listed, question, asked_again, done):
        assert fits_two_segments(reply), f"{segments(reply)} segments: {reply}"
    assert all(appointment.item.reference in listed for appointment in appointments)
    assert question == asked_again and reference in question and _named(question, name)
    assert reference in done and _named(done, name)
    assert status_of(appointments[0].id) == AppointmentStatus.CANCELLED.value


# Every reply with a site name, for every name length ---------------------------------------------

SITE_REPLIES = [replies.booking_progress_booked, replies.booking_progress_passed, replies.booking_progress_cancelled,
                replies.booking_progress_checked_in, replies.booking_progress_no_show, replies.cancel_confirm,
                replies.cancel_done]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_reply_with_a_site_name_fits_two_segments_for_any_name_length(app, language):
    longest_when = longest_local_time(language)
    for reply in SITE_REPLIES:
        for length in (1, 14, 17, 18, 29, 30, 31, 32, 33, 60, 120, 200):
            for name in (CHINESE_200[:length], ENGLISH_200[:length]):
                # shortened() calls the lambda before the loop moves on (B023 cannot see that).
                text = shortened(lambda cut: reply("TY-7K3M-9Q2P", cut, longest_when, language), name)  # noqa: B023
                assert fits_two_segments(text), f"{reply.__name__} [{language}], {length}: {text}"
                assert _named(text, name), text


# The shortening itself ---------------------------------------------------------------------------


def _render(name: str) -> str:
    return f"Booking TY-7K3M-9Q2P: Booked. Wednesday 30 September 2026, 12:40pm, {name}. To cancel it, send BOOK."


def test_a_name_is_cut_to_the_longest_start_that_fits():
    text = shortened(_render, CHINESE_200)
    keep = next(keep for keep in range(len(CHINESE_200), 3, -1) if CHINESE_200[:keep] + "…" in text)
    assert fits_two_segments(text)
    assert not fits_two_segments(_render(CHINESE_200[:keep + 1] + "…"))


def test_a_text_that_fits_is_returned_as_it_is():
    assert shortened(_render, POLICE_STATION[:10]) == _render(POLICE_STATION[:10])


def test_a_gsm_text_is_cut_with_three_dots_so_that_it_stays_gsm_7():
    text = shortened(_render, ENGLISH_200 * 2)
    assert count(text).encoding == "GSM-7" and fits_two_segments(text)
    assert "..." in text and "…" not in text
    assert len(text) > 250  # room for far more of the name than in UCS-2's 134 characters
