"""The SMS backends by name: the one module that knows every `SmsProvider` implementation.

`settings.sms_backend` (SMS_BACKEND) names the backend; `get_provider` builds it. The interface the
backends implement lives in `portal.core.sms.provider`, below them, so no backend imports this
module back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.core.sms.console_provider import ConsoleProvider
from portal.core.sms.provider import SmsProvider
from portal.core.sms.twilio_provider import TwilioProvider

if TYPE_CHECKING:
    from portal.core.config import Settings


def get_provider(settings: "Settings") -> SmsProvider:
    """The provider chosen by `settings.sms_backend` ("twilio" or "console").

    Raises ValueError for any other name.
    """
    if settings.sms_backend == "twilio":
        return TwilioProvider(settings)
    if settings.sms_backend == "console":
        return ConsoleProvider(settings)
    raise ValueError(f"unknown SMS backend {settings.sms_backend!r}")
