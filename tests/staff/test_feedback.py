"""Feedback to the tipster (反馈, issue 14): a template chosen by the officer, shown on the
tipster's progress page in their language, announced by an SMS that holds the reference and no
outcome, only with consent, never to an opted-out number, never at night; admins reword the
templates; audited."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, OutboundMessage, TipFeedback
from portal.core.permissions import Role
from portal.core.security.crypto import phone_hash
from portal.core.sms import optout
from portal.tips.feedback import FEEDBACK_PURPOSE
from portal.tips.service import TipDetails
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, text_of
from tests.support.staff import browser, control_clock, sign_in
from tests.support.tips import EN, ZH, csrf_of, visitor_client

PHONE = "+8613800138000"
FOUND_EN = "The child it was about has been found"
FOUND_ZH = "您反映的孩子已经找到"
# Words that would tell whoever holds the phone how the report ended.
OUTCOME_WORDS = ["found", "child", "checked", "substantiated", "找到", "孩子", "核查", "处理", "移交"]


@pytest.fixture
def tipster(app_factory, tmp_path):  # type: ignore[no-untyped-def]
    return visitor_client(app_factory, tip_photo_dir=str(tmp_path / "photos"))


def _officer(app: Flask, role: Role = Role.TRIAGE_OFFICER, username: str = "officer"):  # type: ignore[no-untyped-def]
    create_staff(role, username=username)
    client = browser(app)
    sign_in(client, username)
    return client


def _give(officer, reference: str, kind: str, headers=EN):  # type: ignore[no-untyped-def]
    html = officer.get(f"/staff/items/{reference}", headers=headers).get_data(as_text=True)
    return officer.post(f"/staff/items/{reference}/feedback", headers=headers,
                        data={"csrf_token": csrf_token(html), "kind": kind})


def _status_page(tipster, receipt, headers) -> str:  # type: ignore[no-untyped-def]
    page, _ = get_page(tipster, "/tips/status", headers=headers)
    tipster.post("/tips/status", headers=headers, data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                                        "reference": receipt.reference, "follow_up_code": receipt.follow_up_code})
    report, _ = get_page(tipster, "/tips/status/report", headers=headers)
    return text_of(report)


def _triage_officer(app: Flask):  # type: ignore[no-untyped-def]
    return _officer(app, Role.TRIAGE_OFFICER, "triage")


@pytest.mark.parametrize(("language", "headers", "shown", "not_shown"), [
    ("en", EN, FOUND_EN, FOUND_ZH), ("zh", ZH, FOUND_ZH, FOUND_EN)])
def test_feedback_appears_on_the_status_page_in_the_tipsters_language(app, tipster, language, headers, shown, not_shown):
    receipt = create_tip(details=TipDetails(language=language))
    officer = _triage_officer(app)
    # The officer reads the console in Chinese; the tipster reads the feedback in their own language.
    assert _give(officer, receipt.reference, "child_found", headers=ZH).status_code == 303
    page = _status_page(tipster, receipt, headers)
    assert shown in page and not_shown not in page
    assert ("News from the police" if language == "en" else "警方反馈") in page


def test_with_sms_consent_the_text_holds_the_reference_and_no_outcome(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc))  # 10:00 in Shanghai
    receipt = create_tip(contact_phone=PHONE, may_contact_by_sms=True, details=TipDetails(language="en"))
    response = _give(_triage_officer(app), receipt.reference, "child_found")
    assert response.status_code == 303
    message = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == FEEDBACK_PURPOSE)).one()
    assert message.to_phone == PHONE and receipt.reference in message.body
    assert message.body.startswith("Tuanyuan: there is news about your report")
    words = message.body.lower().replace(receipt.reference.lower(), "")
    assert not [word for word in OUTCOME_WORDS if word in words]
    assert message.not_before == datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)  # daytime: at once
    feedback = db.session.scalars(select(TipFeedback)).one()
    assert feedback.sent_by_sms and feedback.final and feedback.kind == "child_found"


def test_a_chinese_tipster_gets_the_text_in_chinese_with_no_outcome(app):
    receipt = create_tip(contact_phone=PHONE, may_contact_by_sms=True, details=TipDetails(language="zh"))
    _give(_triage_officer(app), receipt.reference, "not_substantiated")
    message = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == FEEDBACK_PURPOSE)).one()
    assert message.body.startswith("团圆：您的线索") and receipt.reference in message.body
    assert not [word for word in OUTCOME_WORDS if word in message.body.replace(receipt.reference, "")]


def test_without_sms_consent_no_text_is_sent_but_the_page_shows_the_feedback(app, tipster):
    receipt = create_tip(contact_phone=PHONE, may_contact_by_sms=False)
    officer = _triage_officer(app)
    response = _give(officer, receipt.reference, "handled")
    assert response.status_code == 303
    assert "The tipster will see it when they check progress." in text_of(officer.get(response.headers["Location"], headers=EN))
    assert db.session.scalars(select(OutboundMessage)).all() == []
    assert db.session.scalars(select(TipFeedback)).one().sent_by_sms is False
    assert "警方已对您的线索进行核查并依法处理" in _status_page(tipster, receipt, ZH)


def test_an_opted_out_number_gets_no_text(app):
    receipt = create_tip(contact_phone=PHONE, may_contact_by_sms=True)
    optout.opt_out(phone_hash(PHONE))
    db.session.commit()
    officer = _triage_officer(app)
    item_page = text_of(officer.get(f"/staff/items/{receipt.reference}", headers=EN))
    assert "Their number asked for no more text messages, so no SMS is sent." in item_page
    response = _give(officer, receipt.reference, "child_found")
    assert response.status_code == 303
    assert db.session.scalars(select(OutboundMessage)).all() == []
    assert db.session.scalars(select(TipFeedback)).one().sent_by_sms is False


def test_feedback_at_half_past_ten_at_night_is_held_until_eight_the_next_morning(app, monkeypatch):
    # 22:30 on Thursday 3 December 2026 in Shanghai (UTC+8) is 14:30 UTC.
    control_clock(monkeypatch, datetime(2026, 12, 3, 14, 30, tzinfo=timezone.utc))
    receipt = create_tip(contact_phone=PHONE, may_contact_by_sms=True)
    _give(_triage_officer(app), receipt.reference, "still_checking")
    message = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == FEEDBACK_PURPOSE)).one()
    # 08:00 on Friday 4 December in Shanghai is 00:00 UTC.
    assert message.not_before == datetime(2026, 12, 4, 0, 0, tzinfo=timezone.utc)


def test_feedback_is_audited_by_kind_never_by_text(app):
    receipt = create_tip()
    _give(_officer(app), receipt.reference, "passed_on")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "give_feedback")).one()
    assert event.item_id == receipt.tip.item_id and event.fields == ["feedback", "feedback_kind"]
    assert event.changes == {"feedback_kind": [None, "passed_on"]} or event.changes == {"feedback_kind": ["None", "passed_on"]}


def test_no_choice_is_explained_and_nothing_is_given(app):
    receipt = create_tip()
    officer = _officer(app)
    html = officer.get(f"/staff/items/{receipt.reference}", headers=ZH).get_data(as_text=True)
    response = officer.post(f"/staff/items/{receipt.reference}/feedback", headers=ZH, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 400 and "请选择向举报人反馈的内容" in text_of(response)
    response = officer.post(f"/staff/items/{receipt.reference}/feedback", headers=ZH,
                            data={"csrf_token": csrf_token(html), "kind": "anything we like"})
    assert response.status_code == 400
    assert db.session.scalars(select(TipFeedback)).all() == []


def test_an_admin_rewords_a_template_and_feedback_given_before_keeps_its_words(app, tipster):
    receipt = create_tip(details=TipDetails(language="en"))
    officer = _triage_officer(app)
    _give(officer, receipt.reference, "still_checking")
    admin = _officer(app, Role.ADMIN, "admin")
    page = admin.get("/staff/feedback-templates", headers=EN)
    assert page.status_code == 200 and "The police are still checking your report." in text_of(page)
    form = admin.get("/staff/feedback-templates/still_checking", headers=EN).get_data(as_text=True)
    # Both languages are needed: an empty one is explained and the typed one kept.
    refused = admin.post("/staff/feedback-templates/still_checking", headers=EN, data={
        "csrf_token": csrf_token(form), "text_zh": "", "text_en": "We are still looking at your report."})
    assert refused.status_code == 400 and "Enter the Chinese text" in text_of(refused)
    assert "We are still looking at your report.</textarea>" in refused.get_data(as_text=True)
    saved = admin.post("/staff/feedback-templates/still_checking", headers=EN, data={
        "csrf_token": csrf_token(form), "text_zh": "我们仍在查看您的线索。", "text_en": "We are still looking at your report."})
    assert saved.status_code == 303
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edit_feedback_template")).one().fields == [
        "feedback_template", "text_en", "text_zh"]
    _give(officer, receipt.reference, "still_checking")
    page = _status_page(tipster, receipt, EN)
    assert "We are still looking at your report." in page and "The police are still checking your report." in page


def test_an_interim_feedback_is_not_final_and_the_item_page_lists_what_was_given(app):
    receipt = create_tip()
    officer = _officer(app)
    _give(officer, receipt.reference, "still_checking")
    assert db.session.scalars(select(TipFeedback)).one().final is False
    page = text_of(officer.get(f"/staff/items/{receipt.reference}", headers=EN))
    assert "Feedback to the tipster" in page and "Still being checked" in page


def test_the_new_pages_are_well_formed_in_both_languages(app, tipster):
    """One title, one h1, unique ids, a CSRF token in every POST form (tests.support.helpers.check_page)."""
    receipt = create_tip(contact_phone=PHONE, may_contact_by_sms=True)
    admin = _officer(app, Role.ADMIN, "admin")
    for headers in (EN, ZH):
        for url in (f"/staff/items/{receipt.reference}", "/staff/feedback-templates",
                    "/staff/feedback-templates/child_found", "/staff/account"):
            get_page(admin, url, headers=headers)
    _give(admin, receipt.reference, "child_found")
    get_page(admin, f"/staff/items/{receipt.reference}", headers=EN)
    assert "News from the police" in _status_page(tipster, receipt, EN)


@pytest.mark.slow
def test_the_feedback_section_and_the_template_pages_are_valid_html(app, tipster):
    from tests.support.nu_checker import assert_valid_html

    receipt = create_tip(contact_phone=PHONE, may_contact_by_sms=True)
    admin = _officer(app, Role.ADMIN, "admin")
    _give(admin, receipt.reference, "child_found")
    for url in (f"/staff/items/{receipt.reference}", "/staff/feedback-templates", "/staff/feedback-templates/child_found",
                "/staff/account"):
        assert_valid_html(admin.get(url, headers=ZH).get_data(as_text=True), url)
