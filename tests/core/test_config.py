"""Settings come from the environment once; production refuses to start without its secrets."""

import pytest
from cryptography.fernet import Fernet

from portal.app import create_app
from portal.core.config import ConfigurationError, Settings
from tests.support.settings import GOOD_PRODUCTION


def test_development_defaults_need_no_environment():
    settings = Settings.from_env({})
    assert settings.portal_env == "development"
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("instance/portal.sqlite3")
    assert settings.ratelimit_storage_uri == "memory://"
    assert settings.sms_backend == "console"
    settings.check_production()  # development never refuses


def test_production_starts_with_real_secrets():
    settings = Settings.from_env(GOOD_PRODUCTION)
    assert settings.problems() == []
    app = create_app(settings=settings)
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("DATA_ENCRYPTION_KEYS", "DATA_ENCRYPTION_KEYS"),
        ("LOOKUP_KEY", "LOOKUP_KEY"),
        ("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN"),
        ("PUBLIC_BASE_URL", "PUBLIC_BASE_URL"),
    ],
)
def test_production_refuses_to_start_without_a_secret_and_names_it(missing, named):
    env = {k: v for k, v in GOOD_PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigurationError, match=named):
        create_app(settings=Settings.from_env(env))


def test_production_refuses_the_console_sms_backend():
    with pytest.raises(ConfigurationError, match="SMS_BACKEND"):
        create_app(settings=Settings.from_env({**GOOD_PRODUCTION, "SMS_BACKEND": "console"}))


def test_unknown_choices_are_refused_with_the_setting_named():
    with pytest.raises(ConfigurationError, match="SMS_BACKEND"):
        Settings.from_env({"SMS_BACKEND": "carrier-pigeon"})
    with pytest.raises(ConfigurationError, match="PORTAL_ENV"):
        Settings.from_env({"PORTAL_ENV": "staging"})
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXY_COUNT"):
        Settings.from_env({"TRUSTED_PROXY_COUNT": "two"})


def test_several_encryption_keys_are_read_newest_first():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = Settings.from_env({"DATA_ENCRYPTION_KEYS": f"{new}, {old}"})
    assert settings.data_encryption_keys == (new, old)


def test_deployment_region_is_read_as_a_division_code():
    assert Settings.from_env({}).deployment_region == ""
    assert Settings.from_env({"DEPLOYMENT_REGION": " 320600 "}).deployment_region == "320600"


@pytest.mark.parametrize("wrong", ["南通", "3206", "999999", "32060O"])
def test_a_deployment_region_that_is_no_division_code_is_refused_with_the_setting_named(wrong):
    with pytest.raises(ConfigurationError, match="DEPLOYMENT_REGION must be a six-digit"):
        Settings.from_env({"DEPLOYMENT_REGION": wrong})


def test_pdf_timeout_is_read_in_seconds_and_must_be_at_least_one():
    assert Settings.from_env({"PDF_TIMEOUT_SECONDS": "25"}).pdf_timeout_seconds == 25
    assert Settings.from_env({}).pdf_timeout_seconds == 20
    with pytest.raises(ConfigurationError, match="PDF_TIMEOUT_SECONDS"):
        Settings.from_env({"PDF_TIMEOUT_SECONDS": "0"})


def test_the_attachment_limit_is_read_in_bytes_and_must_fit_in_one_request():
    assert Settings.from_env({}).attachment_max_bytes == 10 * 1024 * 1024
    assert Settings.from_env({"ATTACHMENT_MAX_BYTES": "2097152"}).attachment_max_bytes == 2 * 1024 * 1024
    assert create_app(settings=Settings.from_env({})).config["MAX_CONTENT_LENGTH"] == 25 * 1024 * 1024
    # Over 24 MB, a file too large would be cut off by the 25 MB request limit before the portal
    # could say so on the item page.
    for wrong in ("0", "-1", str(24 * 1024 * 1024 + 1), "10MB"):
        with pytest.raises(ConfigurationError, match="ATTACHMENT_MAX_BYTES"):
            Settings.from_env({"ATTACHMENT_MAX_BYTES": wrong})
def test_the_alert_poll_interval_is_read_and_refused_below_one_second() -> None:
    assert Settings.from_env({}).staff_alert_poll_seconds == 20
    assert Settings.from_env({"STAFF_ALERT_POLL_SECONDS": "5"}).staff_alert_poll_seconds == 5
    for bad in ("0", "-3", "soon"):
        with pytest.raises(ConfigurationError, match="STAFF_ALERT_POLL_SECONDS"):
            Settings.from_env({"STAFF_ALERT_POLL_SECONDS": bad})
