"""The app starts, serves its start page in both languages, and reports its health."""

from sqlalchemy import text

from portal.extensions import db
from tests.helpers import get_page, text_of


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
