"""What a booking gives the family and sends them: the calendar file at the right local time, a
QR code that decodes to the reference, reminders decided when they are due (never stale), one
closure SMS per family, and no personal data in any message."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

import pytest
from icalendar import Calendar
from PIL import Image, ImageDraw
from sqlalchemy import select
from zoneinfo import ZoneInfo

from portal.core.extensions import db
from portal.core.models import Appointment, OutboundMessage, OutboundStatus
from portal.core.outbox.worker import run_pass
from portal.sampling.booking import book_appointment, cancel_appointment, move_appointment
from portal.sampling.calendar import reference_qr_svg
from portal.sampling.notices import REMINDER_PURPOSE
from portal.core.sms.twilio_provider import TwilioProvider
from tests.support.factories import STAFF_PASSWORD, create_site, create_staff
from tests.support.closures import preview_then_confirm
from tests.support.helpers import text_of
from tests.support.sampling import (
    JOURNEY_LIMITS,
    book_on_web,
    next_weekday,
    person,
    resident_id,
    slot_at,
)
from tests.support.outbox import StubTwilioHttp, accepted

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Bookings are made by walking the booking journey: the form limits of tests/web/sampling/conftest.py."""
    return dict(JOURNEY_LIMITS)


def decode_qr_svg(svg: bytes) -> str:
    """Draw the SVG's unit squares (qrcode's path of `Mx,yH..V..H..z` modules) on a bitmap and
    decode it with zxing-cpp."""
    import zxingcpp

    text = svg.decode("utf-8")
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', text).group(1))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path[^>]* d="([^"]+)"', text).group(1)
    for x, y in re.findall(r"M(\d+),(\d+)H", path):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + scale - 1, top + scale - 1], fill=0)
    results = zxingcpp.read_barcodes(image)
    assert results, "no QR code found"
    return results[0].text


def test_the_qr_code_decodes_to_the_booking_reference(client, app):
    site = create_site()
    slot = slot_at(site, next_weekday(), 1)
    assert book_on_web(client, slot).status_code == 303
    reference = REFERENCE.search(text_of(client.get("/sampling/confirmation"))).group(0)

    response = client.get("/sampling/confirmation/qr.svg")

    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert decode_qr_svg(response.get_data()) == reference
    assert decode_qr_svg(reference_qr_svg("TY-7K3M-9Q2P")) == "TY-7K3M-9Q2P"


def test_the_calendar_file_opens_at_the_sites_local_time(client, app):
    site = create_site(name="乌鲁木齐市公安局", city="乌鲁木齐市", timezone="Asia/Urumqi")
    day = next_weekday()
    slot = slot_at(site, day, 3, 20)  # 03:20 UTC = 09:20 in Urumqi (UTC+6)
    assert book_on_web(client, slot).status_code == 303
    reference = REFERENCE.search(text_of(client.get("/sampling/confirmation"))).group(0)

    response = client.get("/sampling/confirmation/appointment.ics")

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    event = next(iter(calendar.walk("VEVENT")))
    starts = event.decoded("dtstart")
    assert starts.tzinfo is not None and str(event["dtstart"].params["TZID"]) == "Asia/Urumqi"
    assert (starts.replace(tzinfo=None), starts.utcoffset()) == (datetime.combine(day, time(9, 20)), timedelta(hours=6))
    assert starts.astimezone(timezone.utc) == slot.starts_at
    assert event.decoded("dtend") - starts == timedelta(minutes=site.slot_minutes)
    assert reference in str(event["summary"]) and "乌鲁木齐市公安局" in str(event["location"])
    assert "王秀英" not in response.get_data(as_text=True)  # no personal data in the file


def _book(slot, serial: str = "061", phone: str = "+8613800138000") -> Appointment:  # type: ignore[no-untyped-def]
    appointment = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name="王秀英", applicant_phone=phone,
        attendees=[("王秀英", "parent", resident_id(serial=serial), phone)], consent=True, language="zh")
    db.session.commit()
    return appointment


def _reminders() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == REMINDER_PURPOSE)
                                   .order_by(OutboundMessage.id)))


def _provider(app, stub: StubTwilioHttp) -> TwilioProvider:  # type: ignore[no-untyped-def]
    return TwilioProvider(app.config["SETTINGS"], http_client=stub)


