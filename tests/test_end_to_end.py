"""The issue's end-to-end promises, each in one test: an SMS tip reaches the staff queue, and a web
booking's SMS confirmation is delivered exactly once even by two workers at the same time."""

from __future__ import annotations

import re
import subprocess
import uuid

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import OutboundMessage, OutboundStatus
from portal.core.permissions import Role
from tests.support.factories import create_site, create_slot, create_staff
from tests.support.helpers import get_page, text_of
from tests.support.staff import sign_in
from tests.support.outbox import ROOT, flask_command, worker_env
from tests.support.sms import signed_post, sms_params

SMS_TIP = "举报 我在成都火车站看到一个小孩被成年人强迫乞讨"


def _signed_in_staff_client(app):
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    client = app.test_client()
    assert sign_in(client, "officer").status_code == 303
    return client


def test_signed_sms_tip_appears_in_the_staff_queue_with_channel_sms(app):
    params = sms_params(SMS_TIP, message_sid="SM" + uuid.uuid4().hex)
    reply = signed_post(app.test_client(), params)
    assert reply.status_code == 200
    reference = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", reply.get_data(as_text=True)).group(0)

    staff = _signed_in_staff_client(app)
    response, _ = get_page(staff, "/staff/queue", headers={"Accept-Language": "en"})
    row = next(line for line in response.get_data(as_text=True).split("<tr") if reference in line)
    assert "SMS" in row

    item, _ = get_page(staff, f"/staff/items/{reference}", headers={"Accept-Language": "en"})
    assert "我在成都火车站看到一个小孩被成年人强迫乞讨" in text_of(item)

    # A repeated delivery (its first answer lost) gets the same answer and makes no second item.
    again = signed_post(app.test_client(), params)
    assert again.status_code == 200
    assert again.get_data(as_text=True) == reply.get_data(as_text=True)
    response, _ = get_page(staff, "/staff/queue", headers={"Accept-Language": "en"})
    rows = [line for line in response.get_data(as_text=True).split("<tr")[1:] if reference in line]
    assert len(rows) == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_web_booking_confirmation_is_delivered_once_by_two_workers_at_the_same_time(app):
    site = create_site()
    slot = create_slot(site)
    client = app.test_client()


    from tests.support.sampling import book_on_web, person

    booked = book_on_web(client, slot, [person("王芳", id_number="11010519491231002X")])
    assert booked.status_code in (302, 303), text_of(booked)[:500]
    confirmation = text_of(client.get("/sampling/confirmation"))
    reference = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", confirmation).group(0)

    outbox = db.session.scalars(select(OutboundMessage)
                                .where(OutboundMessage.purpose == "booking_confirmation")).all()
    assert len(outbox) == 1 and outbox[0].status == OutboundStatus.QUEUED.value
    assert reference in outbox[0].body
    db.session.remove()

    workers = [subprocess.Popen(flask_command("worker", "--once"), cwd=ROOT, env=worker_env(app),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]
    printed = sum(out.count(reference) for out, _ in outputs)
    assert printed == 1
    message = db.session.scalars(select(OutboundMessage)
                                 .where(OutboundMessage.purpose == "booking_confirmation")).one()
    assert message.status == OutboundStatus.SENT.value and message.attempts == 1
