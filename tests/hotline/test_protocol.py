"""The SMS protocol, as Twilio speaks it: signatures behind a proxy (public URL, :443, a raw
percent-encoded query string, a real socket), twenty simultaneous deliveries of one message, and
the delivery-status callback `POST /sms/status`."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from portal.core.extensions import db
from portal.core.models import InboundMessage, OutboundMessage, OutboundStatus, SmsOptOut, Tip, utcnow
from portal.core.outbox import queue_message
from portal.core.security.crypto import phone_hash
from portal.core.sms import optout
from portal.hotline.inbox import REPLY_PURPOSE
from tests.support.settings import TWILIO_TEST_TOKEN
from tests.support.helpers import live_server
from tests.support.sms import sms_params

PUBLIC = "https://hotline.example.cn"
RECIPIENT = "+8613900139000"
CONCURRENT_TIP = "举报 我在成都火车站看到一个小孩被强迫乞讨"


def signature(url: str, params: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(TWILIO_TEST_TOKEN).compute_signature(url, params)}


def behind_proxy(app, public_base_url: str = PUBLIC) -> None:
    """The app as deployed behind a TLS-terminating proxy: it knows its public address."""
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], public_base_url=public_base_url)


def stored_messages() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage))


# Signatures behind a proxy -------------------------------------------------------------------

QUERY = "?src=a%20b&x=%E4%B8%AD"


@pytest.mark.parametrize(
    ("public_base_url", "signed_url", "path"),
    [
        (PUBLIC, f"{PUBLIC}/sms/inbound", "/sms/inbound"),
        (PUBLIC, "https://hotline.example.cn:443/sms/inbound", "/sms/inbound"),
        ("https://hotline.example.cn:443", f"{PUBLIC}/sms/inbound", "/sms/inbound"),
        (PUBLIC, f"{PUBLIC}/sms/inbound{QUERY}", f"/sms/inbound{QUERY}"),
        (PUBLIC, f"https://hotline.example.cn:443/sms/inbound{QUERY}", f"/sms/inbound{QUERY}"),
    ],
    ids=["public-url", "twilio-signed-443", "configured-443", "encoded-query", "443-and-encoded-query"],
)
def test_request_signed_for_the_public_url_is_accepted_behind_a_proxy_and_refused_if_changed(
        app, public_base_url, signed_url, path):
    behind_proxy(app, public_base_url)
    client = app.test_client()
    params = sms_params("hello")
    headers = signature(signed_url, params)

    changed = client.post(path, data={**params, "Body": "hello!"}, headers=headers)
    assert changed.status_code == 403
    assert stored_messages() == 0

    accepted = client.post(path, data=params, headers=headers)  # seen as http://localhost/...
    assert accepted.status_code == 200
    assert "<Message>" in accepted.get_data(as_text=True)
    assert stored_messages() == 1


def test_query_string_is_checked_as_sent_not_as_decoded(app):
    behind_proxy(app)
    params = sms_params("hello")
    decoded = f"{PUBLIC}/sms/inbound?src=a b&x=中"
    response = app.test_client().post(f"/sms/inbound{QUERY}", data=params, headers=signature(decoded, params))
    assert response.status_code == 403


def test_request_signed_for_the_public_url_is_accepted_on_a_real_socket_and_refused_if_changed(app):
    """The issue's wording: signed for https://hotline.example.cn/sms/inbound, received as
    http://127.0.0.1:PORT/sms/inbound by a real server."""
    behind_proxy(app)
    params = sms_params(CONCURRENT_TIP)
    headers = signature(f"{PUBLIC}/sms/inbound{QUERY}", params)
    with live_server(app) as base:
        changed = requests.post(f"{base}/sms/inbound{QUERY}", data={**params, "From": "+8613700137000"},
                                headers=headers, timeout=30)
        accepted = requests.post(f"{base}/sms/inbound{QUERY}", data=params, headers=headers, timeout=30)
    assert changed.status_code == 403
    assert accepted.status_code == 200
    assert "受理编号" in accepted.text
    db.session.expire_all()
    assert stored_messages() == 1
    assert db.session.scalar(select(func.count()).select_from(Tip)) == 1


# Twenty deliveries of one message at once ---------------------------------------------------


