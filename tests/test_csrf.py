"""CSRF: a form posted without a valid token is refused, but nothing typed is lost."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.errors import is_kept
from portal.extensions import csrf, db
from portal.models import Tip
from tests.helpers import check_page, text_of
from tests.tips_helpers import ANSWERS, answer_page, errors_on, fill_journey, visitor_client

EN = {"Accept-Language": "en"}


def tip_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Tip))


def test_post_without_token_is_refused_and_keeps_every_answer_but_the_phone_number_to_send_again(app, app_factory):
    client = visitor_client(app_factory)
    fill_journey(client, EN)
    answers = {"contact_name": "李明 <b>", "contact_phone": "138 0013 8000", "may_contact_by_sms": "y", "homepage": ""}
    refused = client.post("/tips/report/contact", data=answers, headers=EN)
    assert refused.status_code == 400
    page = check_page(refused)
    assert "Send again" in text_of(refused)
    assert len(page.forms) == 1
    form = page.forms[0]
    assert form["method"] == "post" and form["action"] == "/tips/report/contact"
    for name, value in answers.items():
        if name == "contact_phone":  # a phone number is never written back into a page
            assert name not in form["fields"] and value not in refused.get_data(as_text=True)
            assert "phone numbers, identity numbers and codes are not kept" in text_of(refused)
        else:
            assert form["fields"][name] == value, name
    assert "<b>" not in refused.get_data(as_text=True).split("<main", 1)[1]  # escaped, not markup

    # Sent again without the phone number: the page asks for it, keeping the rest.
    sent = client.post(form["action"], data=form["fields"], headers=EN)
    assert sent.status_code == 200
    assert 'value="李明 &lt;b&gt;"' in sent.get_data(as_text=True) and errors_on(sent)
    sent = answer_page(client, "/tips/report/contact", answers, EN)
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith("/tips/report/check")
    check = client.get("/tips/report/check", headers=EN)
    assert "李明 &lt;b&gt;" in check.get_data(as_text=True) and "138 0013 8000" in text_of(check)
    assert tip_count() == 0
    assert answer_page(client, "/tips/report/check", {}, EN).status_code == 303
    assert tip_count() == 1


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
    assert "phone numbers, identity numbers and codes are not kept" in text_of(response)
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
