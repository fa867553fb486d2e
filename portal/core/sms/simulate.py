"""Sending an SMS to the hotline from inside the portal, exactly as the provider would deliver it.

For development and demos (the `sms-receive` command and the `/dev/sms` simulator): the message
is signed with the configured credentials (`SmsProvider.simulated_request`) and dispatched as a
separate WSGI request to the real webhook, `POST /sms/inbound`, which checks the signature and
answers as it answers the provider. Nothing reaches an outside service.
"""

from __future__ import annotations

import contextvars
import xml.etree.ElementTree as ElementTree  # noqa: S405 - parses only the portal's own TwiML
from dataclasses import dataclass

from flask import Flask
from werkzeug.test import Client

from portal.core.sms.backends import get_provider

INBOUND_ENDPOINT = "sms.inbound"


@dataclass(frozen=True)
class LocalDelivery:
    """What the webhook made of one simulated SMS.

    `status`: its HTTP status (200 after a valid signature). `answer`: its body (TwiML).
    `message_id`: the provider message id the simulated SMS carried (Twilio's MessageSid).
    `reply`: the text of the reply message in the answer, or None when it sent none.
    """

    status: int
    answer: str
    message_id: str
    reply: str | None


def inbound_path(app: Flask) -> str:
    """The webhook's path inside the app (`/sms/inbound`), from the URL map."""
    return next(app.url_map.iter_rules(INBOUND_ENDPOINT)).rule


def reply_text(twiml: str) -> str | None:
    """The text of the <Message> elements in the webhook's TwiML answer (joined by a blank line
    when there are several), or None when there is none or the answer is not XML.

    Only for the portal's own answer: not for XML from outside (ElementTree is not hardened).
    """
    try:
        root = ElementTree.fromstring(twiml)  # noqa: S314 - our own webhook's output
    except ElementTree.ParseError:
        return None
    texts = [element.text or "" for element in root.iter("Message")]
    return "\n\n".join(texts) if texts else None


def deliver_locally(app: Flask, sender: str, body: str, base_url: str) -> LocalDelivery:
    """Send `body` from `sender` (E.164) to the app's own webhook, signed as the provider signs it.

    `base_url`: the address the webhook is reached at when PUBLIC_BASE_URL is not set (for
    example the page's `request.root_url`, or `http://localhost`); with PUBLIC_BASE_URL set the
    request is signed for, and sent as, that address, as the webhook expects. The request runs
    in a fresh context (its own app context, `g` and database session), as a separate request
    from the provider would. Never raises for what the webhook answers; raises only if the app
    has no webhook route.
    """
    settings = app.config["SETTINGS"]
    base = (settings.public_base_url or base_url).rstrip("/")
    path = inbound_path(app)
    params, headers = get_provider(settings).simulated_request(f"{base}{path}", sender, body)
    client = Client(app)
    response = contextvars.Context().run(client.post, path, base_url=base, data=params, headers=headers)
    answer = response.get_data(as_text=True)
    return LocalDelivery(
        status=response.status_code,
        answer=answer,
        message_id=params["MessageSid"],
        reply=reply_text(answer) if response.status_code == 200 else None,
    )
