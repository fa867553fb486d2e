"""The language switcher returns to the page the visitor was on, and never to another site; on a
question page of the tip and booking journeys it keeps what was typed and not yet sent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import Tip
from portal.core.security.redirects import safe_next
from tests.support.helpers import check_page, csrf_token, get_page, text_of
from tests.support.factories import create_site
from tests.support.sampling import next_weekday, resident_id, slot_at, walk_to_check
from tests.support.tips import EN, ZH, answer_page, checked_values, fill_journey, visitor_client


def test_switching_to_english_sets_the_cookie_and_returns_to_the_tip_form(app, app_factory):
    client = visitor_client(app_factory)
    response = client.get("/language/en?next=/tips/report")
    assert response.status_code == 302
    assert response.headers["Location"] == "/tips/report"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert cookie.startswith("lang=en;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page, parsed = get_page(client, "/tips/report")
    assert parsed.html_lang == "en"
    assert "Is a child in danger right now?" in text_of(page)
    back = client.get("/language/zh?next=/tips/report")
    assert back.headers["Location"] == "/tips/report"
    page, parsed = get_page(client, "/tips/report")
    assert parsed.html_lang == "zh-CN"
    assert "现在是否有儿童正处于危险之中？" in text_of(page)


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil.example", "/\\evil.example", "https:/evil.example", "evil.example"]
)
def test_switching_language_never_redirects_to_another_site(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_switcher_on_the_tip_form_is_a_button_of_the_form_itself(client):
    page, _ = get_page(client, "/tips/report")
    html = page.get_data(as_text=True)
    assert '<button type="submit" form="question-form" name="switch_language" value="en"' in html
    assert '<form method="post" action="/tips/report" id="question-form"' in html


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example",
     "https://evil.example", "/ /evil.example", "javascript:alert(1)", "/\x00/evil.example"],
)
def test_language_switch_never_redirects_to_another_site(target):
    assert safe_next(target, "/") == "/"


def test_language_switch_keeps_a_local_path_with_its_query():
    assert safe_next("/sampling/site/3?day=2026-12-03", "/") == "/sampling/site/3?day=2026-12-03"


def test_language_switch_with_encoded_tab_or_newline_answers_a_local_redirect(client):
    for encoded in ("/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example"):
        response = client.get(f"/language/en?next={encoded}")
        assert response.status_code == 302
        assert response.headers["Location"] == "/"


# On a question page the switch is a button of the page's own form: what was typed is kept.


def switch_on(client, url: str, typed: dict, language: str, headers: dict | None = None):
    """Press the header's language button on the question page at `url` after typing `typed`:
    the button submits the page's form with switch_language=<language>."""
    page = client.get(url, headers=headers or {})
    html = page.get_data(as_text=True)
    assert (f'<button type="submit" form="question-form" name="switch_language" value="{language}"' in html)
    assert 'id="question-form"' in html
    return client.post(url, data={"csrf_token": csrf_token(html), "switch_language": language, **typed},
                       headers=headers or {})


def test_switching_language_on_a_tip_question_keeps_what_was_typed_and_shows_the_page_in_english(app, app_factory):
    client = visitor_client(app_factory)
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, ZH)
    typed = {"category": "other", "description": "一个小女孩\r\n在车站乞讨"}
    switched = switch_on(client, "/tips/report/what", typed, "en", ZH)
    assert switched.status_code == 303 and switched.headers["Location"] == "/tips/report/what"
    assert any(c.startswith("lang=en;") for c in switched.headers.getlist("Set-Cookie"))

    page, parsed = get_page(client, "/tips/report/what")
    assert parsed.html_lang == "en" and "What did you see?" in text_of(page)
    html = page.get_data(as_text=True)
    assert "一个小女孩\n在车站乞讨</textarea>" in html
    assert checked_values(html, "category") == ["other"]
    assert "There is a problem" not in text_of(page)  # kept, not checked: no error for what is unfinished
    # The switch button now offers Chinese, and submits the same form again.
    assert 'name="switch_language" value="zh"' in html


def test_answers_kept_by_a_switch_do_not_count_as_sent_until_the_page_is_sent(app, app_factory):
    client = visitor_client(app_factory)
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, EN)
    switch_on(client, "/tips/report/what", {"category": "other", "description": "看" * 5001}, "zh", EN)
    # Too long and never checked: the check page sends the person back to the question.
    assert client.get("/tips/report/check").headers["Location"].endswith("/tips/report/what")
    sent = answer_page(client, "/tips/report/what", {"category": "other", "description": "在车站乞讨"})
    assert sent.status_code == 303
    page = client.get("/tips/report/what")
    assert "在车站乞讨</textarea>" in page.get_data(as_text=True)  # the answer sent, not the one kept before


