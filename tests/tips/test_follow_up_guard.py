"""The follow-up guard (portal.tips.followup): each try is counted in the database before its
code is checked, and the decision is made from the count the database returns. So wrong codes
sent at the same moment, by SMS from one phone and on /tips/status from one address, get no
more checks against the code's hash than the same codes sent one after another:
FOLLOW_UP_MAX_FAILURES per reference and trier in a lock window, however many arrive at once.
On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Callable

import pytest

import portal.tips.followup as followup
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.hotline import replies
from portal.tips.followup import claim_attempt, is_locked
from tests.support.factories import create_tip
from tests.support.sms import signed_post, sms_params
from tests.support.sms import send, wrong_code_reply
from tests.support.tips import EN, csrf_of

TRIES = 30
KEY = "a" * 64
NOT_FOUND_SMS = "could not find"
NOT_FOUND_WEB = "We could not find a report with that reference number and code."
LOCKED_WEB = "There have been too many tries with this reference number."


@pytest.fixture
def counted_checks(monkeypatch) -> list[str]:
    """Every reference whose code is checked against its hash, in every thread."""
    checked: list[str] = []
    lock = threading.Lock()
    real = followup.find_tip_for_follow_up

    def counting(reference_text: str, code_text: str):
        with lock:
            checked.append(reference_text)
        return real(reference_text, code_text)

    monkeypatch.setattr(followup, "find_tip_for_follow_up", counting)
    return checked


def _all_at_once(tries: list[Callable[[], str]]) -> list[str]:
    """Run every try in its own thread, released together; return their answers."""
    barrier = threading.Barrier(len(tries))
    answers: list[str] = []
    lock = threading.Lock()

    def run(attempt: Callable[[], str]) -> None:
        barrier.wait(30)
        answer = attempt()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in tries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == len(tries)
    return answers


def test_simultaneous_wrong_codes_by_sms_from_one_phone_are_limited_to_the_lockout_count(app, app_factory,
                                                                                          counted_checks):
    roomy = app_factory(sms_burst_per_minute=1000)
    limit = roomy.config["SETTINGS"].follow_up_max_failures
    receipt = create_tip()

    def wrong_code(n: int) -> Callable[[], str]:
        params = sms_params(f"STATUS {receipt.reference} 2222-2222-2222-22{n:02d}", sender="+8613900100001")

        def send() -> str:
            response = signed_post(roomy.test_client(), params)
            assert response.status_code == 200
            return ET.fromstring(response.get_data(as_text=True)).find("Message").text or ""
        return send

    answers = _all_at_once([wrong_code(n) for n in range(TRIES)])

    assert len(counted_checks) == limit
    assert sum(NOT_FOUND_SMS in answer for answer in answers) == limit - 1
    # The rest were told the reference is locked, as a try after the lockout is.
    assert sum("too many" in answer.lower() for answer in answers) == TRIES - limit + 1


def test_simultaneous_wrong_codes_on_the_status_page_are_limited_to_the_lockout_count(app, app_factory,
                                                                                         counted_checks):
    roomy = app_factory(ratelimit_status_lookup="1000 per minute", ratelimit_public_post="1000 per minute")
    limit = roomy.config["SETTINGS"].follow_up_max_failures
    receipt = create_tip()

    def wrong_code(n: int) -> Callable[[], str]:
        browser = roomy.test_client()
        token = csrf_of(browser.get("/tips/status", headers=EN).get_data(as_text=True))
        form = {"csrf_token": token, "reference": receipt.reference, "follow_up_code": f"2222-2222-2222-22{n:02d}"}
        return lambda: browser.post("/tips/status", headers=EN, data=form).get_data(as_text=True)

    pages = _all_at_once([wrong_code(n) for n in range(TRIES)])

    assert len(counted_checks) == limit
    assert sum(NOT_FOUND_WEB in page for page in pages) == limit - 1
    assert sum(LOCKED_WEB in page for page in pages) == TRIES - limit + 1
    # And the lock holds afterwards, even for the right code.
    browser = roomy.test_client()
    token = csrf_of(browser.get("/tips/status", headers=EN).get_data(as_text=True))
    right = browser.post("/tips/status", headers=EN, data={
        "csrf_token": token, "reference": receipt.reference, "follow_up_code": receipt.follow_up_code})
    assert right.status_code == 200 and LOCKED_WEB in right.get_data(as_text=True)
    db.session.rollback()


# The count, one try after another ----------------------------------------------------------------


def test_each_try_gets_its_number_from_the_database_and_the_last_allowed_one_locks(app):
    now = utcnow()
    attempts = [claim_attempt(KEY, max_failures=5, lock_minutes=30, now=now) for _ in range(7)]

    assert [attempt.number for attempt in attempts] == [1, 2, 3, 4, 5, 6, 7]
    assert [attempt.may_check for attempt in attempts] == [True] * 5 + [False] * 2
    assert [attempt.locks_if_wrong for attempt in attempts] == [False] * 4 + [True] * 3
    assert is_locked(KEY, now) and is_locked(KEY, now + timedelta(minutes=29))
    assert not is_locked(KEY, now + timedelta(minutes=30))


def test_a_lock_that_has_run_out_and_old_failures_start_a_new_count(app):
    start = utcnow()
    for _ in range(5):
        claim_attempt(KEY, max_failures=5, lock_minutes=30, now=start)
    after_the_lock = start + timedelta(minutes=31)
    assert claim_attempt(KEY, max_failures=5, lock_minutes=30, now=after_the_lock).number == 1
    claim_attempt(KEY, max_failures=5, lock_minutes=30, now=after_the_lock)

    later = after_the_lock + timedelta(minutes=30)
    again = claim_attempt(KEY, max_failures=5, lock_minutes=30, now=later)
    assert again.number == 1 and again.may_check and not is_locked(KEY, later)


def test_a_right_answer_by_sms_is_not_counted_against_the_number_nor_clears_its_failures(client, app):
    settings = app.config["SETTINGS"]
    receipt = create_tip()
    wrong = [f"查询 TY-{n}{n}{n}{n}-2345 2222-3333-4444-5555" for n in "23456789ABCDEFG"]
    for used, body in enumerate(wrong[: settings.follow_up_max_failures - 1], start=1):
        assert send(client, body) == wrong_code_reply(used, settings, "zh")

    # The right answer comes as the last allowed try: it is checked, and it does not lock the number.
    for _ in range(2):
        assert send(client, f"查询 {receipt.reference} {receipt.follow_up_code}") == \
            replies.tip_progress_received(receipt.reference, "zh")
    # The earlier failures still count: one more wrong code locks the number.
    assert send(client, wrong[-1]) == replies.status_locked(settings.follow_up_lock_minutes, "zh")
