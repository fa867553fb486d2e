"""Twilio: the one module that knows Twilio's field names, signatures, TwiML and REST errors.

Sources: Twilio's webhook security guide (X-Twilio-Signature, HMAC-SHA1 of the public URL plus
the sorted POST fields, checked by `twilio.request_validator.RequestValidator`), the messaging
webhook fields (MessageSid, From, To, Body, NumMedia, MediaUrl0…), the status-callback fields
(MessageSid, MessageStatus, ErrorCode) and the REST error codes (21610: the recipient replied STOP).
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Mapping

import requests
from twilio.base import values
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from portal.core.sms.provider import STATUS_CALLBACK_PATH, DeliveryReport, DeliveryStatus, InboundSms, InvalidInbound, InvalidStatusCallback, SendResult

if TYPE_CHECKING:
    from portal.core.config import Settings

logger = logging.getLogger(__name__)

# Seconds to wait for Twilio to answer a send. After a read timeout the message may have been
# accepted, so it is reported UNKNOWN, never retried: a short timeout means more of those.
SEND_TIMEOUT_SECONDS = 15.0
# Twilio accepts at most 10 media items per message.
_MAX_MEDIA = 10
# "Attempt to send to unsubscribed recipient": the number replied STOP (or another opt-out word) to Twilio.
OPTED_OUT_ERROR = 21610
# Twilio's MessageStatus words → ours. "accepted" and "scheduled" come before "queued"; statuses of
# received messages ("receiving", "received") and read receipts ("read") are not delivery stages.
_DELIVERY_STATUSES = {
    "accepted": DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    "queued": DeliveryStatus.QUEUED,
    "sending": DeliveryStatus.SENDING,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.CANCELED,
}

# Twilio's HTTP client logs every request at INFO; keep it quiet so no number or text is ever logged.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class TwilioProvider:
    """`SmsProvider` backed by Twilio Programmable Messaging.

    `http_client`: a `twilio.http.HttpClient` for the REST API (tests pass a stub subclass;
    default: Twilio's own client with SEND_TIMEOUT_SECONDS). With `settings.public_base_url` set,
    every message is sent with a status callback to `PUBLIC_BASE_URL/sms/status`.
    """

    name = "twilio"
    signature_header = "X-Twilio-Signature"

    def __init__(self, settings: "Settings", http_client: HttpClient | None = None) -> None:
        self._auth_token = settings.twilio_auth_token
        self._account_sid = settings.twilio_account_sid
        self._from_number = settings.twilio_from_number
        self._http_client = http_client
        base = settings.public_base_url.rstrip("/")
        self._status_callback = f"{base}{STATUS_CALLBACK_PATH}" if base else None

    # Inbound ---------------------------------------------------------------------------------

    def verify_request(self, url: str, params: Mapping[str, str], signature: str | None) -> bool:
        """Check X-Twilio-Signature with twilio's RequestValidator (see SmsProvider)."""
        if not signature or not self._auth_token:
            return False
        return bool(RequestValidator(self._auth_token).validate(url, params, signature))

    def parse_inbound(self, form: Mapping[str, str]) -> InboundSms:
        """Read MessageSid, From, To, Body and media URLs (see SmsProvider). Raises InvalidInbound."""
        def field(name: str) -> str:
            # NUL has no meaning in an SMS and PostgreSQL refuses it in text: drop it.
            """One POST field as text, without NUL characters."""
            return (form.get(name) or "").replace("\x00", "")

        message_id = (field("MessageSid") or field("SmsMessageSid")).strip()
        if not message_id or len(message_id) > 64:
            raise InvalidInbound("MessageSid missing or too long")
        try:
            media_count = min(int(form.get("NumMedia") or 0), _MAX_MEDIA)
        except ValueError:
            media_count = 0
        media = tuple(url for i in range(media_count) if (url := field(f"MediaUrl{i}").strip()))
        return InboundSms(
            provider_message_id=message_id,
            from_phone=field("From").strip(),
            to=field("To").strip(),
            body=field("Body"),
            media_urls=media,
        )

    def parse_status_callback(self, form: Mapping[str, str]) -> DeliveryReport:
        """Read MessageSid, MessageStatus and ErrorCode (see SmsProvider). Raises InvalidStatusCallback."""
        message_id = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
        if not message_id or len(message_id) > 64:
            raise InvalidStatusCallback("MessageSid missing or too long")
        raw_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
        raw_code = (form.get("ErrorCode") or "").strip()
        error_code = int(raw_code) if raw_code.isascii() and raw_code.isdigit() and len(raw_code) <= 9 else None
        return DeliveryReport(
            provider_message_id=message_id,
            status=_DELIVERY_STATUSES.get(raw_status),
            error_code=error_code,
            recipient_opted_out=error_code == OPTED_OUT_ERROR,
        )

    def simulated_request(self, url: str, sender: str, body: str) -> tuple[dict[str, str], dict[str, str]]:
        """See SmsProvider.simulated_request; the From number defaults to Twilio's test number."""
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "From": sender,
            "To": self._from_number or "+15005550006",  # Twilio's documented test number
            "Body": body,
            "NumMedia": "0",
        }
        signature = RequestValidator(self._auth_token).compute_signature(url, params)
        return params, {self.signature_header: signature}

    def reply(self, text: str | None) -> tuple[str, str]:
        """TwiML: one <Message> with `text`, or an empty <Response/> (see SmsProvider)."""
        response = MessagingResponse()
        if text:
            response.message(text)
        return str(response), "application/xml"

    # Outbound --------------------------------------------------------------------------------

    def _client(self) -> Client:
        http_client = self._http_client or TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS)
        return Client(self._account_sid, self._auth_token, http_client=http_client)

    def send(self, to: str, body: str) -> SendResult:
        """Send through Twilio's REST API and classify the outcome (see SmsProvider.send)."""
        try:
            message = self._client().messages.create(
                to=to, from_=self._from_number, body=body,
                status_callback=self._status_callback or values.unset,
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            return _result_for_error_status(getattr(exc, "status", None), getattr(exc, "code", None))
        except requests.exceptions.RequestException as exc:
            return _result_for_network_error(exc)
        except Exception as exc:  # noqa: BLE001 - a send must never raise; the request may have gone out
            return SendResult.unknown(f"unexpected {type(exc).__name__}")
        if not message.sid:
            return SendResult.unknown("Twilio answered without a message SID")
        return SendResult.sent(message.sid)


def _result_for_error_status(status: int | None, code: int | None) -> SendResult:
    """Map a Twilio error answer to a SendResult. Only codes and statuses go into `detail`:
    Twilio's message text may quote the phone number."""
    detail = f"Twilio HTTP {status} error {code}" if code is not None else f"Twilio HTTP {status}"
    if status is None:
        return SendResult.unknown(detail)
    if status == 429 or status >= 500:
        return SendResult.retry(detail, error_code=code or status)
    return SendResult.permanent(detail, error_code=code or status, recipient_opted_out=code == OPTED_OUT_ERROR)


def _result_for_network_error(exc: requests.exceptions.RequestException) -> SendResult:
    """A failure before the request could reach Twilio is safe to retry; anything later is unknown."""
    name = type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return SendResult.retry(f"connection timed out ({name})")
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return SendResult.retry(f"could not connect ({name})")
    if isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc):
        return SendResult.retry(f"could not connect ({name})")
    return SendResult.unknown(f"no answer from Twilio ({name})")


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when urllib3 says the connection was never made (refused, DNS failure)."""
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)
