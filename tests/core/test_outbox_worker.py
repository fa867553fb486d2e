"""The outbox worker: each queued SMS is sent once, failures are retried only when safe."""

from __future__ import annotations

import dataclasses
import re
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select
from urllib3.exceptions import MaxRetryError, NewConnectionError

from portal.core.extensions import db
from portal.core.models import OutboundMessage, OutboundStatus, SmsOptOut, Tip, utcnow
from portal.core.outbox import queue_message
from portal.core.outbox.worker import MAX_ATTEMPTS, run_pass
from portal.core.redaction_marks import MARK
from portal.jobs import PERIODIC_JOBS
from portal.core.security.crypto import phone_hash
from portal.tips.jobs import clear_expired_follow_up_codes
from portal.core.sms import optout
from portal.core.sms.provider import SendOutcome
from tests.support.factories import create_tip
from tests.support.outbox import ROOT, StubTwilioHttp, accepted, flask_command, twilio_provider, worker_env

PHONE = "+8613800138000"


def queued(body: str = "您的预约已确认，受理编号TY-7K3M-9Q2P。", **kwargs) -> OutboundMessage:
    message = queue_message(PHONE, body, "test", **kwargs)
    db.session.commit()
    return message


def reload(message: OutboundMessage) -> OutboundMessage:
    db.session.expire_all()
    return db.session.get(OutboundMessage, message.id)


# Console backend --------------------------------------------------------------------------


def test_queued_message_is_delivered_once_by_the_console_backend(app, capsys):
    message = queued("测试短信：受理编号TY-7K3M-9Q2P")

    first = run_pass()
    second = run_pass()

    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("[console SMS]")]
    assert lines == ["[console SMS] to +86138…8000: 测试短信：受理编号TY-7K3M-9Q2P"]
    assert (first.sent, second.sent) == (1, 0)
    row = reload(message)
    assert row.status == OutboundStatus.SENT.value
    assert row.provider_message_id.startswith("console-")
    assert row.sent_at is not None and row.attempts == 1 and row.claim_token is None


def test_message_not_yet_due_is_not_sent(app, capsys):
    message = queued(not_before=utcnow() + timedelta(hours=2))
    assert run_pass().sent == 0
    assert "[console SMS]" not in capsys.readouterr().out
    assert reload(message).status == OutboundStatus.QUEUED.value


def test_replied_messages_are_never_sent_by_the_worker(app, capsys):
    message = queued()
    message.status = OutboundStatus.REPLIED.value
    db.session.commit()
    assert run_pass().sent == 0
    assert "[console SMS]" not in capsys.readouterr().out


def test_worker_once_command_prints_a_summary(app):
    queued()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1, retried 0, failed 0" in result.output


# Twilio backend, stubbed at its HTTP client ---------------------------------------------------


def test_twilio_send_posts_to_the_messages_api(app):
    message = queued("短信内容")
    stub = StubTwilioHttp(accepted("SM" + "b" * 32))
    run_pass(twilio_provider(app, stub))
    assert len(stub.requests) == 1
    sent = stub.requests[0]
    assert sent["method"] == "POST" and sent["uri"].endswith("/Messages.json")
    assert sent["data"]["To"] == PHONE and sent["data"]["Body"] == "短信内容"
    assert sent["data"]["From"] == app.config["SETTINGS"].twilio_from_number
    assert reload(message).provider_message_id == "SM" + "b" * 32


def test_twilio_failing_twice_with_500_then_accepting_delivers_the_message_exactly_once(app):
    message = queued()
    server_error = (500, {"message": "Internal error", "status": 500})
    stub = StubTwilioHttp(server_error, server_error, accepted(), accepted("SM" + "c" * 32))
    provider = twilio_provider(app, stub)

    summary = run_pass(provider)

    row = reload(message)
    assert summary.retried == 1
    assert row.status == OutboundStatus.QUEUED.value and row.attempts == 1
    assert row.not_before > utcnow()
    assert run_pass(provider).handled == 0  # backing off

    assert run_pass(provider, now=utcnow() + timedelta(hours=1)).retried == 1
    assert run_pass(provider, now=utcnow() + timedelta(hours=3)).sent == 1
    for later in (4, 24):
        assert run_pass(provider, now=utcnow() + timedelta(hours=later)).handled == 0

    row = reload(message)
    assert row.status == OutboundStatus.SENT.value and row.attempts == 3
    assert row.provider_message_id == "SM" + "a" * 32
    assert stub.successes == 1 and len(stub.requests) == 3


def test_too_many_requests_is_retried(app):
    message = queued()
    run_pass(twilio_provider(app, StubTwilioHttp((429, {"code": 20429, "message": "Too Many Requests"}))))
    assert reload(message).status == OutboundStatus.QUEUED.value