def test_the_reminder_is_queued_for_the_day_before_at_the_configured_local_time(app_factory):
    configured = app_factory(sampling_reminder_time="18:30")
    with configured.app_context():
        from tests.support.database import empty_all_tables

        empty_all_tables()
        site = create_site()
        day = next_weekday(3)
        appointment = _book(slot_at(site, day, 1))
        reminder = _reminders()[0]
        assert appointment.reminder_message_id == reminder.id
        local = reminder.not_before.astimezone(ZoneInfo("Asia/Shanghai"))
        assert (local.date(), local.time()) == (day - timedelta(days=1), time(18, 30))
        assert reminder.body.startswith("受理编号") and "王秀英" not in reminder.body
        db.session.remove()


def test_a_booking_cancelled_after_its_reminder_was_queued_never_gets_it(app):
    site = create_site()
    appointment = _book(slot_at(site, next_weekday(3), 1))
    reminder = _reminders()[0]
    cancel_appointment(appointment)
    db.session.commit()

    stub = StubTwilioHttp(*[accepted(f"SM{n:032d}") for n in range(5)])
    run_pass(_provider(app, stub), now=reminder.not_before + timedelta(minutes=1))

    sent_bodies = [request["data"]["Body"] for request in stub.requests]
    assert not any("提醒" in body or "Reminder" in body for body in sent_bodies)
    assert _reminders()[0].status == OutboundStatus.WITHDRAWN.value
    assert any("已取消" in body or "cancelled" in body for body in sent_bodies)


def test_a_booking_moved_after_its_reminder_was_queued_gets_only_the_new_reminder(app):
    site = create_site()
    day = next_weekday(3)
    appointment = _book(slot_at(site, day, 1))
    new_slot = slot_at(site, day + timedelta(days=1), 2)
    old_reminder = _reminders()[0]
    move_appointment(appointment, new_slot.id)
    db.session.commit()
    new_reminder = _reminders()[1]
    assert new_reminder.not_before == old_reminder.not_before + timedelta(days=1)

    stub = StubTwilioHttp(*[accepted(f"SM{n:032d}") for n in range(6)])
    run_pass(_provider(app, stub), now=old_reminder.not_before + timedelta(minutes=1))
    assert _reminders()[0].status == OutboundStatus.WITHDRAWN.value
    assert _reminders()[1].status == OutboundStatus.QUEUED.value  # not due yet
    run_pass(_provider(app, stub), now=new_reminder.not_before + timedelta(minutes=1))

    reminders_sent = [r["data"]["Body"] for r in stub.requests if "提醒" in r["data"]["Body"]]
    assert len(reminders_sent) == 1
    assert "10:00" in reminders_sent[0] or "上午10:00" in reminders_sent[0]  # the new time (02:00 UTC)
    assert _reminders()[1].status == OutboundStatus.SENT.value


def test_a_reminder_still_due_is_sent_once(app):
    site = create_site()
    _book(slot_at(site, next_weekday(3), 1))
    reminder = _reminders()[0]
    stub = StubTwilioHttp(*[accepted(f"SM{n:032d}") for n in range(4)])
    run_pass(_provider(app, stub), now=reminder.not_before + timedelta(minutes=1))
    run_pass(_provider(app, stub), now=reminder.not_before + timedelta(minutes=2))
    assert sum("提醒" in r["data"]["Body"] for r in stub.requests) == 1


def test_a_closure_over_a_booked_day_queues_one_sms_to_each_affected_family(app):
    site = create_site()
    day = next_weekday(3)
    first, second = slot_at(site, day, 1), slot_at(site, day, 6)
    families = [_book(first, "071", "+8613800138001"), _book(first, "072", "+8613800138002"),
                _book(second, "073", "+8613800138003")]
    _book(slot_at(site, day + timedelta(days=1), 1), "074", "+8613800138004")  # another day: not told
    cancelled = _book(second, "075", "+8613800138005")
    cancel_appointment(cancelled)
    db.session.commit()
    admin = create_staff(__import__("portal.core.permissions", fromlist=["Role"]).Role.ADMIN, username="admin")
    from tests.support.staff import browser, sign_in

    staff = browser(app)
    sign_in(staff, admin.username, STAFF_PASSWORD)
    response = preview_then_confirm(staff, f"/staff/sampling/sites/{site.id}/closures",
                                    {"starts_on": day.isoformat(), "ends_on": "", "reason": "国庆节"},
                                    headers={"Accept-Language": "en"})
    assert response.status_code == 303

    db.session.expire_all()
    notices = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "booking_site_closed")).all()
    assert sorted(message.to_phone for message in notices) == ["+8613800138001", "+8613800138002", "+8613800138003"]
    assert sorted(message.item_id for message in notices) == sorted(a.item_id for a in families)
    for message in notices:
        assert "/sampling/manage" in message.body and "王秀英" not in message.body
    # From now on the closed day cannot be booked by any channel.
    from portal.sampling.booking import SiteClosed

    with pytest.raises(SiteClosed):
        _book(first, "076", "+8613800138006")


