"""Dates, times and lists read the way docs/writing.md#dates-and-times asks, in both languages."""

from datetime import date, datetime, timezone

from portal.core.i18n import format_day, format_local_datetime, join_list, weekday_name

# 01:20 UTC is 9:20am in Shanghai.
INSTANT = datetime(2026, 12, 3, 1, 20, tzinfo=timezone.utc)


def test_a_time_says_date_weekday_and_local_time_in_chinese():
    assert format_local_datetime(INSTANT, "Asia/Shanghai", "zh") == "2026年12月3日（星期四）上午9:20"


def test_a_time_says_date_weekday_and_local_time_in_english():
    assert format_local_datetime(INSTANT, "Asia/Shanghai", "en") == "Thursday 3 December 2026, 9:20am"


def test_a_day_carries_its_weekday():
    assert format_day(date(2026, 12, 3), "zh") == "2026年12月3日（星期四）"
    assert format_day(date(2026, 12, 3), "en") == "Thursday 3 December 2026"


def test_opening_periods_are_joined_with_each_languages_own_words():
    periods = ["09:00–12:00", "14:00–17:00"]
    assert join_list(periods, "zh") == "09:00–12:00和14:00–17:00"
    assert join_list(periods, "en") == "09:00–12:00 and 14:00–17:00"
    assert (weekday_name(0, "zh"), weekday_name(6, "en")) == ("星期一", "Sunday")


def test_noon_reads_as_zhongwu_in_chinese_and_midday_in_english():
    from datetime import time

    from portal.core.i18n import format_clock

    assert format_clock(time(12, 0), "zh") == "中午12:00" and format_clock(time(12, 30), "zh") == "中午12:30"
    assert format_clock(time(12, 0), "en") == "midday" and format_clock(time(12, 30), "en") == "12:30pm"
    assert format_clock(time(9, 0), "zh") == "上午9:00" and format_clock(time(17, 0), "zh") == "下午5:00"
    noon = datetime(2026, 12, 3, 4, 0, tzinfo=timezone.utc)
    assert format_local_datetime(noon, "Asia/Shanghai", "zh") == "2026年12月3日（星期四）中午12:00"


def test_opening_hours_are_written_like_every_other_time():
    from datetime import time

    from portal.core.i18n import format_hours

    assert format_hours(time(9), time(17), "zh") == "上午9:00–下午5:00"
    assert format_hours(time(9), time(17), "en") == "9:00am–5:00pm"
