"""Settings, read once from environment variables.

Every setting is documented in the README's configuration table. Development gets safe,
clearly-marked defaults so that `make run` works on a fresh machine; production refuses to
start without its secrets (see `Settings.problems`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from portal.core import regions
from portal.core.identity import InvalidMobileNumber, normalise_mobile

ROOT = Path(__file__).resolve().parents[2]
INSTANCE_DIR = ROOT / "instance"

# Development-only keys. They are public (they are in this file), so production refuses them.
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"  # noqa: S105 - public on purpose (above)
DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktbm90LWZvci1wcm9kISE="  # Fernet key, 32 bytes base64
DEV_LOOKUP_KEY = "dev-only-lookup-key-not-for-production"
DEV_TWILIO_AUTH_TOKEN = "dev-only-twilio-auth-token"  # noqa: S105 - public on purpose (above)

SMS_BACKENDS = ("console", "twilio")
# The largest request the app reads (Flask's MAX_CONTENT_LENGTH): a larger post is refused before
# any of it is read. An attachment must fit in one request with the rest of its form.
MAX_REQUEST_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENT_BYTES = MAX_REQUEST_BYTES - 1024 * 1024
PORTAL_ENVS = ("development", "production")


class ConfigurationError(RuntimeError):
    """Raised when the settings cannot run the portal (for example production without secrets)."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from exc


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigurationError(f"{name} must be 1 or more, got {value}")
    return value


def _clock(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    parts = raw.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[0]) > 23 or int(parts[1]) > 59:
        raise ConfigurationError(f"{name} must be a local time like 10:00, got {raw!r}")
    return f"{int(parts[0]):02d}:{int(parts[1]):02d}"


def _division_code(env: Mapping[str, str], name: str) -> str:
    """A six-digit administrative-division code (GB/T 2260, as `portal.core.regions` knows them),
    or "" when the variable is unset or empty."""
    raw = env.get(name, "").strip()
    if not raw:
        return ""
    if len(raw) != 6 or not raw.isdigit() or regions.division(raw) is None:
        raise ConfigurationError(
            f"{name} must be a six-digit administrative-division code (GB/T 2260) of a province, city or "
            f"district, like 320600 for 江苏省南通市, got {raw!r}"
        )
    return raw


def _attachment_max_bytes(env: Mapping[str, str], default: int) -> int:
    """ATTACHMENT_MAX_BYTES: a whole number of bytes from 1 to MAX_ATTACHMENT_BYTES, so that an
    upload refused for its size is refused by the portal, in words on the item page, and not
    by the request limit (MAX_REQUEST_BYTES) before the page could say anything."""
    value = _int(env, "ATTACHMENT_MAX_BYTES", default)
    if not 0 < value <= MAX_ATTACHMENT_BYTES:
        raise ConfigurationError(
            f"ATTACHMENT_MAX_BYTES must be from 1 to {MAX_ATTACHMENT_BYTES} (1 MB under the "
            f"{MAX_REQUEST_BYTES}-byte request limit), got {value}"
        )
    return value


def _phone_list(raw: str) -> tuple[str, ...]:
    """Comma-separated mobile numbers, each normalised to E.164 (China assumed without a +)."""
    numbers = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            numbers.append(normalise_mobile(part))
        except InvalidMobileNumber as exc:
            raise ConfigurationError(f"DUTY_PHONE_NUMBERS: {part!r} is not a mobile number") from exc
    return tuple(numbers)


