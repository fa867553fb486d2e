"""Error pages outside the staff area carry "Exit this page", like the tip journey they interrupt."""

from __future__ import annotations

import io

import pytest

from tests.support.helpers import check_page, csrf_token, text_of

EN = {"Accept-Language": "en"}
EXIT = 'href="/exit" class="exit-this-page" data-exit-this-page'


@pytest.fixture
def exit_app(app_factory):
    app = app_factory(exit_page_url="https://exit.example/", ratelimit_public_post="2 per minute")

    @app.route("/tips/test-failure")
    def failing_view():
        raise RuntimeError("a bug")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_the_expired_form_page_in_the_tip_journey_has_the_exit_link(app, exit_app):
    client = exit_app.test_client()
    response = client.post("/tips/report", data={"description": "what I saw"},
                           headers={**EN, "Referer": "http://localhost/tips/report"})
    assert response.status_code == 400
    check_page(response)
    assert EXIT in response.get_data(as_text=True) and "Exit this page" in text_of(response)
    assert "exit-this-page.js" in response.get_data(as_text=True)


def test_the_too_many_attempts_page_has_the_exit_link(app, exit_app):
    client = exit_app.test_client()
    statuses = []
    for _ in range(3):
        page = client.get("/tips/status", headers=EN)
        response = client.post("/tips/status", headers=EN, data={
            "csrf_token": csrf_token(page.get_data(as_text=True)), "reference": "TY-2222-2222", "follow_up_code": "x"})
        statuses.append(response.status_code)
    assert statuses[-1] == 429
    check_page(response)
    assert "Too many attempts" in text_of(response) and EXIT in response.get_data(as_text=True)


def test_the_server_error_and_not_found_pages_have_the_exit_link(app, exit_app):
    client = exit_app.test_client()
    failed = client.get("/tips/test-failure", headers=EN)
    assert failed.status_code == 500
    assert "Sorry, there is a problem with the service" in text_of(failed) and EXIT in failed.get_data(as_text=True)
    missing = client.get("/no-such-page", headers=EN)
    assert missing.status_code == 404 and EXIT in missing.get_data(as_text=True)


def test_error_pages_of_the_staff_area_have_no_exit_link(app, exit_app):
    missing = exit_app.test_client().get("/staff/no-such-page", headers=EN)
    assert missing.status_code == 404
    assert "Page not found" in text_of(missing) and "exit-this-page" not in missing.get_data(as_text=True)


def test_a_too_large_photo_post_says_nothing_on_the_page_was_received_keeps_the_earlier_answers_and_links_back(
        app, app_factory):
    """The red team's case: the 413 page offered only the home page and said nothing about the
    answers already given or the text typed on the page."""
    from tests.support.tips import fill_journey

    small = app_factory(config={"MAX_CONTENT_LENGTH": 4096},
                        ratelimit_public_post="1000 per minute", ratelimit_tip_steps="1000 per minute")
    client = small.test_client()
    fill_journey(client, EN)
    refused = client.post("/tips/report/photos", headers=EN, data={
        "action": "upload", "photos": (io.BytesIO(b"\xff" * 10_000), "big.jpg")}, content_type="multipart/form-data")
    assert refused.status_code == 413
    words = text_of(refused)
    assert "Nothing on this page was received, including any text you typed on it." in words
    assert "Your answers to the earlier questions are saved." in words
    assert 'href="/tips/report/photos"' in refused.get_data(as_text=True)
    assert client.get("/tips/report/photos", headers=EN).status_code == 200  # the draft is still there
    chinese = client.post("/tips/report/photos", headers={"Accept-Language": "zh"}, data={
        "action": "upload", "photos": (io.BytesIO(b"\xff" * 10_000), "big.jpg")}, content_type="multipart/form-data")
    assert "本页的内容没有收到，包括您在本页填写的文字。" in text_of(chinese)


def test_a_too_large_post_outside_a_journey_says_so_and_links_home(app, app_factory):
    small = app_factory(config={"WTF_CSRF_ENABLED": False, "MAX_CONTENT_LENGTH": 4096})
    refused = small.test_client().post("/tips/status", headers=EN, data={"reference": "x" * 10_000})
    assert refused.status_code == 413
    words = text_of(refused)
    assert "Nothing on this page was received" in words and "earlier questions" not in words
    assert "Go to the home page" in words
