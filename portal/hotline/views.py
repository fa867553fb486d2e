"""The SMS hotline webhooks: `POST /sms/inbound`, called by the provider for every incoming SMS, and
`POST /sms/status`, its delivery-status callback for each message the portal sent.

Verify the signature → read the provider's form (`SmsProvider.parse_inbound`) → hand the message
to `portal.hotline.inbox.receive`, which reads it once, stores it once, decides the reply (the
dispatcher and the flows) and records it → answer TwiML with status 200. After the signature check
the answer is always 200 TwiML, even when something inside fails (`inbox.keep_after_error` keeps
the message then): the provider would otherwise show the sender nothing.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

from flask import Response, abort, current_app, request

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.core.sms.backends import get_provider
from portal.core.sms.delivery import record_delivery_report
from portal.core.sms.provider import InvalidInbound, InvalidStatusCallback, SmsProvider
from portal.hotline.blueprint import bp
from portal.hotline.inbox import DuplicateMessage, keep_after_error, receive, repeated_answer

if TYPE_CHECKING:
    from portal.core.config import Settings

logger = logging.getLogger(__name__)


def public_request_url(public_base_url: str) -> str:
    """The URL the provider called, as it signed it.

    Behind a TLS-terminating proxy the app sees `http://127.0.0.1:…`, so with PUBLIC_BASE_URL set
    the URL is rebuilt from it. The query string is taken raw from the WSGI environ: Flask's
    `request.url` decodes percent-escapes, which changes the signed text.
    """
    query = request.environ.get("QUERY_STRING", "")
    # root_url already holds the script root (a mount prefix); PUBLIC_BASE_URL must include it too.
    base = public_base_url or request.root_url.rstrip("/")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def _verify_signature(settings: Settings, provider: SmsProvider, what: str) -> None:
    """Abort with 403 unless the current request carries the provider's valid signature of the
    public URL it called (`public_request_url`) and its form. `what` names the webhook in the log."""
    signature = request.headers.get(provider.signature_header)
    if not provider.verify_request(public_request_url(settings.public_base_url), request.form, signature):
        logger.warning("%s: refused a request without a valid signature", what)
        abort(403)


def _twiml(body_and_type: tuple[str, str]) -> Response:
    body, mimetype = body_and_type
    return Response(body, status=200, mimetype=mimetype)


def _where(exc: BaseException) -> str:
    """File and line where `exc` was raised: enough to find the bug, without the message (which may
    quote the SMS text or a bound SQL parameter)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename}:{last.lineno}"


@bp.post("/inbound")
def inbound() -> Response:
    """The provider's webhook for an incoming SMS: 403 unless correctly signed, else always 200 with a reply."""
    settings = current_app.config["SETTINGS"]
    provider = get_provider(settings)
    _verify_signature(settings, provider, "SMS webhook")

    try:
        sms = provider.parse_inbound(request.form)
    except InvalidInbound:
        logger.warning("SMS webhook: signed request without a usable message id; nothing stored")
        return _twiml(provider.reply(None))

    try:
        reply = receive(sms, settings)
    except DuplicateMessage:
        logger.info("SMS %s: repeated delivery, already stored; answered as the first", sms.provider_message_id)
        return _twiml(provider.reply(repeated_answer(sms.provider_message_id, clock.now()) or None))
    except Exception as exc:  # noqa: BLE001 - the provider must always get TwiML
        logger.error("SMS %s: could not be handled (%s at %s)", sms.provider_message_id, type(exc).__name__, _where(exc))
        reply = keep_after_error(sms, settings)
    return _twiml(provider.reply(reply))


@bp.post("/status")
def delivery_status() -> Response:
    """The provider's delivery-status callback for a message the portal sent (Twilio calls it at
    each stage: queued, sent, delivered, undelivered, failed). 403 unless correctly signed (checked
    exactly like `/sms/inbound`); after that always 200 with an empty body, whatever it says,
    because the provider treats any other answer as a failure."""
    settings = current_app.config["SETTINGS"]
    provider = get_provider(settings)
    _verify_signature(settings, provider, "SMS status callback")
    try:
        record_delivery_report(provider.parse_status_callback(request.form), utcnow())
    except InvalidStatusCallback:
        logger.warning("SMS status callback: signed request without a usable message id; nothing changed")
    except Exception as exc:  # noqa: BLE001 - the provider must always get 200
        db.session.rollback()
        logger.error("SMS status callback could not be recorded (%s at %s)", type(exc).__name__, _where(exc))
    return Response("", status=200, mimetype="text/plain")
