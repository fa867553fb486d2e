"""The booking, progress and cancellation flows are tested through whole conversations, sent as
signed webhook requests one after another at once."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Limits a whole conversation cannot reach: the burst limit counts every message of a number
    within a minute, and these tests send a conversation's messages at once (the burst rule has
    its own tests in tests/hotline/test_conversations.py); the web's public POST limit and the
    limit of refused bookings are raised as well."""
    return dict(sms_burst_per_minute=1000, ratelimit_public_post="1000 per minute",
                ratelimit_sampling_identity_refusals="1000 per minute")
