"""Dates as people write them on the booking journey: the date of birth and when the person was
last seen are typed as far as the family knows them, stored as EDTF in the case, and shown in
words on "Check your answers"; the family's page asks only for the name and the date of birth."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import Appointment, SamplingDraft
from tests.support.dates import DATE_FORMS
from tests.support.factories import create_site
from tests.support.helpers import get_page, post_form, text_of
from tests.support.sampling import PARENT_CASE, book_on_web, next_weekday, person, slot_at, walk_to_check

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}
NOTHING_ELSE = {"missing_name": "王小明", "missing_born": "2003", "sampled_before": "no"}


@pytest.fixture
def slot(app):
    return slot_at(create_site(), next_weekday(), 1, 0)


def _stored_case() -> dict:
    return json.loads(db.session.execute(select(SamplingDraft.answers)).scalar_one())["case"]


def _row(page_text: str, label: str) -> str:
    """The words after `label` on the check page, up to its Change link."""
    after = page_text.split(label, 1)[1]
    return after.split("Change" if "Change" in after else "更改", 1)[0].strip()


@pytest.mark.parametrize(("typed", "edtf", "chinese", "english"), DATE_FORMS)
def test_a_family_types_both_dates_as_it_knows_them_and_checks_them_in_words(client, slot, typed, edtf, chinese, english):
    check = walk_to_check(client, slot, case={**PARENT_CASE, "missing_born": typed, "last_seen_on": typed,
                                              "last_seen_place": "成都火车站"}, headers=ZH)
    assert _stored_case()["missing_born"] == edtf and _stored_case()["last_seen_on"] == edtf
    words = text_of(check)
    assert f"出生日期 {chinese} " in words and f"{chinese}，成都火车站" in words
    english_words = text_of(client.get("/sampling/check", headers=EN))
    assert f"Date of birth {english} " in english_words and f"{english}, 成都火车站" in english_words


@pytest.mark.parametrize(("typed", "edtf", "chinese", "english"), DATE_FORMS)
def test_a_person_seeking_their_family_types_their_birth_date_as_they_know_it(client, slot, typed, edtf, chinese, english):
    check = walk_to_check(client, slot, role="seeking_birth_family", headers=EN,
                          case={"remembered": "家门口有一棵大树", "missing_born": typed, "sampled_before": "no"})
    assert _stored_case()["missing_born"] == edtf
    assert f"Date of birth {english} " in text_of(check)
    assert f"出生日期 {chinese} " in text_of(client.get("/sampling/check", headers=ZH))


def test_the_booking_keeps_the_dates_as_edtf(client, slot):
    assert book_on_web(client, slot, [person()], case={**PARENT_CASE, "missing_born": "约2003年",
                                                        "last_seen_on": "2008年6月"}).status_code == 303
    case = json.loads(db.session.scalars(select(Appointment)).one().case_details)
    assert (case["missing_born"], case["last_seen_on"]) == ("2003~", "2008-06")


@pytest.mark.parametrize(("typed", "english", "chinese"), [
    ("2003-02-31", "Enter a real date, like 17 May 1990", "请输入真实存在的日期，例如1990年5月17日"),
    ("1899", "Enter a date from 1900 onwards, like 1990", "请输入1900年以后的日期，例如1990年"),
    ("next spring", "Enter the date of birth as far as you know, like 1990, May 1990 or 17 May 1990",
     "请按您所知输入出生日期，例如1990年、1990年5月或1990年5月17日"),
])
def test_a_birth_date_that_cannot_be_is_refused_in_the_page_language_and_kept_as_typed(client, slot, typed, english, chinese):
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "1"})
    for headers, message in ((EN, english), (ZH, chinese)):
        response = post_form(client, "/sampling/about", {**PARENT_CASE, "missing_born": typed}, headers=headers)
        assert response.status_code == 200 and message in text_of(response)
        assert f'value="{typed}"' in response.get_data(as_text=True)


def test_a_last_seen_date_in_the_future_is_refused(client, slot):
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "1"})
    tomorrow = clock.local_today() + timedelta(days=1)
    for typed in (tomorrow.isoformat(), str(tomorrow.year + 1)):
        response = post_form(client, "/sampling/about", {**PARENT_CASE, "last_seen_on": typed}, headers=EN)
        assert response.status_code == 200 and "The date must be today or in the past" in text_of(response)
    unreadable = post_form(client, "/sampling/about", {**PARENT_CASE, "last_seen_on": "long ago"}, headers=EN)
    assert "Enter when they were last seen as far as you know, like 2008, June 2008 or 1 June 2008" in text_of(unreadable)


@pytest.mark.parametrize(("born", "seen"), [("2010年", "1995年"), ("2026年12月7日", "2026年1月"), ("2000s", "1990s"),
                                            ("2002年", "2001年夏天"), ("autumn 2001", "summer 2001")])
def test_a_last_seen_date_before_the_date_of_birth_is_refused_in_both_languages(client, slot, born, seen):
    """The red team's case: born 2010, last seen 1995, was accepted."""
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "1"})
    typed = {**PARENT_CASE, "missing_born": born, "last_seen_on": seen}
    refused = post_form(client, "/sampling/about", typed, headers=EN)
    assert refused.status_code == 200
    assert "They cannot have been last seen before they were born: check both dates" in text_of(refused)
    assert f'value="{seen}"' in refused.get_data(as_text=True)
    chinese = post_form(client, "/sampling/about", typed, headers=ZH)
    assert "最后见到的时间不能早于出生日期，请核对这两个日期" in text_of(chinese)


