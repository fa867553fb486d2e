"""A tipster's answer reaches the officer: it marks the question answered, flags the item
"tipster replied" in the queue until someone opens it, and texts the owner's duty phone with the
reference only (issue 14)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, IntakeItem, OutboundMessage, StaffUser, TipQuestion
from portal.core.permissions import Role
from portal.tips.replies import OWNER_NOTICE_PURPOSE
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, text_of
from tests.support.staff import browser, control_clock, sign_in
from tests.support.tips import EN, ZH, csrf_of, visitor_client

ANSWER = "面包车是白色的，车牌苏F 12345"


@pytest.fixture
def tipster(app_factory, tmp_path):  # type: ignore[no-untyped-def]
    return visitor_client(app_factory, tip_photo_dir=str(tmp_path / "photos"))


def _officer(app: Flask, username: str = "officer", **attrs: object):  # type: ignore[no-untyped-def]
    create_staff(Role.TRIAGE_OFFICER, username=username, **attrs)
    client = browser(app)
    sign_in(client, username)
    return client


def _take_and_ask(officer, reference: str, question: str = "What colour was the van?") -> TipQuestion:  # type: ignore[no-untyped-def]
    html = officer.get(f"/staff/items/{reference}", headers=EN).get_data(as_text=True)
    assert officer.post(f"/staff/items/{reference}/take", data={"csrf_token": csrf_token(html)}).status_code == 303
    html = officer.get(f"/staff/items/{reference}", headers=EN).get_data(as_text=True)
    assert officer.post(f"/staff/items/{reference}/questions", headers=EN,
                        data={"csrf_token": csrf_token(html), "question": question}).status_code == 303
    return db.session.scalars(select(TipQuestion)).one()


def _sign_in_as_tipster(tipster, receipt) -> None:  # type: ignore[no-untyped-def]
    page, _ = get_page(tipster, "/tips/status", headers=ZH)
    tipster.post("/tips/status", headers=ZH, data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                                    "reference": receipt.reference, "follow_up_code": receipt.follow_up_code})


def _answer(tipster, question_id: int | None, text: str) -> None:  # type: ignore[no-untyped-def]
    url = f"/tips/status/report?question={question_id}" if question_id else "/tips/status/report"
    page, _ = get_page(tipster, url, headers=ZH)
    sent = tipster.post(url, headers=ZH, data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                               "question_id": str(question_id or ""), "text": text})
    assert sent.status_code == 303


def _queue_text(officer, query: str = "") -> str:  # type: ignore[no-untyped-def]
    return text_of(officer.get(f"/staff/queue{query}", headers=EN))


MARKER = '<strong class="tag tag-replied">Tipster replied</strong>'


def _queue_html(officer, query: str = "") -> str:  # type: ignore[no-untyped-def]
    return officer.get(f"/staff/queue{query}", headers=EN).get_data(as_text=True)


def test_an_answer_marks_the_question_answered_and_flags_the_item_until_an_officer_opens_it(app, tipster):
    receipt = create_tip()
    officer = _officer(app)
    question = _take_and_ask(officer, receipt.reference)
    assert MARKER not in _queue_html(officer)

    _sign_in_as_tipster(tipster, receipt)
    _answer(tipster, question.id, ANSWER)

    db.session.expire_all()
    question = db.session.get(TipQuestion, question.id)
    item = db.session.get(IntakeItem, receipt.tip.item_id)
    assert question.answered_at is not None and item.tipster_replied_at is not None
    # The queue shows the marker, and its filter finds the item.
    assert MARKER in _queue_html(officer)
    assert receipt.reference in _queue_text(officer, "?replied=y")
    assert '<strong class="tag tag-replied">举报人已回复</strong>' in officer.get("/staff/queue", headers=ZH).get_data(as_text=True)
    # The staff item page shows the answer under its question, not as later information.
    page = text_of(officer.get(f"/staff/items/{receipt.reference}", headers=EN))
    assert ANSWER in page and "No answer yet" not in page and "Added later by the tipster" not in page
    # Opening the item was seeing the reply: the marker is gone, and the filter finds nothing.
    db.session.expire_all()
    assert db.session.get(IntakeItem, receipt.tip.item_id).tipster_replied_at is None
    assert MARKER not in _queue_html(officer)
    assert receipt.reference not in _queue_text(officer, "?replied=y")


def test_later_information_without_a_question_also_flags_the_item(app, tipster):
    receipt = create_tip()
    _sign_in_as_tipster(tipster, receipt)
    _answer(tipster, None, "我又看到他们了，在汽车站")
    db.session.expire_all()
    assert db.session.get(IntakeItem, receipt.tip.item_id).tipster_replied_at is not None
    officer = _officer(app)
    assert MARKER in _queue_html(officer)


def test_the_owner_gets_a_text_with_the_reference_and_never_the_answer(app, tipster):
    receipt = create_tip()
    officer = _officer(app, duty_phone="+8613900139000")
    question = _take_and_ask(officer, receipt.reference)
    _sign_in_as_tipster(tipster, receipt)
    _answer(tipster, question.id, ANSWER)
    # A second answer before anyone opens the item does not text the officer again.
    _answer(tipster, question.id, "还有一个男人")

    notices = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == OWNER_NOTICE_PURPOSE)).all()
    assert len(notices) == 1
    notice = notices[0]
    assert notice.to_phone == "+8613900139000"
    assert receipt.reference in notice.body and "举报人已回复" in notice.body
    assert "面包车" not in notice.body and "12345" not in notice.body and "男人" not in notice.body
    # Not part of the tipster's conversation on the item page.
    page = officer.get(f"/staff/items/{receipt.reference}", headers=EN).get_data(as_text=True)
    assert notice.body not in page


def test_no_text_without_a_duty_phone_or_an_owner_or_for_a_switched_off_owner(app, tipster):
    receipt = create_tip()
    officer = _officer(app)  # no duty phone
    question = _take_and_ask(officer, receipt.reference)
    _sign_in_as_tipster(tipster, receipt)
    _answer(tipster, question.id, ANSWER)
    assert db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == OWNER_NOTICE_PURPOSE)).all() == []

    nobody_owns = create_tip()
    _sign_in_as_tipster(tipster, nobody_owns)
    _answer(tipster, None, ANSWER)
    assert db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == OWNER_NOTICE_PURPOSE)).all() == []

    owner = db.session.scalar(select(StaffUser).where(StaffUser.username == "officer"))
    owner.duty_phone, owner.active = "+8613900139000", False
    db.session.commit()
    off = create_tip()
    db.session.get(IntakeItem, off.tip.item_id).assigned_to_id = owner.id
    db.session.commit()
    _sign_in_as_tipster(tipster, off)
    _answer(tipster, None, ANSWER)
    assert db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == OWNER_NOTICE_PURPOSE)).all() == []


def test_a_question_answered_before_is_still_answered_at_its_first_answer(app, tipster, monkeypatch):
    clock = control_clock(monkeypatch, datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc))
    receipt = create_tip()
    officer = _officer(app)
    question = _take_and_ask(officer, receipt.reference)
    _sign_in_as_tipster(tipster, receipt)
    _answer(tipster, question.id, ANSWER)
    first = clock.now
    clock.advance(minutes=10)
    _answer(tipster, question.id, "补充一句")
    db.session.expire_all()
    assert db.session.get(TipQuestion, question.id).answered_at == first


@pytest.mark.parametrize(("typed", "stored"), [("138 0013 8000", "+8613800138000"), ("+86 139-0013-9000", "+8613900139000"),
                                               ("１３８００１３８０００", "+8613800138000")])
def test_a_staff_member_sets_their_duty_phone_typed_any_way(app, typed, stored):
    officer = _officer(app)
    html = officer.get("/staff/account", headers=EN).get_data(as_text=True)
    assert "Duty phone number" in html
    response = officer.post("/staff/account/duty-phone", headers=EN, data={"csrf_token": csrf_token(html), "duty_phone": typed})
    assert response.status_code == 303
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "officer"))
    db.session.refresh(user)
    assert user.duty_phone == stored
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "change_duty_phone")).one()
    assert event.fields == ["duty_phone"] and stored not in str(event.changes)
    # An empty box removes it.
    html = officer.get("/staff/account", headers=EN).get_data(as_text=True)
    officer.post("/staff/account/duty-phone", data={"csrf_token": csrf_token(html), "duty_phone": ""})
    db.session.refresh(user)
    assert user.duty_phone is None


def test_a_wrong_duty_phone_is_explained_and_keeps_what_was_typed(app):
    officer = _officer(app)
    html = officer.get("/staff/account", headers=ZH).get_data(as_text=True)
    response = officer.post("/staff/account/duty-phone", headers=ZH, data={"csrf_token": csrf_token(html), "duty_phone": "12345"})
    assert response.status_code == 400
    assert "请输入手机号码" in text_of(response)
    assert 'value="12345"' in response.get_data(as_text=True)
    assert db.session.scalar(select(StaffUser.duty_phone).where(StaffUser.username == "officer")) is None
