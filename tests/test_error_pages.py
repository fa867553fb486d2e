"""Error pages outside the staff area carry "Exit this page", like the tip journey they interrupt."""

from __future__ import annotations

import pytest

from tests.helpers import check_page, csrf_token, text_of

EN = {"Accept-Language": "en"}
EXIT = 'href="https://exit.example/" class="exit-this-page" data-exit-this-page'


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
