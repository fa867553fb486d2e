"""`/dev/sms`: try the SMS hotline from a browser, without a phone or a Twilio number.

A person types a phone number and a message and presses Send. The message goes to the real
webhook (`POST /sms/inbound`) signed exactly as Twilio signs it (`portal.core.sms.simulate`), so the
signature check, storing, keywords, conversations and replies all run as in production. The page
then shows the hotline's answer and the whole conversation of that number: every message
received from it and every message the portal wrote to it (replies, booking notices, staff
questions), oldest first, with what became of each.

Post/Redirect/Get: the number, and the last answer for it, are kept in the session, so a
refresh sends nothing again. The last answer is kept there as the phone received it, follow-up
code included, because the stored copy of a tip's reply never holds the code: acceptable on a
development machine only, which is the only place this page exists (`portal.devtools.blueprint`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.devtools.blueprint import bp
from portal.core.extensions import db
from portal.core.identity import display_mobile
from portal.forms import MobileNumber, PortalForm, TypedStringField
from portal.core.i18n import format_local_datetime
from portal.core.models import InboundMessage, OutboundMessage, OutboundStatus, utcnow
from portal.core.security.crypto import phone_hash
from portal.core.sms.simulate import deliver_locally
from portal.hotline.flows.book import NAME_PLACEHOLDER
from portal.hotline.incoming import ID_NUMBER_PLACEHOLDER
from portal.hotline.keywords import TWILIO_WORDS
from portal.staff.labels import LABELS, label

# A mainland mobile number reserved for examples, as in the hints of the web forms.
DEMO_NUMBER = "+8613800138000"
# Twilio delivers at most 1,600 characters in one inbound message.
BODY_MAX = 1600
THREAD_LIMIT = 100
PHONE_KEY = "sms_simulator_phone"
LATEST_KEY = "sms_simulator_latest"

_CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


class SimulatorForm(PortalForm):
    """The sender's number and the message; the message is needed only to send."""

    phone = TypedStringField(
        _l("Phone number you are texting from"),
        id="sms-phone",
        validators=[DataRequired(message=_l("Enter a mobile number, like 138 0013 8000")), MobileNumber()],
    )
    body = TextAreaField(
        _l("Text message"),
        id="sms-body",
        validators=[Length(max=BODY_MAX, message=_l("A text message can be at most 1,600 characters"))],
    )


@dataclass(frozen=True)
class ThreadEntry:
    """One message in the conversation. `direction`: "in" (from the phone) or "out" (to it).
    `at`: UTC instant used for ordering; `when`: that instant in local words; `status`: what
    became of an outgoing message, in words (None for incoming); `lang`: the text's language tag."""

    direction: str
    text: str
    at: datetime
    when: str
    status: str | None
    lang: str
    id: int


def _placeholder_words() -> dict[str, str]:
    """What the stored placeholders read as in the page's language (the message log keeps them in
    one fixed form, `[name]` and `[identity number]`, whatever the sender wrote in)."""
    return {NAME_PLACEHOLDER: _("[name]"), ID_NUMBER_PLACEHOLDER: _("[identity number]")}


def shown_text(stored: str, words: dict[str, str]) -> str:
    """A stored message as the page shows it: each placeholder in `words` replaced by its words."""
    for placeholder, shown in words.items():
        stored = stored.replace(placeholder, shown)
    return stored


def _lang_of(text: str) -> str:
    return "zh-CN" if _CHINESE.search(text or "") else "en"


def _status_words(message: OutboundMessage, tz: str) -> str:
    status = message.status
    words = label("sms_status", status) if status in LABELS["sms_status"] else status
    if status == OutboundStatus.QUEUED and message.not_before and message.not_before > utcnow():
        words = _("%(status)s, due %(time)s", status=words, time=format_local_datetime(message.not_before, tz))
    if message.delivery_status:
        words = _("%(status)s (provider: %(delivery)s)", status=words,
                  delivery=label("delivery_status", message.delivery_status))
    return words


def conversation(phone: str, tz: str) -> list[ThreadEntry]:
    """The last THREAD_LIMIT messages from and to `phone` (E.164), oldest first, times in `tz`."""
    digest = phone_hash(phone)
    received = db.session.scalars(
        select(InboundMessage).where(InboundMessage.from_phone_hash == digest)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()).limit(THREAD_LIMIT)
    )
    written = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.to_phone_hash == digest)
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc()).limit(THREAD_LIMIT)
    )
    received = list(received)  # type: ignore[assignment]  # a list from here on
    arrived = {m.id: m.received_at for m in received}
    words = _placeholder_words()
    entries = [
        ThreadEntry("in", shown_text(m.body, words), m.received_at, format_local_datetime(m.received_at, tz), None,
                    "zh-CN" if m.language == "zh" else _lang_of(m.body), m.id)
        for m in received
    ] + [
        # A reply sits right after the message it answers, before any notice queued meanwhile
        # (a booking's reminder is written a moment before the reply that confirms the booking).
        ThreadEntry("out", m.body, arrived.get(m.in_reply_to_id, m.created_at),  # type: ignore[arg-type]  # get(None) gives the default
                    format_local_datetime(m.sent_at or m.created_at, tz), _status_words(m, tz), _lang_of(m.body), m.id)
        for m in written
    ]
    entries.sort(key=lambda entry: (entry.at, entry.direction != "in", entry.id))
    return entries[-THREAD_LIMIT:]


def _typed_body() -> str:
    """The message exactly as typed (the form strips surrounding spaces; an SMS keeps them), with
    the browser's CRLF line breaks as a phone sends them."""
    return (request.form.get("body") or "").replace("\r\n", "\n")


@bp.route("/sms", methods=["GET", "POST"])
def sms() -> str | Response:
    """The simulator: send a message as a phone, then see the answer and the conversation."""
    settings = current_app.config["SETTINGS"]
    form = SimulatorForm()
    if form.is_submitted():
        sending = request.form.get("action") != "show"
        valid = form.validate()
        if sending and not form.body.errors and not _typed_body().strip():
            form.body.errors.append(_("Enter the message to send"))
            valid = False
        if valid:
            phone = form.phone.data
            session[PHONE_KEY] = phone
            session.pop(LATEST_KEY, None)
            if sending:
                delivery = deliver_locally(current_app._get_current_object(), phone, _typed_body(),  # type: ignore[attr-defined]
                                           request.root_url)
                session[LATEST_KEY] = {"phone": phone, "status": delivery.status, "reply": delivery.reply,
                                       "twilio_word": _typed_body().strip().upper() in TWILIO_WORDS}
            return redirect(url_for("devtools.sms"), 303)
    phone = session.get(PHONE_KEY) or DEMO_NUMBER
    if not form.is_submitted():
        form = SimulatorForm(formdata=None, phone=display_mobile(phone))
    latest = session.get(LATEST_KEY)
    if not isinstance(latest, dict) or latest.get("phone") != phone:
        latest = None
    return render_template(
        "dev/sms.html",
        form=form,
        phone=display_mobile(phone),
        latest=latest,
        latest_lang=_lang_of(latest["reply"]) if latest and latest.get("reply") else None,
        thread=conversation(phone, settings.site_timezone),
    )