def test_a_whole_tip_can_be_sent_after_switching_language_on_every_question(app, app_factory):
    client = visitor_client(app_factory)
    fill_journey(client, ZH)
    switch_on(client, "/tips/report/who", {"child_age": "大约6岁", "child_clothing": "红色外套"}, "en")
    page = client.get("/tips/report/who")
    assert 'value="大约6岁"' in page.get_data(as_text=True) and "红色外套</textarea>" in page.get_data(as_text=True)
    assert answer_page(client, "/tips/report/who", {"child_age": "大约6岁", "child_clothing": "红色外套"}).status_code == 303
    assert answer_page(client, "/tips/report/check", {}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Tip)) == 1


def test_switching_language_on_the_first_question_with_nothing_chosen_keeps_no_draft(app, app_factory):
    client = visitor_client(app_factory)
    switched = switch_on(client, "/tips/report", {"child_in_danger": ""}, "en")
    assert switched.status_code == 303
    assert not any(c.startswith("tip_draft=") for c in switched.headers.getlist("Set-Cookie"))


def test_other_pages_keep_the_language_link(client):
    html = client.get("/sampling/").get_data(as_text=True)
    assert 'href="/language/en?next=/sampling/"' in html and "switch_language" not in html


def test_switching_language_on_a_booking_question_keeps_what_was_typed(app, app_factory):
    client = visitor_client(app_factory)
    who = client.get("/sampling/who", headers=ZH).get_data(as_text=True)
    client.post("/sampling/who", data={"csrf_token": csrf_token(who), "role": "seeking_birth_family",
                                       "party_size": "1"}, headers=ZH)
    typed = {"remembered": "村口有一棵大树\r\n家里有一条黄狗", "missing_born": "1990", "sampled_before": ""}
    switched = switch_on(client, "/sampling/about", typed, "en", ZH)
    assert switched.status_code == 303 and switched.headers["Location"] == "/sampling/about"
    page = client.get("/sampling/about")
    parsed = check_page(page)
    assert parsed.html_lang == "en" and "What you remember" in text_of(page)
    html = page.get_data(as_text=True)
    assert "村口有一棵大树\n家里有一条黄狗</textarea>" in html and 'value="1990"' in html


def test_switching_language_on_the_attendees_page_keeps_names_and_identity_numbers_typed(app, app_factory):
    client = visitor_client(app_factory)
    who = client.get("/sampling/who", headers=EN).get_data(as_text=True)
    client.post("/sampling/who", data={"csrf_token": csrf_token(who), "role": "seeking_birth_family",
                                       "party_size": "2"}, headers=EN)
    about = client.get("/sampling/about", headers=EN).get_data(as_text=True)
    client.post("/sampling/about", data={"csrf_token": csrf_token(about), "remembered": "大树", "missing_born": "1990",
                                         "sampled_before": "no"}, headers=EN)
    number = resident_id()
    typed = {"attendees-0-name": "王秀英", "attendees-0-relationship": "seeking_birth_family",
             "attendees-0-document_type": "resident_id", "attendees-0-document_number": number,
             "attendees-0-phone": "138 0013 8000", "attendees-1-name": "李明"}
    assert switch_on(client, "/sampling/attendees", typed, "zh", EN).status_code == 303
    page = client.get("/sampling/attendees")
    html = page.get_data(as_text=True)
    assert check_page(page).html_lang == "zh-CN"
    for value in ("王秀英", number, "138 0013 8000", "李明"):
        assert f'value="{value}"' in html, value
    assert "请修改以下内容" not in text_of(page)


def test_switching_language_on_a_place_question_keeps_the_province_chosen(app, app_factory):
    client = visitor_client(app_factory)
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, EN)
    answer_page(client, "/tips/report/what", {"category": "other", "description": "在车站乞讨"}, EN)
    assert switch_on(client, "/tips/report/where", {"division": "320000"}, "zh", EN).status_code == 303
    html = client.get("/tips/report/where").get_data(as_text=True)
    assert '<option value="320000" selected' in html and 'lang="zh-CN"' in html


def test_switching_language_on_the_consent_page_keeps_the_box_as_the_person_left_it(app, app_factory):
    client = visitor_client(app_factory)
    slot = slot_at(create_site(), next_weekday(), 1, 0)
    walk_to_check(client, slot, headers=EN)  # consent given once
    assert checked_values(client.get("/sampling/consent", headers=EN).get_data(as_text=True), "consent") == ["y"]
    # Unticked, then the switch: the page shows it unticked, as it was left, in Chinese.
    assert switch_on(client, "/sampling/consent", {}, "zh", EN).status_code == 303
    page = client.get("/sampling/consent")
    assert check_page(page).html_lang == "zh-CN"
    assert checked_values(page.get_data(as_text=True), "consent") == []
