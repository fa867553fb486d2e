"""The pages for a refused form (too many attempts, an expired form) say once, and truly, what is
kept and what must be typed again: never "nothing you typed is lost" followed by a list of what was."""

from __future__ import annotations

from tests.support.helpers import check_page, csrf_token, post_form, text_of
from tests.support.tips import EN, fill_journey

LIMIT = "3 per minute"
NEVER_SAID = ("Nothing you typed is lost", "Your answers are kept", "everything", "open for a long time")


def lookup(client):
    token = csrf_token(client.get("/tips/status", headers=EN).get_data(as_text=True))
    return client.post("/tips/status", headers=EN, data={
        "csrf_token": token, "reference": "TY-2222-2222", "follow_up_code": "2222-2222-2222-2222"})


def test_the_too_many_attempts_page_says_once_what_is_kept_and_that_the_code_must_be_typed_again(app_factory):
    client = app_factory(ratelimit_public_post=LIMIT).test_client()
    for _ in range(3):
        lookup(client)
    refused = lookup(client)
    assert refused.status_code == 429
    said = text_of(refused)
    statement = ("What you typed on this page is ready to send again, except follow-up codes: for your safety, "
                 "they are never kept. If the page asks for them, type them again.")
    assert said.count(statement) == 1
    assert said.count("follow-up codes") == 1 and said.count("kept") == 1
    for untrue in NEVER_SAID:
        assert untrue not in said, untrue
    assert "2222-2222-2222-2222" not in refused.get_data(as_text=True)


def test_the_too_many_attempts_page_on_a_booking_page_keeps_earlier_answers_and_says_so_once(app_factory):
    client = app_factory(ratelimit_public_post=LIMIT).test_client()
    post_form(client, "/sampling/who", {"role": "seeking_birth_family", "party_size": "1"}, headers=EN)
    typed = {"remembered": "大树", "missing_born": "1990", "sampled_before": "no"}
    post_form(client, "/sampling/about", {**typed, "missing_born": "not a year"}, headers=EN)
    post_form(client, "/sampling/about", {**typed, "missing_born": "not a year"}, headers=EN)
    refused = post_form(client, "/sampling/about", typed, headers=EN)
    assert refused.status_code == 429
    check_page(refused)
    said = text_of(refused)
    assert said.count("Your answers to the earlier questions are saved. What you typed on this page is ready to "
                      "send again.") == 1
    assert "phone numbers" not in said
    for untrue in NEVER_SAID:
        assert untrue not in said, untrue


def test_the_expired_form_page_names_once_the_numbers_left_out(app, app_factory):
    client = app_factory().test_client()
    fill_journey(client, EN)
    with client.session_transaction() as session:
        session.clear()  # the browser was closed: the session cookie went, the draft's stayed
    refused = client.post("/tips/report/contact", headers=EN, data={
        "contact_name": "李明", "contact_phone": "139 1234 5678", "may_contact_by_sms": "y", "homepage": ""})
    assert refused.status_code == 400
    said = text_of(refused)
    assert said.count("phone numbers") == 1 and said.count("saved") == 1
    assert "Open this page again" in said and "Send again" not in said
    for untrue in NEVER_SAID:
        assert untrue not in said, untrue
