"""The development SMS backend: reads Twilio's inbound format, prints what it would send."""

from __future__ import annotations

import sys
import uuid

from portal.core.security.masking import mask_phone_for_log
from portal.core.sms.provider import SendResult
from portal.core.sms.twilio_provider import TwilioProvider


class ConsoleProvider(TwilioProvider):
    """Verifies and parses inbound requests exactly as Twilio's (the dev simulator signs them the
    same way); `send` prints one line to standard output and reports the message sent."""

    name = "console"

    def send(self, to: str, body: str) -> SendResult:
        """Print the message (number masked) instead of sending it; always `sent`."""
        one_line = " ".join(body.split())
        print(f"[console SMS] to {mask_phone_for_log(to)}: {one_line}", file=sys.stdout, flush=True)
        return SendResult.sent(f"console-{uuid.uuid4()}")
