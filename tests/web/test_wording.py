"""Pages follow docs/writing.md in both languages: Chinese punctuation composed per language (no
half-width commas, colons or brackets glued to Chinese, no stray spaces), phone numbers grouped
for reading, dates written the language's way, date boxes labelled 年/月/日."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment
from tests.support.helpers import get_page, text_of
from tests.support.sampling import (
    JOURNEY_LIMITS,
    PARENT_CASE,
    book_on_web,
    next_weekday,
    person,
    resident_id,
    slot_at,
    walk_to_check,
)
from tests.support.factories import create_site
from tests.support.tips import EN, ZH, fill_journey

HALF_WIDTH_NEXT_TO_CHINESE = re.compile(r"[\u4e00-\u9fff）][,:;] ?[\u4e00-\u9fff\d（]|[\u4e00-\u9fff] \(")


@pytest.fixture
def app_settings() -> dict[str, object]:
    """The pages are reached by walking whole journeys, booking journeys among them: the form
    limits of tests/web/sampling/conftest.py."""
    return dict(JOURNEY_LIMITS)


def _open_slot():
    site = create_site()
    return slot_at(site, next_weekday(), 1)


def test_the_sampling_check_page_in_chinese_writes_the_date_the_chinese_way_with_full_width_commas_and_grouped_phones(client):
    slot = _open_slot()
    client.set_cookie("lang", "zh")
    check = walk_to_check(client, slot, [person("王秀英", phone="+86 138 0013 8000")],
                          case={**PARENT_CASE, "last_seen_on": "2008-06-01", "last_seen_place": "四川省成都市"})
    words = text_of(check)
    assert "2008年6月1日，四川省成都市" in words and "2008-06-01" not in words
    assert "138 0013 8000" in words and "+86" not in words
    assert not HALF_WIDTH_NEXT_TO_CHINESE.search(words), HALF_WIDTH_NEXT_TO_CHINESE.search(words)


def test_the_sampling_check_page_in_english_keeps_english_punctuation(client):
    slot = _open_slot()
    client.set_cookie("lang", "en")
    check = walk_to_check(client, slot, [person("王秀英", phone="13800138000")],
                          case={**PARENT_CASE, "last_seen_on": "2008-06-01", "last_seen_place": "Chengdu"})
    words = text_of(check)
    assert "1 June 2008, Chengdu" in words and "138 0013 8000" in words


def test_the_confirmation_puts_masked_identity_numbers_in_full_width_brackets_in_chinese(client):
    slot = _open_slot()
    client.set_cookie("lang", "zh")
    assert book_on_web(client, slot, [person("王秀英", id_number=resident_id(serial="031"))]).status_code == 303
    page, _ = get_page(client, "/sampling/confirmation")
    words = text_of(page)
    assert re.search(r"王秀英（[^）]*\d{4}）", words) and "王秀英 (" not in words
    assert db.session.scalars(select(Appointment)).one() is not None


def test_tip_pages_have_no_space_before_the_optional_mark_or_between_chinese_sentences(client):
    fill_journey(client, ZH)
    place, _ = get_page(client, "/tips/report/where/place", headers=ZH)
    assert '？<span class="optional">（选填）</span>' in place.get_data(as_text=True)
    contact, _ = get_page(client, "/tips/report/contact", headers=ZH)
    assert "或电话。如果您留下" in contact.get_data(as_text=True)
    english, _ = get_page(client, "/tips/report/contact", headers=EN)
    assert "give your name or number. If you do" in text_of(english)


def test_the_tip_date_is_one_box_whose_hint_gives_examples_in_the_page_language(client):
    fill_journey(client, ZH)
    page, _ = get_page(client, "/tips/report/when", headers=ZH)
    html = page.get_data(as_text=True)
    assert re.search(r'<label class="label" for="seen_date">您记得的日期<span class="optional">（选填）</span></label>', html)
    assert "1990年5月17日" in text_of(page) and "17 May 1990" not in text_of(page)
    english, _ = get_page(client, "/tips/report/when", headers=EN)
    assert "Date, as far as you know (optional)" in text_of(english)
    assert "17 May 1990" in text_of(english) and "1990年5月17日" not in text_of(english)


def test_the_region_hint_quotes_the_option_name(client):
    fill_journey(client, EN)
    page, _ = get_page(client, "/tips/report/where", headers=EN)
    assert "Choose \"I do not know\" if you are not sure." in text_of(page)


def test_the_tip_confirmation_heading_about_the_codes_is_natural_english(client):
    from tests.support.tips import send_tip

    assert send_tip(client, EN).status_code == 303
    page, _ = get_page(client, "/tips/confirmation", headers=EN)
    assert "Checking progress" in text_of(page) and "How to use them" not in text_of(page)
