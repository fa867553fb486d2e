"""CSRF: a form posted without a valid token is refused, and the page says truly what is kept: the
answers of a journey's earlier pages when its draft is still there, this page's answers (never a
phone or identity number or a code) to send again; with every cookie lost, that nothing was
received and where the journey starts again."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.errors import is_kept
from portal.core.extensions import csrf, db
from portal.core.models import Tip
from tests.support.helpers import check_page, post_form, text_of
from tests.support.tips import ANSWERS, answer_page, checked_values, fill_journey, visitor_client

EN = {"Accept-Language": "en"}


def tip_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Tip))


def test_post_without_token_is_refused_and_opens_the_page_again_with_every_answer_but_the_phone_number(app, app_factory):
    client = visitor_client(app_factory)
    fill_journey(client, EN)
    answers = {"contact_name": "李明 <b>", "contact_phone": "139 1234 5678", "may_contact_by_sms": "y", "homepage": ""}
    refused = client.post("/tips/report/contact", data=answers, headers=EN)
    assert refused.status_code == 400
    page = check_page(refused)
    said = text_of(refused)
    assert "Your answers to the earlier questions are saved." in said
    assert "kept, except phone numbers: for your safety, they are never kept. Open the page again and type them." in said
    assert "Nothing you typed is lost" not in said and "are kept" not in said
    assert len(page.forms) == 1
    form = page.forms[0]
    assert form["method"] == "post" and form["action"] == "/tips/report/contact"
    for name, value in answers.items():
        if name == "contact_phone":  # a phone number is never written back into a page
            assert name not in form["fields"] and value not in refused.get_data(as_text=True)
        else:
            assert form["fields"][name] == value, name
    assert "<b>" not in refused.get_data(as_text=True).split("<main", 1)[1]  # escaped, not markup

    # Sent again, the page opens again with what was kept, for the phone number to be typed.
    sent = client.post(form["action"], data=form["fields"], headers=EN)
    assert sent.status_code == 303 and sent.headers["Location"] == "/tips/report/contact"
    again = client.get("/tips/report/contact", headers=EN)
    assert 'value="李明 &lt;b&gt;"' in again.get_data(as_text=True)
    assert checked_values(again.get_data(as_text=True), "may_contact_by_sms") == ["y"]
    assert "139 1234 5678" not in again.get_data(as_text=True)
    assert tip_count() == 0
    sent = answer_page(client, "/tips/report/contact", answers, EN)
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith("/tips/report/check")
    check = client.get("/tips/report/check", headers=EN)
    assert "李明 &lt;b&gt;" in check.get_data(as_text=True) and "139 1234 5678" in text_of(check)
    assert answer_page(client, "/tips/report/check", {}, EN).status_code == 303
    assert tip_count() == 1


def test_an_expired_page_without_phone_numbers_is_sent_again_as_it_was(app, app_factory):
    client = visitor_client(app_factory)
    fill_journey(client, EN)
    refused = client.post("/tips/report/where/place", data={"place": "north square", "homepage": ""}, headers=EN)
    assert refused.status_code == 400
    said = text_of(refused)
    assert "Your answers to the earlier questions are saved. What you typed on this page is ready to send again." in said
    assert "phone numbers" not in said
    form = check_page(refused).forms[0]
    sent = client.post(form["action"], data=form["fields"], headers=EN)
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/tips/report/when")


def test_a_post_with_no_cookies_at_all_mid_journey_says_nothing_was_received_and_where_it_starts(app, app_factory):
    client = visitor_client(app_factory)
    fill_journey(client, EN)
    stranger = visitor_client(app_factory)  # the same person, every cookie lost: no session, no draft
    refused = stranger.post("/tips/report/what", headers=EN,
                            data={"category": "other", "description": "what I saw", "homepage": ""})
    assert refused.status_code == 400
    page = check_page(refused)
    said = text_of(refused)
    assert "The answers on this page were not received" in said
    assert "We could not find the answers you gave before this page." in said
    assert "Your report starts again at the first question." in said
    for untrue in ("kept", "saved", "lost", "Send again", "ready to send"):
        assert untrue not in said, untrue
    assert page.forms == [] and "what I saw" not in refused.get_data(as_text=True)
    assert 'href="/tips/report"' in refused.get_data(as_text=True) and "Start the report again" in said
    assert tip_count() == 0


def test_a_booking_page_posted_with_no_cookies_says_the_booking_starts_again_in_chinese(client):
    refused = client.post("/sampling/about", headers={"Accept-Language": "zh-CN"},
                          data={"remembered": "大树", "missing_born": "1990", "sampled_before": "no"})
    assert refused.status_code == 400
    said = text_of(refused)
    assert "本页填写的内容没有收到" in said and "重新开始预约" in said
    assert "保留" not in said and "保存" not in said and "重新提交" not in said
    assert 'href="/sampling/who"' in refused.get_data(as_text=True)


def test_the_first_question_posted_with_no_cookies_can_be_sent_again(client):
    refused = client.post("/tips/report", data={"child_in_danger": "no", "homepage": ""}, headers=EN)
    assert refused.status_code == 400
    said = text_of(refused)
    assert "What you typed on this page is ready to send again." in said and "earlier questions" not in said
    form = check_page(refused).forms[0]
    sent = client.post(form["action"], data=form["fields"], headers=EN)
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/tips/report/what")


def test_post_with_a_token_from_another_session_is_refused(app, app_factory):
    first = visitor_client(app_factory)
    other = visitor_client(app_factory)
    page = other.get("/tips/report").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    refused = first.post("/tips/report", data={**ANSWERS, "csrf_token": token})
    assert refused.status_code == 400
    assert "重新提交" in text_of(refused)
    assert tip_count() == 0


def test_status_lookup_without_token_is_refused(client):
    refused = client.post("/tips/status", data={"reference": "TY-2222-2222", "follow_up_code": "x"})
    assert refused.status_code == 400


def test_sms_webhook_is_exempt_from_csrf(client):
    assert "sms" in {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints}
    response = client.post("/sms/inbound", data={"From": "+8613800138000", "Body": "HELP"})
    # Refused or not found for other reasons (signature, not built yet), but never the CSRF page.
    assert "Send again" not in text_of(response) and "重新提交" not in text_of(response)
    assert response.status_code != 400


def test_a_post_from_another_site_is_refused_without_a_resend_form_or_a_new_session(client):
    response = client.post(
        "/tips/report",
        data={"description": "planted", "submission_id": "KNOWN"},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "KNOWN" not in html and "planted" not in html
    assert "csrf_token" not in html
    assert "Set-Cookie" not in response.headers


def test_a_post_from_another_origin_without_fetch_metadata_is_refused_without_a_resend_form(client):
    response = client.post("/tips/report", data={"description": "planted"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 400
    assert "planted" not in response.get_data(as_text=True)


def test_secrets_are_never_written_back_into_the_resend_page(client):
    response = client.post("/tips/status", data={"reference": "TY-AAAA-BBBB", "follow_up_code": "SECR-ETCO-DE22-2222"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "TY-AAAA-BBBB" in html
    assert "SECR-ETCO-DE22-2222" not in html


def test_posts_with_a_null_origin_or_a_foreign_referer_get_no_resend_form(client):
    for headers in ({"Origin": "null"}, {"Referer": "https://evil.example/page"},
                    {"Referer": "http://localhost.evil.example/"}):
        response = client.post("/tips/report", data={"description": "planted"}, headers=headers)
        assert response.status_code == 400
        assert "planted" not in response.get_data(as_text=True), headers


def test_an_expired_form_from_our_own_page_keeps_the_answers(client):
    response = client.post("/tips/report", data={"description": "what I saw"},
                           headers={"Referer": "http://localhost/tips/report"})
    assert response.status_code == 400
    assert "what I saw" in response.get_data(as_text=True)


def test_identity_and_phone_numbers_of_repeated_attendees_are_never_written_back_into_the_resend_page(client):
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "2"})
    post_form(client, "/sampling/about", {
        "missing_name": "王小明", "missing_sex": "male", "missing_born": "2003", "last_seen_on": "2008",
        "last_seen_place": "南通", "sampled_before": "no"})
    with client.session_transaction() as session:
        session.clear()  # the session cookie lost (the browser closed), the draft's cookie kept
    answers = {
        "csrf_token": "stale-token-from-yesterday",
        "attendees-0-name": "王秀英", "attendees-0-relationship": "parent", "attendees-0-document_type": "resident_id",
        "attendees-0-document_number": "110105198001010019", "attendees-0-phone": "138 0013 8000",
        "attendees-1-name": "李明", "attendees-1-document_number": "E12345678", "attendees-1-phone": "13900139000",
    }
    response = client.post("/sampling/attendees", data=answers, headers={**EN, "Referer": "http://localhost/sampling/attendees"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for secret in ("110105198001010019", "138 0013 8000", "E12345678", "13900139000", "stale-token-from-yesterday"):
        assert secret not in html, secret
    assert "except identity numbers and phone numbers: for your safety, they are never kept." in text_of(response)
    fields = check_page(response).forms[0]["fields"]
    assert fields["attendees-0-name"] == "王秀英" and fields["attendees-1-name"] == "李明"
    assert fields["attendees-0-relationship"] == "parent" and fields["attendees-0-document_type"] == "resident_id"


@pytest.mark.parametrize(("name", "kept"), [
    ("password", False), ("new_password", False), ("totp_code", False), ("code", False), ("follow_up_code", False),
    ("id_number", False), ("attendees-3-document_number", False), ("contact_phone", False), ("attendees-0-phone", False),
    ("csrf_token", False), ("description", True), ("attendees-0-name", True), ("document_type", True),
    ("may_contact_by_sms", True), ("reference", True), ("vehicle_description", True),
])
def test_only_ordinary_answers_are_kept_for_the_resend_page(name, kept):
    assert is_kept(name) is kept


def test_a_follow_up_answer_posted_with_no_cookies_says_how_to_find_the_report_again(client):
    refused = client.post("/tips/status/report", data={"text": "the van was white"}, headers=EN)
    assert refused.status_code == 400
    said = text_of(refused)
    assert "We no longer know which report you were looking at." in said and "Find your report" in said
    assert check_page(refused).forms == [] and "the van was white" not in refused.get_data(as_text=True)


def test_a_language_switch_refused_for_an_expired_session_can_be_sent_again_and_keeps_the_typing(app, app_factory):
    client = visitor_client(app_factory)
    fill_journey(client, EN)
    with client.session_transaction() as session:
        session.clear()  # the browser was closed: the session cookie went, the draft's stayed
    refused = client.post("/tips/report/who", headers=EN,
                          data={"child_age": "about 6", "switch_language": "zh", "homepage": ""})
    assert refused.status_code == 400
    form = check_page(refused).forms[0]
    assert form["fields"]["switch_language"] == "zh" and form["fields"]["child_age"] == "about 6"
    sent = client.post(form["action"], data=form["fields"], headers=EN)
    assert sent.status_code == 303 and sent.headers["Location"] == "/tips/report/who"
    page = client.get("/tips/report/who")
    assert check_page(page).html_lang == "zh-CN" and 'value="about 6"' in page.get_data(as_text=True)
