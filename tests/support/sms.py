"""SMS through the signed webhook, as Twilio sends it: the parameters of one message, the signed
POST, and `send`, one signed SMS and the hotline's reply. Also bookings made directly for the
hotline's progress and cancellation tests, and the longest date and time a reply can name."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from portal.core.extensions import db
from portal.core.i18n import format_local_datetime, format_local_datetime_without_year
from portal.core.models import ApplicantRole, Appointment, Channel
from portal.sampling.booking import book_appointment
from tests.support.sampling import resident_id
from tests.support.settings import TWILIO_TEST_TOKEN

TEST_URL = "http://localhost/sms/inbound"
SENDER = "+8613800138000"


def sms_params(body: str, message_sid: str | None = None, sender: str = SENDER) -> dict[str, str]:
    return {
        "MessageSid": message_sid or "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
    }


def signed_post(client, params: dict[str, str], url: str = TEST_URL, token: str = TWILIO_TEST_TOKEN):
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature})


def send(client, body: str, sender: str = SENDER, url: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Send one signed SMS (a new message id each time), signed for `url` when given; return the
    hotline's reply text ("" for none). Asserts the webhook answered 200."""
    params = sms_params(body, sender=sender)
    response = signed_post(client, params, url=url) if url else signed_post(client, params)
    assert response.status_code == 200
    message = ET.fromstring(response.get_data(as_text=True)).find("Message")
    return "" if message is None else (message.text or "")


def book(slot, phone: str = SENDER, *, language: str = "zh", channel: Channel = Channel.SMS,
         serial: str = "001") -> Appointment:
    appointment = book_appointment(
        slot_id=slot.id, applicant_role=ApplicantRole.PARENT, applicant_name="王秀英", applicant_phone=phone,
        attendees=[("王秀英", ApplicantRole.PARENT, resident_id(serial=serial), phone)], consent=True,
        language=language, channel=channel,
    )
    db.session.commit()
    return appointment


def when(appointment: Appointment, language: str) -> str:
    return format_local_datetime(appointment.slot.starts_at, appointment.site.timezone, language)


def status_of(appointment_id: int) -> str:
    db.session.rollback()
    return db.session.scalar(select(Appointment.status).where(Appointment.id == appointment_id))


def longest_local_time(language: str, without_year: bool = False) -> str:
    formatter = format_local_datetime_without_year if without_year else format_local_datetime
    tz = ZoneInfo("Asia/Shanghai")
    texts = [formatter(datetime.combine(date(2026, 1, 1) + timedelta(days=n), clock, tzinfo=tz), "Asia/Shanghai",
                       language)
             for n in range(366) for clock in (time(10, 40), time(12, 40), time(11, 40))]
    return max(texts, key=len)


def wrong_code_reply(tries_used: int, settings, language: str) -> str:  # type: ignore[no-untyped-def]
    """The hotline's answer to the `tries_used`-th wrong follow-up code from one phone (before the
    lock): the plain "not found", and the warning once two tries or fewer are left."""
    from portal.hotline import replies
    from portal.tips.followup import WARN_WHEN_TRIES_LEFT

    tries_left = settings.follow_up_max_failures - tries_used
    if tries_left <= WARN_WHEN_TRIES_LEFT:
        return replies.status_not_found_tries_left(tries_left, settings.follow_up_lock_minutes, language)
    return replies.status_not_found(language)
