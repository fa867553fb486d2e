"""The outbox in tests: Twilio's REST API stubbed at its HTTP client, and the worker run as the
real command in processes of its own."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from pathlib import Path

from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse

from portal.core.sms.twilio_provider import TwilioProvider

# The repository's root, where `flask --app wsgi` runs.
ROOT = Path(__file__).resolve().parent.parent.parent
PHONE = "+8613800138000"


class StubTwilioHttp(HttpClient):
    """Stands in for Twilio's REST API at the HTTP-client boundary. Each answer is
    (status, json dict) or an exception to raise; every request is recorded."""

    def __init__(self, *answers: object) -> None:
        super().__init__(logger=logging.getLogger("tests.stub_twilio"), is_async=False)
        self.answers = list(answers)
        self.requests: list[dict] = []
        self.successes = 0

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):  # noqa: PLR0913 - Twilio's signature
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        status, payload = answer
        if status < 300:
            self.successes += 1
        return TwilioResponse(status, json.dumps(payload))


def accepted(sid: str = "SM" + "a" * 32) -> tuple[int, dict]:
    return 201, {"sid": sid, "status": "queued", "to": PHONE, "body": "", "account_sid": "AC" + "0" * 32}


def twilio_provider(app, stub: StubTwilioHttp) -> TwilioProvider:
    settings = dataclasses.replace(app.config["SETTINGS"], sms_backend="twilio")
    return TwilioProvider(settings, http_client=stub)


def worker_env(app) -> dict[str, str]:
    """The environment of a worker process that works on `app`'s database with the console SMS backend."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORTAL_ENV", "LOOKUP_KEY", "DATA_ENCRYPTION_KEYS", "SMS_BACKEND", "PUBLIC_BASE_URL")}
    # The test app uses the development keys too, so the processes can read what the test wrote.
    env["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    env["SMS_BACKEND"] = "console"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def flask_command(*args: str) -> list[str]:
    """The command line of `flask --app wsgi ARGS...` with this Python."""
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]