def test_connection_refused_is_retried(app):
    message = queued()
    refused = requests.exceptions.ConnectionError(
        MaxRetryError(None, "/Messages.json", NewConnectionError(None, "Connection refused")))
    run_pass(twilio_provider(app, StubTwilioHttp(refused)))
    assert reload(message).status == OutboundStatus.QUEUED.value


def test_message_that_keeps_failing_is_marked_failed_after_the_last_attempt(app):
    message = queued()
    stub = StubTwilioHttp(*[(503, {"message": "Service Unavailable"})] * MAX_ATTEMPTS)
    provider = twilio_provider(app, stub)
    now = utcnow()
    for attempt in range(MAX_ATTEMPTS):
        run_pass(provider, now=now + timedelta(days=attempt))
    row = reload(message)
    assert row.status == OutboundStatus.FAILED.value and row.attempts == MAX_ATTEMPTS
    assert len(stub.requests) == MAX_ATTEMPTS


def test_twilio_error_21610_fails_the_message_and_records_the_number_as_opted_out(app):
    message = queued()
    stub = StubTwilioHttp((400, {"code": 21610, "message": f"Attempt to send to unsubscribed recipient {PHONE}",
                                 "status": 400}))
    provider = twilio_provider(app, stub)

    assert run_pass(provider).failed == 1
    run_pass(provider, now=utcnow() + timedelta(days=1))

    row = reload(message)
    assert row.status == OutboundStatus.FAILED.value
    assert "21610" in row.last_error
    assert PHONE not in row.last_error and "13800138000" not in row.last_error
    assert len(stub.requests) == 1
    assert optout.is_opted_out(phone_hash(PHONE))
    record = db.session.scalars(select(SmsOptOut)).one()
    assert record.source == optout.PROVIDER

    # The next message to that number is not handed to Twilio at all.
    later = queued("另一条短信")
    assert run_pass(provider, now=utcnow() + timedelta(days=2)).opted_out == 1
    assert reload(later).status == OutboundStatus.OPTED_OUT.value
    assert len(stub.requests) == 1


def test_other_permanent_refusals_do_not_opt_the_number_out(app):
    queued()
    run_pass(twilio_provider(app, StubTwilioHttp((400, {"code": 21211, "message": "Invalid 'To' Phone Number"}))))
    assert not optout.is_opted_out(phone_hash(PHONE))


def test_timeout_after_the_request_went_out_marks_unknown_and_is_never_resent(app):
    message = queued()
    stub = StubTwilioHttp(requests.exceptions.ReadTimeout("read timed out"))
    provider = twilio_provider(app, stub)

    assert run_pass(provider).unknown == 1
    run_pass(provider, now=utcnow() + timedelta(days=1))

    row = reload(message)
    assert row.status == OutboundStatus.UNKNOWN.value
    assert len(stub.requests) == 1


def test_twilio_send_asks_for_delivery_reports_at_the_public_status_url(app):
    from flask import url_for

    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"],
                                                 public_base_url="https://hotline.example.cn")
    queued()
    stub = StubTwilioHttp(accepted())
    run_pass(twilio_provider(app, stub))
    with app.test_request_context():
        path = url_for("sms.delivery_status")
    assert stub.requests[0]["data"]["StatusCallback"] == "https://hotline.example.cn" + path == \
        "https://hotline.example.cn/sms/status"


def test_twilio_send_without_a_public_address_asks_for_no_delivery_reports(app):
    queued()
    stub = StubTwilioHttp(accepted())
    run_pass(twilio_provider(app, stub))
    assert "StatusCallback" not in stub.requests[0]["data"]


def test_twilio_provider_reports_outcomes_without_raising(app):
    provider = twilio_provider(app, StubTwilioHttp(ValueError("boom"), (404, {"code": 20404})))
    assert provider.send(PHONE, "x").outcome is SendOutcome.UNKNOWN
    assert provider.send(PHONE, "x").outcome is SendOutcome.PERMANENT


# Opt-outs ---------------------------------------------------------------------------------