def test_twenty_concurrent_deliveries_of_the_same_message_store_it_once_and_all_get_its_one_answer(app):
    params = sms_params(CONCURRENT_TIP)
    count = 20
    barrier = threading.Barrier(count)
    lock = threading.Lock()
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def deliver(url: str, headers: dict[str, str]) -> None:
        try:
            with requests.Session() as session:
                barrier.wait(timeout=60)
                response = session.post(url, data=params, headers=headers, timeout=120)
            with lock:
                answers.append((response.status_code, response.text))
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)

    with live_server(app) as base:
        url = f"{base}/sms/inbound"
        threads = [threading.Thread(target=deliver, args=(url, signature(url, params))) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)

    assert not errors
    assert [status for status, _ in answers] == [200] * count
    # Whichever delivery Twilio hears back from, it carries the one tip's answer (the same text:
    # one reference, one follow-up code); only one reply is recorded.
    bodies = {body for _, body in answers}
    assert len(bodies) == 1 and "受理编号" in bodies.pop()
    db.session.expire_all()
    assert stored_messages() == 1
    assert db.session.scalar(select(func.count()).select_from(Tip)) == 1
    replies = db.session.scalars(select(OutboundMessage)).all()
    assert [(r.purpose, r.status) for r in replies] == [(REPLY_PURPOSE, OutboundStatus.REPLIED.value)]


# Delivery-status callbacks -------------------------------------------------------------------

STATUS_URL = "http://localhost/sms/status"


def sent_message(sid: str | None = None, to: str = RECIPIENT) -> OutboundMessage:
    message = queue_message(to, "您的预约已确认，受理编号TY-7K3M-9Q2P。", "booking_confirmation")
    message.status, message.sent_at, message.attempts = OutboundStatus.SENT.value, utcnow(), 1
    message.provider_message_id = sid or "SM" + uuid.uuid4().hex
    db.session.commit()
    return message


def status_params(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
              "AccountSid": "AC" + "0" * 32, "From": "+15005550006", "To": RECIPIENT, "ApiVersion": "2010-04-01"}
    if error_code is not None:
        params["ErrorCode"] = error_code
    return params


def report(client, params: dict[str, str], url: str = STATUS_URL, path: str = "/sms/status"):
    return client.post(path, data=params, headers=signature(url, params))


def reload(message: OutboundMessage) -> OutboundMessage:
    db.session.expire_all()
    return db.session.get(OutboundMessage, message.id)


def test_delivery_report_is_recorded_on_the_message_and_answered_with_an_empty_200(client):
    message = sent_message()

    response = report(client, status_params(message.provider_message_id, "delivered"))

    assert response.status_code == 200 and response.get_data() == b""
    row = reload(message)
    assert row.delivery_status == "delivered" and row.delivery_error_code is None
    assert row.delivery_updated_at is not None
    assert row.status == OutboundStatus.SENT.value  # what the worker recorded stays


def test_delivery_reports_move_a_message_forward_only_whatever_order_they_arrive_in(client):
    message = sent_message()
    sid = message.provider_message_id
    seen = []
    for status in ("queued", "sent", "delivered", "sent", "queued", "sending", "undelivered", "failed"):
        assert report(client, status_params(sid, status)).status_code == 200
        seen.append(reload(message).delivery_status)
    assert seen == ["queued", "sent", "delivered", "delivered", "delivered", "delivered", "delivered", "delivered"]


def test_an_undelivered_report_keeps_its_error_code(client):
    message = sent_message()
    report(client, status_params(message.provider_message_id, "sent"))
    report(client, status_params(message.provider_message_id, "undelivered", "30003"))
    row = reload(message)
    assert (row.delivery_status, row.delivery_error_code) == ("undelivered", 30003)
    assert not optout.is_opted_out(phone_hash(RECIPIENT))


def test_a_report_for_an_unknown_message_is_answered_200_and_changes_nothing(client):
    message = sent_message()
    response = report(client, status_params("SM" + "f" * 32, "delivered"))
    assert response.status_code == 200 and response.get_data() == b""
    assert reload(message).delivery_status is None


def test_a_report_that_is_not_a_delivery_stage_changes_nothing(client):
    message = sent_message()
    report(client, status_params(message.provider_message_id, "delivered"))
    for status in ("read", "receiving", "", "<script>"):
        assert report(client, status_params(message.provider_message_id, status)).status_code == 200
    assert reload(message).delivery_status == "delivered"


