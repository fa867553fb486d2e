"""The test app's settings and the database the suite runs on.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet

from portal.core.config import Settings

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
TWILIO_TEST_TOKEN = "test-twilio-auth-token"

# An environment production accepts: every secret set, Twilio configured.
GOOD_PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "DATA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "LOOKUP_KEY": "l" * 40,
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM_NUMBER": "+15005550006",
    "PUBLIC_BASE_URL": "https://hotline.example.cn",
    "DATABASE_URL": "sqlite:///:memory:",
}


def make_settings(database_url: str = "", **overrides: object) -> Settings:
    """Settings for tests: console SMS, in-memory limits, and a Twilio token only tests know."""
    values: dict = dict(
        database_url=database_url,
        twilio_auth_token=TWILIO_TEST_TOKEN,
        twilio_account_sid="AC" + "0" * 32,
        twilio_from_number="+15005550006",
        public_base_url="",
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
