"""Dates as people write them: read into EDTF with their precision, refused with a reason, and
written back in words (portal.core.partial_dates)."""

from __future__ import annotations

from datetime import date

import pytest

from portal.core.partial_dates import DateRefused, Precision, from_edtf, parse_partial_date, partial_date_words
from tests.support.dates import DATE_FORMS

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(("typed", "edtf", "chinese", "english"), DATE_FORMS)
def test_each_way_of_writing_a_date_is_stored_as_edtf_and_read_back_in_both_languages(typed, edtf, chinese, english):
    assert parse_partial_date(typed, TODAY).edtf == edtf
    assert partial_date_words(edtf, "zh") == chinese
    assert partial_date_words(edtf, "en") == english


@pytest.mark.parametrize(("typed", "precision", "approximate"), [
    ("1990年5月17日", Precision.DAY, False), ("1990年5月", Precision.MONTH, False), ("1990", Precision.YEAR, False),
    ("90年代", Precision.DECADE, False), ("1990年左右", Precision.YEAR, True), ("约1990年5月", Precision.MONTH, True),
])
def test_a_date_keeps_its_precision_and_whether_it_is_approximate(typed, precision, approximate):
    found = parse_partial_date(typed, TODAY)
    assert (found.precision, found.approximate) == (precision, approximate)
    assert from_edtf(found.edtf) == found


@pytest.mark.parametrize(("edtf", "earliest", "latest"), [
    ("1990-05-17", date(1990, 5, 17), date(1990, 5, 17)),
    ("1990-02", date(1990, 2, 1), date(1990, 2, 28)),
    ("1990", date(1990, 1, 1), date(1990, 12, 31)),
    ("1990~", date(1990, 1, 1), date(1990, 12, 31)),
    ("199X", date(1990, 1, 1), date(1999, 12, 31)),
])
def test_a_partial_date_spans_its_first_to_its_last_day(edtf, earliest, latest):
    found = from_edtf(edtf)
    assert found is not None and (found.earliest(), found.latest()) == (earliest, latest)


@pytest.mark.parametrize(("typed", "reason"), [
    ("1990-02-31", "impossible"), ("31 February 1990", "impossible"), ("1990年13月", "impossible"),
    ("1899", "too_early"), ("1890年代", "too_early"),
    ("2026-12-08", "future"), ("2027", "future"), ("2027年1月", "future"),
    ("next spring", "unreadable"), ("1995年代", "unreadable"), ("约", "unreadable"), ("", "unreadable"),
])
def test_an_impossible_early_future_or_unreadable_date_is_refused_with_its_reason(typed, reason):
    with pytest.raises(DateRefused) as refused:
        parse_partial_date(typed, TODAY)
    assert refused.value.reason == reason


def test_today_this_month_this_year_and_this_decade_are_accepted():
    for typed in ("2026-12-07", "2026年12月", "2026", "20年代", "the 2020s"):
        assert parse_partial_date(typed, TODAY).earliest() <= TODAY


def test_a_two_digit_decade_is_this_centurys_once_it_has_begun_else_the_last():
    assert parse_partial_date("10年代", TODAY).edtf == "201X"
    assert parse_partial_date("the 20s", TODAY).edtf == "202X"
    assert parse_partial_date("30年代", TODAY).edtf == "193X"


def test_values_stored_before_edtf_are_still_written_in_words():
    assert partial_date_words("2003", "zh") == "2003年" and partial_date_words("2003-05-17", "en") == "17 May 2003"
    # The old validator kept one-digit months and days as typed.
    assert partial_date_words("2008-6-1", "zh") == "2008年6月1日"
    assert partial_date_words("什么时候", "zh") == "什么时候" and partial_date_words(None, "en") == ""


def test_an_exact_day_can_carry_its_weekday():
    assert partial_date_words("2026-11-03", "en", weekday=True) == "Tuesday 3 November 2026"
    assert partial_date_words("2026-11-03", "zh", weekday=True) == "2026年11月3日（星期二）"
    assert partial_date_words("2026-11", "en", weekday=True) == "November 2026"
