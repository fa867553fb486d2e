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


@pytest.mark.parametrize(("typed", "edtf", "chinese", "english"), [
    ("2001年春", "2001-21", "2001年春天", "spring 2001"),
    ("2001年春天", "2001-21", "2001年春天", "spring 2001"),
    ("2001年夏天", "2001-22", "2001年夏天", "summer 2001"),
    ("2001年夏季", "2001-22", "2001年夏天", "summer 2001"),
    ("2001年秋", "2001-23", "2001年秋天", "autumn 2001"),
    ("2001年冬天", "2001-24", "2001年冬天", "winter 2001"),
    ("２００１年夏天", "2001-22", "2001年夏天", "summer 2001"),
    ("spring 2001", "2001-21", "2001年春天", "spring 2001"),
    ("Summer 2001", "2001-22", "2001年夏天", "summer 2001"),
    ("summer of 2001", "2001-22", "2001年夏天", "summer 2001"),
    ("2001 summer", "2001-22", "2001年夏天", "summer 2001"),
    ("fall 2001", "2001-23", "2001年秋天", "autumn 2001"),
    ("autumn 2001", "2001-23", "2001年秋天", "autumn 2001"),
    ("winter 2001", "2001-24", "2001年冬天", "winter 2001"),
])
def test_a_season_is_stored_as_its_edtf_season_and_shown_back_as_the_season(typed, edtf, chinese, english):
    found = parse_partial_date(typed, TODAY)
    assert (found.edtf, found.precision) == (edtf, Precision.SEASON)
    assert partial_date_words(edtf, "zh") == chinese
    assert partial_date_words(edtf, "en") == english


@pytest.mark.parametrize(("typed", "edtf", "chinese", "english"), [
    ("90年代初", "1990~/1993~", "1990年代初", "the early 1990s"),
    ("90年代初期", "1990~/1993~", "1990年代初", "the early 1990s"),
    ("上世纪90年代初", "1990~/1993~", "1990年代初", "the early 1990s"),
    ("1990年代中", "1994~/1996~", "1990年代中期", "the mid-1990s"),
    ("90年代中期", "1994~/1996~", "1990年代中期", "the mid-1990s"),
    ("90年代末", "1997~/1999~", "1990年代末", "the late 1990s"),
    ("90年代后期", "1997~/1999~", "1990年代末", "the late 1990s"),
    ("上世纪90年代末", "1997~/1999~", "1990年代末", "the late 1990s"),
    ("上个世纪80年代末", "1987~/1989~", "1980年代末", "the late 1980s"),
    ("early 1990s", "1990~/1993~", "1990年代初", "the early 1990s"),
    ("the early 90s", "1990~/1993~", "1990年代初", "the early 1990s"),
    ("mid 1990s", "1994~/1996~", "1990年代中期", "the mid-1990s"),
    ("the mid-90s", "1994~/1996~", "1990年代中期", "the mid-1990s"),
    ("late 1990s", "1997~/1999~", "1990年代末", "the late 1990s"),
    ("late '90s", "1997~/1999~", "1990年代末", "the late 1990s"),
    ("early 2000s", "2000~/2003~", "2000年代初", "the early 2000s"),
])
def test_the_early_middle_or_late_part_of_a_decade_is_stored_as_an_interval_and_shown_back_in_words(
        typed, edtf, chinese, english):
    found = parse_partial_date(typed, TODAY)
    assert (found.edtf, found.precision) == (edtf, Precision.PART_OF_DECADE)
    assert partial_date_words(edtf, "zh") == chinese
    assert partial_date_words(edtf, "en") == english


@pytest.mark.parametrize("edtf", ["2001-21", "2001-22", "2001-23", "2001-24", "1990~/1993~", "1994~/1996~", "1997~/1999~"])
def test_a_season_or_part_of_a_decade_shown_back_in_either_language_reads_back_the_same(edtf):
    # The date box shows a stored value as words; sent again, the words must mean the same date.
    for language in ("zh", "en"):
        found = parse_partial_date(partial_date_words(edtf, language), TODAY)
        assert found.edtf == edtf and from_edtf(edtf) == found


@pytest.mark.parametrize(("edtf", "earliest", "latest"), [
    ("2001-21", date(2001, 3, 1), date(2001, 5, 31)),
    ("2001-22", date(2001, 6, 1), date(2001, 8, 31)),
    ("2001-23", date(2001, 9, 1), date(2001, 11, 30)),
    # Winter 2001 may be its first months or the winter starting in its December.
    ("2001-24", date(2001, 1, 1), date(2002, 2, 28)),
    ("2003-24", date(2003, 1, 1), date(2004, 2, 29)),
    ("1990~/1993~", date(1990, 1, 1), date(1993, 12, 31)),
    ("1994~/1996~", date(1994, 1, 1), date(1996, 12, 31)),
    ("1997~/1999~", date(1997, 1, 1), date(1999, 12, 31)),
])
def test_a_season_or_part_of_a_decade_spans_its_days_a_winter_both_ends_of_its_year(edtf, earliest, latest):
    found = from_edtf(edtf)
    assert found is not None and (found.earliest(), found.latest()) == (earliest, latest)


def test_about_a_season_is_kept_as_the_season_because_edtf_has_no_approximate_season():
    for typed in ("约2001年夏天", "2001年夏天左右", "about summer 2001"):
        found = parse_partial_date(typed, TODAY)
        assert (found.edtf, found.approximate) == ("2001-22", False)


def test_about_the_early_1990s_is_the_early_1990s_without_a_second_about():
    found = parse_partial_date("约90年代初", TODAY)
    assert found.edtf == "1990~/1993~"
    assert partial_date_words(found.edtf, "zh") == "1990年代初"
    assert partial_date_words(found.edtf, "en") == "the early 1990s"


@pytest.mark.parametrize("edtf", ["2001-37", "1990~/1995~", "1990/1993", "1991~/1993~", "1998~/2001~"])
def test_another_season_code_or_interval_is_not_read_as_a_season_or_part_of_a_decade(edtf):
    assert from_edtf(edtf) is None


@pytest.mark.parametrize(("typed", "reason"), [
    ("2001年夏夏", "unreadable"), ("夏天", "unreadable"), ("summer", "unreadable"), ("summer 01", "unreadable"),
    ("2001年雨季", "unreadable"), ("90年代晚", "unreadable"), ("早90年代", "unreadable"), ("early", "unreadable"),
    ("95年代初", "unreadable"), ("early 1995s", "unreadable"), ("上世纪10年代末末", "unreadable"),
    ("上世纪2000年代初", "unreadable"), ("middle 1990s", "unreadable"), ("banana 1990s", "unreadable"),
    ("1899年夏天", "too_early"), ("late 1890s", "too_early"),
    ("2027年春天", "future"), ("spring 2027", "future"), ("20年代末", "future"), ("late 2020s", "future"),
])
def test_a_nonsense_early_or_future_season_or_part_of_a_decade_is_still_refused(typed, reason):
    with pytest.raises(DateRefused) as refused:
        parse_partial_date(typed, TODAY)
    assert refused.value.reason == reason


def test_this_winter_and_the_early_2020s_are_accepted():
    assert parse_partial_date("2026年冬天", TODAY).edtf == "2026-24"
    assert parse_partial_date("20年代初", TODAY).edtf == "2020~/2023~"
    with pytest.raises(DateRefused) as refused:
        parse_partial_date("2027年冬天", TODAY)
    assert refused.value.reason == "future"