@dataclass(frozen=True)
class Settings:
    """The portal's configuration, immutable once read.

    Times are in UTC unless a name says otherwise; durations carry their unit in the name.
    """

    portal_env: str = "development"
    secret_key: str = DEV_SECRET_KEY
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
    ratelimit_storage_uri: str = "memory://"
    sms_backend: str = "console"
    twilio_account_sid: str = ""
    twilio_auth_token: str = DEV_TWILIO_AUTH_TOKEN
    twilio_from_number: str = ""
    # The SMS hotline number the public are told to text (as published, e.g. +86 138 0013 8000 or a
    # short code); empty: the number outbound SMS are sent from (TWILIO_FROM_NUMBER), if any.
    sms_hotline_number: str = ""
    public_base_url: str = ""
    trusted_proxy_count: int = 0
    # Fernet keys, newest first; data encrypted under any of them can be read (key rotation).
    data_encryption_keys: tuple[str, ...] = (DEV_DATA_KEY,)
    # HMAC-SHA256 key for lookup hashes (phone, identity number) and follow-up codes.
    lookup_key: str = DEV_LOOKUP_KEY
    feedback_deadline_days: int = 7
    site_timezone: str = "Asia/Shanghai"
    ratelimit_public_post: str = "20 per minute;200 per hour"
    ratelimit_login: str = "10 per minute;50 per hour"
    follow_up_code_display_minutes: int = 60
    # Local time (HH:MM, in each site's zone) at which the day-before sampling reminder is sent.
    sampling_reminder_time: str = "10:00"
    # Attempts at /sampling/manage (reference + mobile), per client address.
    ratelimit_sampling_manage: str = "5 per minute;30 per hour"
    # Booking drafts: the answers of a booking in progress, kept server-side between its pages.
    sampling_draft_hours: int = 4
    # Bookings refused because an identity number (or the mobile number) already has bookings,
    # per client address: keeps the refusal from being used to test many identity numbers.
    ratelimit_sampling_identity_refusals: str = "3 per hour;10 per day"
    # Tip journey (issue 3). Drafts: answers kept server-side between the pages of the form.
    tip_draft_hours: int = 4
    # Photos sent with tips: outside the web root, never served to the public.
    tip_photo_dir: str = str(INSTANCE_DIR / "tip-photos")
    tip_photo_max_mb: int = 10
    # Files staff attach to an item (photos, PDFs): the largest accepted, in bytes, as uploaded.
    attachment_max_bytes: int = 10 * 1024 * 1024
    # The same report (every answer the same, no photos) from the same browser within this many minutes is one tip.
    tip_repeat_minutes: int = 10
    # Progress checks: wrong follow-up codes allowed per reference before it is locked, and for how long.
    follow_up_max_failures: int = 5
    follow_up_lock_minutes: int = 30
    ratelimit_status_lookup: str = "10 per minute;60 per hour"
    # The question pages of a tip only save a draft; a journey posts a dozen times.
    ratelimit_tip_steps: str = "60 per minute;600 per hour"
    # Where "Exit this page" goes once /exit has forgotten the visitor's answers: a neutral page on another site.
    exit_page_url: str = "https://www.baidu.com/"
    # Staff console (issue 6).
    staff_idle_minutes: int = 30
    # However active, a staff session ends this many hours after sign-in.
    staff_session_max_hours: int = 12
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    login_address_max_failures: int = 20
    # How often an open staff page asks for new urgent items (portal/staff/live_alerts.py), seconds.
    staff_alert_poll_seconds: int = 20
    # E.164 numbers of the officers on duty, told by SMS of every urgent tip at once.
    duty_phone_numbers: tuple[str, ...] = ()
    retention_days: int = 90
    # SMS hotline (issue 5). A conversation (tip, booking, cancellation) idle this long starts afresh.
    sms_conversation_idle_minutes: int = 30
    # More messages than this from one number within a minute are stored and flagged, not answered.
    sms_burst_per_minute: int = 20
    # The deployment's own division (issue 15): six-digit GB/T 2260 code, "" for none. Names shared
    # by several divisions (通州区: 北京 and 南通) are ranked by its province and city, in the public
    # region search and when places are recognised in a tip's words.
    deployment_region: str = ""
    # PDFs (case files) are made in a child process (portal.core.pdf); it is stopped after this
    # many seconds. Keep it under GUNICORN_TIMEOUT, or gunicorn kills the web worker first.
    pdf_timeout_seconds: int = 20
    # The most sites one upload on the staff import page may list (the web request must end well
    # within GUNICORN_TIMEOUT; `flask import-sites` takes any number).
    site_import_max_rows: int = 500

    @property
    def published_hotline_number(self) -> str:
        """The SMS hotline number the public are told to text (the start page, posters), as
        configured: SMS_HOTLINE_NUMBER, else TWILIO_FROM_NUMBER; "" when neither is set."""
        return self.sms_hotline_number or self.twilio_from_number

    @property
    def is_production(self) -> bool:
        """True when PORTAL_ENV is production."""
        return self.portal_env == "production"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from `env` (default: `os.environ`).

        Raises ConfigurationError for a value that cannot be parsed or is not one of the allowed
        choices. Missing values take the development defaults; `problems()` says which of those
        production refuses.
        """
        env = os.environ if env is None else env
        portal_env = env.get("PORTAL_ENV", "development").strip() or "development"
        if portal_env not in PORTAL_ENVS:
            raise ConfigurationError(f"PORTAL_ENV must be one of {', '.join(PORTAL_ENVS)}, got {portal_env!r}")
        sms_backend = env.get("SMS_BACKEND", "console").strip() or "console"
        if sms_backend not in SMS_BACKENDS:
            raise ConfigurationError(f"SMS_BACKEND must be one of {', '.join(SMS_BACKENDS)}, got {sms_backend!r}")
        keys = tuple(k.strip() for k in env.get("DATA_ENCRYPTION_KEYS", "").split(",") if k.strip())
        defaults = cls()
        return cls(
            portal_env=portal_env,
            secret_key=env.get("SECRET_KEY", "").strip() or DEV_SECRET_KEY,
            database_url=env.get("DATABASE_URL", "").strip() or defaults.database_url,
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://",
            sms_backend=sms_backend,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip() or DEV_TWILIO_AUTH_TOKEN,
            twilio_from_number=env.get("TWILIO_FROM_NUMBER", "").strip(),
            sms_hotline_number=env.get("SMS_HOTLINE_NUMBER", "").strip(),
            public_base_url=env.get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
            trusted_proxy_count=_int(env, "TRUSTED_PROXY_COUNT", 0),
            data_encryption_keys=keys or (DEV_DATA_KEY,),
            lookup_key=env.get("LOOKUP_KEY", "").strip() or DEV_LOOKUP_KEY,
            feedback_deadline_days=_int(env, "FEEDBACK_DEADLINE_DAYS", 7),
            site_timezone=env.get("SITE_TIMEZONE", "").strip() or "Asia/Shanghai",
            ratelimit_public_post=env.get("RATELIMIT_PUBLIC_POST", "").strip() or defaults.ratelimit_public_post,
            ratelimit_login=env.get("RATELIMIT_LOGIN", "").strip() or defaults.ratelimit_login,
            sampling_reminder_time=_clock(env, "SAMPLING_REMINDER_TIME", defaults.sampling_reminder_time),
            ratelimit_sampling_manage=env.get("RATELIMIT_SAMPLING_MANAGE", "").strip()
            or defaults.ratelimit_sampling_manage,
            sampling_draft_hours=_int(env, "SAMPLING_DRAFT_HOURS", defaults.sampling_draft_hours),
            ratelimit_sampling_identity_refusals=env.get("RATELIMIT_SAMPLING_IDENTITY_REFUSALS", "").strip()
            or defaults.ratelimit_sampling_identity_refusals,
            tip_draft_hours=_int(env, "TIP_DRAFT_HOURS", defaults.tip_draft_hours),
            tip_photo_dir=env.get("TIP_PHOTO_DIR", "").strip() or defaults.tip_photo_dir,
            tip_photo_max_mb=_int(env, "TIP_PHOTO_MAX_MB", defaults.tip_photo_max_mb),
            attachment_max_bytes=_attachment_max_bytes(env, defaults.attachment_max_bytes),
            tip_repeat_minutes=_int(env, "TIP_REPEAT_MINUTES", defaults.tip_repeat_minutes),
            follow_up_max_failures=_int(env, "FOLLOW_UP_MAX_FAILURES", defaults.follow_up_max_failures),
            follow_up_lock_minutes=_int(env, "FOLLOW_UP_LOCK_MINUTES", defaults.follow_up_lock_minutes),
            ratelimit_status_lookup=env.get("RATELIMIT_STATUS_LOOKUP", "").strip() or defaults.ratelimit_status_lookup,
            exit_page_url=env.get("EXIT_PAGE_URL", "").strip() or defaults.exit_page_url,
            ratelimit_tip_steps=env.get("RATELIMIT_TIP_STEPS", "").strip() or defaults.ratelimit_tip_steps,
            staff_idle_minutes=_int(env, "STAFF_IDLE_MINUTES", defaults.staff_idle_minutes),
            staff_session_max_hours=_int(env, "STAFF_SESSION_MAX_HOURS", defaults.staff_session_max_hours),
            staff_alert_poll_seconds=_positive_int(env, "STAFF_ALERT_POLL_SECONDS", defaults.staff_alert_poll_seconds),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", defaults.login_max_failures),
            login_lock_minutes=_int(env, "LOGIN_LOCK_MINUTES", defaults.login_lock_minutes),
            login_address_max_failures=_int(env, "LOGIN_ADDRESS_MAX_FAILURES", defaults.login_address_max_failures),
            duty_phone_numbers=_phone_list(env.get("DUTY_PHONE_NUMBERS", "")),
            retention_days=_int(env, "RETENTION_DAYS", defaults.retention_days),
            sms_conversation_idle_minutes=_int(env, "SMS_CONVERSATION_IDLE_MINUTES",
                                               defaults.sms_conversation_idle_minutes),
            sms_burst_per_minute=_int(env, "SMS_BURST_PER_MINUTE", defaults.sms_burst_per_minute),
            deployment_region=_division_code(env, "DEPLOYMENT_REGION"),
            pdf_timeout_seconds=_positive_int(env, "PDF_TIMEOUT_SECONDS", defaults.pdf_timeout_seconds),
            site_import_max_rows=_positive_int(env, "SITE_IMPORT_MAX_ROWS", defaults.site_import_max_rows),
        )

    def problems(self) -> list[str]:
        """Return what stops these settings from running in production (empty when fine).

        Only meaningful when `is_production`; development accepts the built-in defaults.
        """
        found: list[str] = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            found.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if DEV_DATA_KEY in self.data_encryption_keys:
            found.append("DATA_ENCRYPTION_KEYS must be set to your own Fernet key(s), not the development key")
        if self.lookup_key == DEV_LOOKUP_KEY or len(self.lookup_key) < 32:
            found.append("LOOKUP_KEY must be set to a random value of at least 32 characters")
        if self.sms_backend == "console":
            found.append("SMS_BACKEND must be 'twilio' in production (the console backend sends nothing)")
        else:
            if not self.twilio_account_sid:
                found.append("TWILIO_ACCOUNT_SID must be set when SMS_BACKEND is 'twilio'")
            if self.twilio_auth_token == DEV_TWILIO_AUTH_TOKEN:
                found.append("TWILIO_AUTH_TOKEN must be set when SMS_BACKEND is 'twilio'")
            if not self.twilio_from_number:
                found.append("TWILIO_FROM_NUMBER must be set when SMS_BACKEND is 'twilio'")
        if not self.public_base_url.startswith("https://"):
            found.append("PUBLIC_BASE_URL must be the portal's public https:// address in production")
        return found

    def check_production(self) -> None:
        """Raise ConfigurationError naming every wrong setting, when running in production."""
        if self.is_production:
            found = self.problems()
            if found:
                raise ConfigurationError("Refusing to start in production:\n  - " + "\n  - ".join(found))