def test_no_message_carries_more_than_the_reference_site_and_time(client, app):
    site = create_site()
    day = next_weekday(3)
    slot = slot_at(site, day, 1)
    people = [person("王秀英", id_number=resident_id(serial="081")),
              person("李建国", id_number=resident_id(serial="082"), phone="139 0013 9000")]
    assert book_on_web(client, slot, people).status_code == 303
    appointment = db.session.scalars(select(Appointment)).one()
    move_appointment(appointment, slot_at(site, day, 2).id)
    db.session.commit()
    cancel_appointment(db.session.get(Appointment, appointment.id))
    db.session.commit()
    bodies = [m.body for m in db.session.scalars(select(OutboundMessage))]
    assert len(bodies) >= 5  # confirmation, reminder, change, new reminder, cancellation
    for body in bodies:
        assert appointment.item.reference in body and site.name in body
        for private in ("王秀英", "李建国", "王小明", resident_id(serial="081"), "13800138000", "13900139000", "成都"):
            assert private not in body, (private, body)
        assert len(body) <= 134 or not re.search(r"[\u4e00-\u9fff]", body)


def test_the_reminder_time_setting_must_be_a_clock_time():
    from portal.core.config import ConfigurationError, Settings

    assert Settings.from_env({"SAMPLING_REMINDER_TIME": "9:05"}).sampling_reminder_time == "09:05"
    with pytest.raises(ConfigurationError):
        Settings.from_env({"SAMPLING_REMINDER_TIME": "25:00"})




def test_a_closure_notice_carries_the_manage_address_and_points_to_the_website_when_it_cannot(app):
    from portal.sampling.notices import closure_text
    from portal.core.sms.segments import MAX_NOTICE_SEGMENTS, segments

    url = "https://tuanyuan.police.nantong.gov.cn/sampling/manage"
    english = closure_text("TY-7K3M-9Q2P", "启东市公安局汇龙镇中心派出所", "Wednesday 30 September 2026, 12:40pm", url, "en")
    assert url in english and segments(english) <= MAX_NOTICE_SEGMENTS
    chinese = closure_text("TY-7K3M-9Q2P", "启东市公安局汇龙镇中心派出所", "2026年9月30日（星期三）下午12:40", url, "zh")
    assert url in chinese and segments(chinese) <= MAX_NOTICE_SEGMENTS
    too_long = closure_text("TY-7K3M-9Q2P", "南" * 120, "Wednesday 30 September 2026, 12:40pm", url, "en")
    assert url not in too_long and "Choose another time on our website." in too_long
    assert segments(too_long) <= MAX_NOTICE_SEGMENTS and "…" in too_long


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_booking_notice_fits_three_segments_whatever_the_site_name_and_address_length(app, language):
    from portal.sampling import notices
    from portal.core.sms.segments import MAX_NOTICE_SEGMENTS, fits_two_segments, segments

    when = "2026年9月30日（星期三）下午12:40" if language == "zh" else "Wednesday 30 September 2026, 12:40pm"
    url = "https://hotline.example.cn/sampling/manage"
    for name in ("南" * 200, "Nantong " * 25):
        place = name[:150]
        texts = [notices.confirmation_text("TY-7K3M-9Q2P", name, place, when, 2, url, language),
                 notices.reminder_text("TY-7K3M-9Q2P", name, place, when, 1, url, language),
                 notices.change_text("TY-7K3M-9Q2P", name, place, when, 4, url, language),
                 notices.cancellation_text("TY-7K3M-9Q2P", name, when, language),
                 notices.closure_text("TY-7K3M-9Q2P", name, when, url, language)]
        for text in texts:
            assert segments(text) <= MAX_NOTICE_SEGMENTS, text
            assert "TY-7K3M-9Q2P" in text and when in text
        # The "sample taken" message is no booking notice: it keeps within two.
        assert fits_two_segments(notices.checked_in_text("TY-7K3M-9Q2P", name, language))