def test_nothing_is_handed_to_twilio_for_an_opted_out_number_whatever_queued_it_until_it_opts_in(app):
    from portal.sampling.notices import REMINDER_PURPOSE
    from portal.triage.alerts import DUTY_ALERT_PURPOSE

    optout.opt_out(phone_hash(PHONE))
    reminder = queue_message(PHONE, "明天上午9:00请到采血点采血。", REMINDER_PURPOSE)
    question = queue_message(PHONE, "民警对您的线索有一个问题。", "tip_question")
    alert = queue_message(PHONE, "紧急线索 TY-7K3M-9Q2P", DUTY_ALERT_PURPOSE)
    db.session.commit()
    stub = StubTwilioHttp(accepted())
    provider = twilio_provider(app, stub)

    summary = run_pass(provider)

    assert summary.opted_out == 3 and summary.sent == 0
    assert stub.requests == []
    for message in (reminder, question, alert):
        row = reload(message)
        assert row.status == OutboundStatus.OPTED_OUT.value
        assert row.attempts == 0 and row.claim_token is None
        assert "opted out" in row.last_error
    assert run_pass(provider, now=utcnow() + timedelta(days=1)).handled == 0  # settled, never retried

    assert optout.opt_in(phone_hash(PHONE)) is True
    db.session.commit()
    after = queue_message(PHONE, "民警对您的线索有一个新问题。", "tip_question")
    db.session.commit()

    assert run_pass(provider).sent == 1
    assert len(stub.requests) == 1 and stub.requests[0]["data"]["Body"] == "民警对您的线索有一个新问题。"
    assert reload(after).status == OutboundStatus.SENT.value
    assert reload(question).status == OutboundStatus.OPTED_OUT.value


def test_an_opt_out_holds_only_for_its_own_number(app):
    optout.opt_out(phone_hash("+8613900139000"))
    message = queued()
    assert run_pass().sent == 1
    assert reload(message).status == OutboundStatus.SENT.value


# Periodic jobs ----------------------------------------------------------------------------


def test_expired_follow_up_code_display_is_cleared_and_a_fresh_one_kept(app):
    old = create_tip().tip
    fresh = create_tip().tip
    old.follow_up_code_display_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    old_id, fresh_id = old.id, fresh.id

    assert clear_expired_follow_up_codes in [job.run for job in PERIODIC_JOBS]
    run_pass()

    db.session.expire_all()
    assert db.session.get(Tip, old_id).follow_up_code_display is None
    assert db.session.get(Tip, fresh_id).follow_up_code_display is not None
    assert db.session.get(Tip, old_id).follow_up_code_hash  # the code still works


def test_message_left_sending_by_a_dead_worker_becomes_unknown_not_resent(app, capsys):
    message = queued()
    message.status = OutboundStatus.SENDING.value
    message.claim_token = "x" * 32
    message.claimed_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    run_pass()

    assert reload(message).status == OutboundStatus.UNKNOWN.value
    assert "[console SMS]" not in capsys.readouterr().out


# Real worker processes --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_at_the_same_time_send_each_message_exactly_once(app):
    ids = [queued(f"message {n:02d}").id for n in range(20)]
    db.session.remove()

    workers = [subprocess.Popen(flask_command("worker", "--once"), cwd=ROOT, env=worker_env(app),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [worker.communicate(timeout=120) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]
    printed = Counter(match for out, _ in outputs for match in re.findall(r"\[console SMS\] to \S+: (message \d\d)", out))
    assert printed == Counter({f"message {n:02d}": 1 for n in range(20)})
    rows = db.session.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(ids))).all()
    assert {row.status for row in rows} == {OutboundStatus.SENT.value}
    assert all(row.attempts == 1 for row in rows)


@pytest.mark.slow
def test_worker_loop_stops_cleanly_on_sigterm(app):
    queued("message loop")
    db.session.remove()
    worker = subprocess.Popen(flask_command("worker", "--interval", "0.2"), cwd=ROOT, env=worker_env(app),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.scalar(select(OutboundMessage.status)) == OutboundStatus.SENT.value:
                break
            time.sleep(0.2)
        db.session.remove()
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "message loop" in out
    assert "worker: stopped" in out


def test_a_periodic_job_runs_again_only_once_its_interval_has_passed_and_a_failing_one_stops_no_other(app):
    from portal.core.outbox.worker import PeriodicJob, run_periodic_jobs

    ran: list[str] = []

    def hourly(now):
        ran.append("hourly")

    def broken(now):
        raise RuntimeError("job failed")

    def every_pass(now):
        ran.append("every pass")

    jobs = [PeriodicJob(broken), PeriodicJob(hourly, timedelta(hours=1)), PeriodicJob(every_pass)]
    last_runs: dict = {}
    start = utcnow()
    for minutes in (0, 5, 59, 60):
        run_periodic_jobs(start + timedelta(minutes=minutes), jobs, last_runs)
    assert ran.count("every pass") == 4
    assert ran.count("hourly") == 2  # at 0 and at 60 minutes


def test_a_passage_removed_while_the_message_waited_goes_as_an_ellipsis(app, capsys):
    message = queued(f"测试短信：{MARK}，受理编号TY-7K3M-9Q2P")
    assert run_pass().sent == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[console SMS]")]
    assert lines == ["[console SMS] to +86138…8000: 测试短信：…，受理编号TY-7K3M-9Q2P"]
    assert reload(message).body == f"测试短信：{MARK}，受理编号TY-7K3M-9Q2P"  # the record keeps the mark
