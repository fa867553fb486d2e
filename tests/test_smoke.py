"""The app starts, serves its start page in both languages, and reports its health."""

from tests.support.helpers import get_page, text_of


def test_start_page_is_chinese_by_default(client):
    response, page = get_page(client, "/")
    assert page.html_lang == "zh-CN"
    assert "举报线索" in text_of(response) or "提交线索" in text_of(response) or "报告" in text_of(response)


def test_start_page_is_english_for_a_browser_that_prefers_english(client):
    response, page = get_page(client, "/", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert page.html_lang == "en"
    assert "Report a lead" in text_of(response)


def test_healthz_is_200_when_the_database_answers(client):
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_does_not_answer(app_factory):
    app = app_factory(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    assert app.test_client().get("/healthz").status_code == 503


def test_start_page_shows_the_hotline_number_when_one_is_configured(app_factory):
    app = app_factory(twilio_from_number="+15005550006")
    response, _ = get_page(app.test_client(), "/", headers={"Accept-Language": "en"})
    assert "send 举报 or 线索 (or TIP) followed by what you saw to +1 500-555-0006" in text_of(response)
    assert 'href="sms:+15005550006"' in response.get_data(as_text=True)  # opens a text message, never dials


def test_start_page_shows_the_configured_sms_hotline_number_grouped_for_reading_in_chinese(app_factory):
    app = app_factory(twilio_from_number="+15005550006", sms_hotline_number="+8613800138000")
    response, _ = get_page(app.test_client(), "/", headers={"Accept-Language": "zh"})
    words = text_of(response)
    assert "138 0013 8000" in words and "500-555-0006" not in words
    assert "举报" in words and "线索" in words


def test_start_page_without_a_hotline_number_points_to_the_local_police(app_factory):
    app = app_factory(twilio_from_number="")
    response, _ = get_page(app.test_client(), "/", headers={"Accept-Language": "en"})
    assert "the hotline number your local police publish" in text_of(response)
