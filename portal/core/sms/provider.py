"""The SMS provider interface: what the hotline and the outbox need from whoever carries the messages.

Two implementations exist: `twilio_provider.TwilioProvider` (the only module that knows Twilio)
and `console_provider.ConsoleProvider` (development: Twilio's inbound format, but `send` prints
instead of sending). `portal.core.sms.backends.get_provider(settings)` picks one; this module
knows neither, so both can import these types without importing each other back.

Delivery-status callbacks (`POST /sms/status`) are read by `parse_status_callback` into a
`DeliveryReport`, in the provider-neutral words of `DeliveryStatus`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Mapping, Protocol, runtime_checkable

# Where the provider reports delivery (the `sms.status` route), below PUBLIC_BASE_URL.
STATUS_CALLBACK_PATH = "/sms/status"


class InvalidInbound(ValueError):
    """Raised by `parse_inbound` when a (correctly signed) request lacks what every message has."""


class InvalidStatusCallback(ValueError):
    """Raised by `parse_status_callback` when a (correctly signed) callback names no message."""


@dataclass(frozen=True)
class InboundSms:
    """One received SMS, in the provider's terms translated to ours.

    `provider_message_id`: the provider's unique id (Twilio's MessageSid), used to store each
    message once. `from_phone`: the sender as the provider gives it, normally E.164
    (`+8613800138000`); not yet normalised. `to`: our number it was sent to. `media_urls`: MMS
    attachments, if any (URLs at the provider).
    """

    provider_message_id: str
    from_phone: str
    to: str
    body: str
    media_urls: tuple[str, ...] = field(default_factory=tuple)


class SendOutcome(str, enum.Enum):
    """What became of one attempt to send.

    SENT: accepted by the provider. RETRY: certainly not sent (connection refused, 429, 5xx), safe
    to try again. PERMANENT: refused for good (4xx, for example Twilio 21610: the recipient opted
    out). UNKNOWN: the request may have reached the provider (a read timeout); never resend
    automatically, or the person may get the message twice.
    """

    SENT = "sent"
    RETRY = "retry"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SendResult:
    """The outcome of `SmsProvider.send`.

    `provider_message_id` is set when SENT. `error_code` is the provider's error code when it gave
    one (Twilio: 21610 and friends) or the HTTP status. `detail` is a short technical note for
    staff, never containing the phone number or the message text. `recipient_opted_out`: the
    provider refused because the recipient opted out with it (Twilio 21610); the portal then
    records the number as opted out too.
    """

    outcome: SendOutcome
    provider_message_id: str | None = None
    error_code: int | None = None
    detail: str = ""
    recipient_opted_out: bool = False

    @classmethod
    def sent(cls, provider_message_id: str) -> "SendResult":
        """The provider accepted the message; `provider_message_id` identifies it there."""
        return cls(SendOutcome.SENT, provider_message_id=provider_message_id)

    @classmethod
    def retry(cls, detail: str, error_code: int | None = None) -> "SendResult":
        """The send certainly failed (nothing went out): safe to try again later."""
        return cls(SendOutcome.RETRY, error_code=error_code, detail=detail)

    @classmethod
    def permanent(
        cls, detail: str, error_code: int | None = None, recipient_opted_out: bool = False
    ) -> "SendResult":
        """The provider refused the message for good (for example 21610: `recipient_opted_out`)."""
        return cls(SendOutcome.PERMANENT, error_code=error_code, detail=detail,
                   recipient_opted_out=recipient_opted_out)

    @classmethod
    def unknown(cls, detail: str) -> "SendResult":
        """The request may have gone out (a timeout after sending): never resend automatically."""
        return cls(SendOutcome.UNKNOWN, detail=detail)


class DeliveryStatus(str, enum.Enum):
    """What the provider last said about a message it accepted (its delivery-status callback).

    The values are Twilio's words, which name the common stages of any SMS gateway. A message moves
    forward only: queued → sending → sent → one final state (delivered, undelivered, failed,
    canceled). Callbacks can arrive out of order, so a report never moves a message back
    (`supersedes`).
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def stage(self) -> int:
        """0 queued, 1 sending, 2 sent, 3 final (every final state is stage 3)."""
        return _DELIVERY_STAGES[self]

    def supersedes(self) -> tuple["DeliveryStatus", ...]:
        """The statuses this one may replace: those of an earlier stage. A final state replaces no
        other final state (the first one reported stands)."""
        return tuple(status for status in DeliveryStatus if status.stage < self.stage)


_DELIVERY_STAGES = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENDING: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.UNDELIVERED: 3,
    DeliveryStatus.FAILED: 3,
    DeliveryStatus.CANCELED: 3,
}


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery-status callback, in our terms.

    `provider_message_id`: the id `send` returned (Twilio's MessageSid). `status`: None when the
    provider said something that is not a delivery stage (Twilio's "receiving", "read", …).
    `error_code`: the provider's error code, if any (Twilio's ErrorCode, e.g. 30003 unreachable).
    `recipient_opted_out`: the provider says the recipient opted out (Twilio 21610).
    """

    provider_message_id: str
    status: DeliveryStatus | None
    error_code: int | None = None
    recipient_opted_out: bool = False


@runtime_checkable
class SmsProvider(Protocol):
    """What the portal needs from an SMS provider."""

    name: str
    # The HTTP header that carries the request's signature.
    signature_header: str

    def verify_request(self, url: str, params: Mapping[str, str], signature: str | None) -> bool:
        """True when `signature` proves the provider sent these POST `params` to `url`.

        `url` is the public URL the provider called (scheme, host, path and the raw query string).
        A missing signature is never valid.
        """
        ...

    def parse_inbound(self, form: Mapping[str, str]) -> InboundSms:
        """Read one inbound SMS from the webhook's POST fields. Raises InvalidInbound."""
        ...

    def parse_status_callback(self, form: Mapping[str, str]) -> DeliveryReport:
        """Read one delivery-status callback (`POST /sms/status`) from its POST fields.
        Raises InvalidStatusCallback when it names no message."""
        ...

    def reply(self, text: str | None) -> tuple[str, str]:
        """The webhook's answer: (body, mimetype). `text` None or empty means "send no message"."""
        ...

    def send(self, to: str, body: str) -> SendResult:
        """Send one SMS now. `to`: E.164. Never raises for a provider or network failure.

        When the portal has a public address (PUBLIC_BASE_URL) the provider is asked to report
        the message's delivery to `PUBLIC_BASE_URL` + STATUS_CALLBACK_PATH.
        """
        ...

    def simulated_request(self, url: str, sender: str, body: str) -> tuple[dict[str, str], dict[str, str]]:
        """(form fields, headers) of an inbound SMS from `sender` exactly as the provider would POST
        it to `url`, signed with the configured credentials. For the developer command `sms-receive`."""
        ...