def test_a_signed_report_without_a_message_id_is_answered_200(client):
    params = status_params("", "delivered")
    del params["MessageSid"], params["SmsSid"]
    assert report(client, params).status_code == 200


def test_a_report_with_error_21610_records_the_number_as_opted_out(client):
    message = sent_message()
    response = report(client, status_params(message.provider_message_id, "failed", "21610"))
    assert response.status_code == 200
    assert (reload(message).delivery_status, reload(message).delivery_error_code) == ("failed", 21610)
    assert optout.is_opted_out(phone_hash(RECIPIENT))
    assert db.session.scalars(select(SmsOptOut)).one().source == optout.PROVIDER


@pytest.mark.parametrize("how", ["unsigned", "wrong token", "changed after signing", "signed for another path"])
def test_an_unproven_delivery_report_is_refused_and_changes_nothing(client, how):
    message = sent_message()
    params = status_params(message.provider_message_id, "failed", "21610")
    if how == "unsigned":
        response = client.post("/sms/status", data=params)
    elif how == "wrong token":
        headers = {"X-Twilio-Signature": RequestValidator("not-the-token").compute_signature(STATUS_URL, params)}
        response = client.post("/sms/status", data=params, headers=headers)
    elif how == "changed after signing":
        headers = signature(STATUS_URL, status_params(message.provider_message_id, "delivered"))
        response = client.post("/sms/status", data=params, headers=headers)
    else:
        response = client.post("/sms/status", data=params, headers=signature("http://localhost/sms/inbound", params))
    assert response.status_code == 403
    assert reload(message).delivery_status is None
    assert not optout.is_opted_out(phone_hash(RECIPIENT))


def test_a_delivery_report_signed_for_the_public_url_is_accepted_behind_a_proxy(app):
    behind_proxy(app)
    message = sent_message()
    params = status_params(message.provider_message_id, "delivered")
    client = app.test_client()
    assert report(client, params).status_code == 403  # signed for the address the app sees
    assert report(client, params, url="https://hotline.example.cn:443/sms/status").status_code == 200
    assert reload(message).delivery_status == "delivered"


def test_a_delivery_report_needs_no_csrf_token_and_is_not_rate_limited(client):
    message = sent_message()
    statuses = {report(client, status_params(message.provider_message_id, "sent")).status_code for _ in range(30)}
    assert statuses == {200}


def test_a_failing_record_still_answers_200(client, monkeypatch):
    # Our own code is made to fail here only to simulate an internal error inside the callback.
    import portal.hotline.views

    def broken(report, now):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(portal.hotline.views, "record_delivery_report", broken)
    message = sent_message()
    response = report(client, status_params(message.provider_message_id, "delivered"))
    assert response.status_code == 200 and response.get_data() == b""


def test_the_worker_sends_and_a_delivery_report_then_finds_the_message(app):
    """From the outbox to the callback: the id Twilio returned is the one its callback names."""
    import json
    import logging

    from twilio.http import HttpClient
    from twilio.http.response import Response as TwilioResponse

    from portal.core.outbox.worker import run_pass
    from portal.core.sms.twilio_provider import TwilioProvider

    class AcceptingTwilio(HttpClient):
        def __init__(self) -> None:
            super().__init__(logger=logging.getLogger("tests.stub_twilio"), is_async=False)
            self.callbacks: list[str] = []

        def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None,
                    allow_redirects=False):  # noqa: PLR0913 - Twilio's signature
            self.callbacks.append((data or {}).get("StatusCallback"))
            return TwilioResponse(201, json.dumps({"sid": "SM" + "d" * 32, "status": "queued"}))

    behind_proxy(app)
    message = queue_message(RECIPIENT, "短信内容", "tip_question")
    db.session.commit()
    stub = AcceptingTwilio()
    run_pass(TwilioProvider(dataclasses.replace(app.config["SETTINGS"], sms_backend="twilio"), http_client=stub),
             now=utcnow() + timedelta(seconds=1))
    assert stub.callbacks == [f"{PUBLIC}/sms/status"]

    params = status_params("SM" + "d" * 32, "delivered")
    assert report(app.test_client(), params, url=stub.callbacks[0]).status_code == 200
    assert reload(message).delivery_status == "delivered"
