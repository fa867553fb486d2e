"""`flask --app wsgi sms-receive`: try the SMS hotline from a terminal, without a phone or a provider."""

from __future__ import annotations

import click
from flask import Flask, current_app

from portal.core.sms.simulate import deliver_locally


def receive_locally(sender: str, body: str) -> tuple[int, str]:
    """Send one SMS through the real webhook (`POST /sms/inbound`), signed exactly as the provider
    signs it with the configured credentials. Returns (HTTP status, reply body).

    For development and demos; it never reaches an outside service.
    """
    delivery = deliver_locally(current_app._get_current_object(), sender, body, "http://localhost")  # type: ignore[attr-defined]
    return delivery.status, delivery.answer


def register(app: Flask) -> None:
    """Add the `sms-receive` command to the app's CLI."""
    @app.cli.command("sms-receive")
    @click.option("--from", "sender", default="+8613800138000", show_default=True, help="the sender's number")
    @click.argument("text")
    def sms_receive(sender: str, text: str) -> None:
        """Send TEXT to the hotline as if from a phone, and print the reply."""
        status, reply = receive_locally(sender, text)
        click.echo(f"HTTP {status}")
        click.echo(reply)