@pytest.mark.parametrize(("born", "seen"), [("1990年", "1990年"), ("约2010", "2005"), ("2010年5月", "2010年"),
                                            # Winter 2001 may be the winter that starts in December 2001.
                                            ("2002年1月", "2001年冬天"), ("2001年夏天", "2001年")])
def test_a_last_seen_date_that_may_be_after_the_birth_or_is_a_guess_is_accepted(client, slot, born, seen):
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "1"})
    accepted = post_form(client, "/sampling/about", {**PARENT_CASE, "missing_born": born, "last_seen_on": seen},
                         headers=EN)
    assert accepted.status_code in (302, 303) and accepted.headers["Location"].endswith("/sampling/attendees"), text_of(accepted)


def test_a_family_may_leave_out_the_sex_and_when_and_where_the_person_was_last_seen(client, slot):
    check = walk_to_check(client, slot, case=NOTHING_ELSE, headers=EN)
    words = text_of(check)
    assert "Sex Not given" in words and "Last seen Not given" in words
    assert not _stored_case()["last_seen_on"] and _stored_case()["missing_sex"] is None
    chinese = text_of(client.get("/sampling/check", headers=ZH))
    assert "性别 未填写" in chinese and "最后见到的时间和地点 未填写" in chinese


def test_a_family_may_give_only_where_the_person_was_last_seen(client, slot):
    check = walk_to_check(client, slot, case={**NOTHING_ELSE, "last_seen_place": "成都火车站"}, headers=EN)
    assert "Last seen 成都火车站 " in text_of(check)


def test_the_name_and_the_date_of_birth_are_still_required(client, slot):
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "1"})
    response = post_form(client, "/sampling/about", {"sampled_before": "no"}, headers=EN)
    words = text_of(response)
    assert "Enter the name of the person you are looking for" in words
    assert "Enter the date of birth as far as you know, like 1990, May 1990 or 17 May 1990" in words
    assert "Choose the sex of the person" not in words and "Enter where they were last seen" not in words


def test_the_family_page_marks_what_is_optional_and_gives_the_same_date_hint_twice(client, slot):
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "1"})
    page, _ = get_page(client, "/sampling/about", headers=EN)
    words = text_of(page)
    assert "Sex (optional)" in words and "When were they last seen? (optional)" in words
    assert "Where were they last seen? (optional)" in words and "Name of the person you are looking for (optional)" not in words
    assert words.count("a month (May 1990)") == 2


def test_a_stored_date_comes_back_into_the_box_in_words_of_the_page_language(client, slot):
    walk_to_check(client, slot, case={**PARENT_CASE, "missing_born": "约90年代", "last_seen_on": "2008-06"})
    zh_page = client.get("/sampling/about?change=1", headers=ZH).get_data(as_text=True)
    assert 'value="约1990年代"' in zh_page and 'value="2008年6月"' in zh_page
    en_page = client.get("/sampling/about?change=1", headers=EN).get_data(as_text=True)
    assert 'value="about the 1990s"' in en_page and 'value="June 2008"' in en_page
    # Sent back unchanged, the words are read as the same dates.
    post_form(client, "/sampling/about?change=1", {**PARENT_CASE, "missing_born": "about the 1990s",
                                                   "last_seen_on": "June 2008"}, headers=EN)
    assert (_stored_case()["missing_born"], _stored_case()["last_seen_on"]) == ("199X~", "2008-06")


def test_a_date_typed_before_dates_were_stored_as_edtf_is_still_shown_in_words(client, slot):
    walk_to_check(client, slot)
    answers = json.loads(db.session.execute(select(SamplingDraft.answers)).scalar_one())
    answers["case"]["last_seen_on"] = "2008-6-1"  # as the old validator kept it
    draft = db.session.scalars(select(SamplingDraft)).one()
    draft.answers = json.dumps(answers, ensure_ascii=False)
    db.session.commit()
    assert "2008年6月1日，成都火车站" in text_of(client.get("/sampling/check", headers=ZH))
