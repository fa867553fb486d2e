"""`flask --app wsgi sms-receive`: try the SMS hotline from a terminal, without a phone or Twilio."""

from __future__ import annotations

import uuid

import click
from flask import Flask, current_app
from twilio.request_validator import RequestValidator

from portal.sms.provider import get_provider


def receive_locally(sender: str, body: str) -> tuple[int, str]:
    """Send one SMS through the real webhook (`POST /sms/inbound`), signed exactly as the provider
    signs it with the configured TWILIO_AUTH_TOKEN. Returns (HTTP status, reply body: TwiML).

    For development and demos; it never reaches an outside service.
    """
    settings = current_app.config["SETTINGS"]
    base = settings.public_base_url or "http://localhost"
    url = f"{base}/sms/inbound"
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "From": sender,
        "To": settings.twilio_from_number or "+15005550006",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(url, params)
    provider = get_provider(settings)
    client = current_app.test_client()
    response = client.post(
        "/sms/inbound", data=params, base_url=base, headers={provider.signature_header: signature}
    )
    return response.status_code, response.get_data(as_text=True)


def register(app: Flask) -> None:
    @app.cli.command("sms-receive")
    @click.option("--from", "sender", default="+8613800138000", show_default=True, help="the sender's number")
    @click.argument("text")
    def sms_receive(sender: str, text: str) -> None:
        """Send TEXT to the hotline as if from a phone, and print the reply (TwiML)."""
        status, reply = receive_locally(sender, text)
        click.echo(f"HTTP {status}")
        click.echo(reply)
