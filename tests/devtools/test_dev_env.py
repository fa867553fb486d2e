"""scripts/dev-env.sh: the defaults `make run` gives the demo (a fictional hotline number and the
local public address with the console SMS backend), never overriding what is set."""

from __future__ import annotations

import os
import subprocess

from portal.core.config import ROOT, Settings
from portal.core.identity import display_mobile

NAMES = ("DEPLOYMENT_REGION", "SMS_HOTLINE_NUMBER", "PUBLIC_BASE_URL")


def dev_env(**overrides: str) -> dict[str, str]:
    """The variables of NAMES after sourcing the script in bash, with `overrides` set before."""
    env = {key: value for key, value in os.environ.items() if key not in NAMES + ("SMS_BACKEND", "PORT")}
    env.update(overrides)
    script = ". scripts/dev-env.sh; " + "; ".join(f'printf "%s=%s\\n" {name} "${{{name}-<unset>}}"' for name in NAMES)
    output = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return dict(line.split("=", 1) for line in output.stdout.splitlines())


def test_the_demo_gets_a_fictional_hotline_number_and_the_local_address_on_its_port():
    env = dev_env(PORT="8000")

    assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"
    settings = Settings.from_env(env)
    assert settings.published_hotline_number == "+8613800000000"
    assert display_mobile(settings.published_hotline_number) == "138 0000 0000"
    assert dev_env()["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_values_already_set_even_empty_are_kept():
    env = dev_env(SMS_HOTLINE_NUMBER="", PUBLIC_BASE_URL="https://demo.example.cn", DEPLOYMENT_REGION="")

    assert env == {"SMS_HOTLINE_NUMBER": "", "PUBLIC_BASE_URL": "https://demo.example.cn", "DEPLOYMENT_REGION": ""}


def test_with_twilio_the_hotline_and_public_address_get_no_demo_default():
    env = dev_env(SMS_BACKEND="twilio")

    assert env["SMS_HOTLINE_NUMBER"] == env["PUBLIC_BASE_URL"] == "<unset>"
    assert env["DEPLOYMENT_REGION"] == "320600"
