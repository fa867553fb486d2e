"""The booking notices' words (portal/sampling/notices.py): they say how to change or cancel, tell
two or more people that each brings their own identity card, and, with the longest real values
in both languages, keep within three segments, cut in the writing guide's order
(docs/writing.md#how-long-an-sms-may-be). Every notice's segment count with the longest values is
also checked in tests/hotline/test_segments.py."""

from __future__ import annotations

import csv
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.i18n import format_local_datetime
from portal.core.models import OutboundMessage
from portal.core.sms.segments import MAX_NOTICE_SEGMENTS, segments
from portal.demo.commands import DEMO_SITES_CSV
from portal.sampling import notices
from tests.support.factories import create_site
from tests.support.sampling import book, next_weekday, resident_id, slot_at

REFERENCE = "TY-7K3M-9Q2P"
URL = "https://tuanyuan.police.nantong.gov.cn/sampling/manage"
# Published lists give no street address (/work/shared/data/README.md); staff may type one of up
# to 300 characters. This is a long one of the kind a station's would be (made up, not a real one).
LONG_ADDRESS = "江苏省南通市启东市汇龙镇人民中路与公园南路交叉口东北角启东市公安局汇龙镇中心派出所办证大厅二楼东侧采血室"


def _rows() -> list[dict[str, str]]:
    with DEMO_SITES_CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _longest_site_and_place() -> tuple[str, str]:
    """The longest real site name, and the longest place a real site's notice names (its city,
    when the name does not already say it)."""
    rows = _rows()
    name = max((row["name"] for row in rows), key=len)
    place = max((notices.site_place(row["name"], None, row["city"]) for row in rows), key=len)
    return name, place


def _when(language: str) -> str:
    # Wednesday 30 September 2026, 10:40am: the longest weekday, month and clock either language writes.
    return format_local_datetime(datetime(2026, 9, 30, 2, 40, tzinfo=timezone.utc), "Asia/Shanghai", language)


def _all(site: str, place: str, language: str, people: int = 2) -> list[str]:
    when = _when(language)
    return [
        notices.confirmation_text(REFERENCE, site, place, when, people, URL, language),
        notices.reminder_text(REFERENCE, site, place, when, people, URL, language),
        notices.change_text(REFERENCE, site, place, when, people, URL, language),
        notices.sms_booking_confirmation_text(REFERENCE, site, place, when, URL, language),
        notices.cancellation_text(REFERENCE, site, when, language),
        notices.closure_text(REFERENCE, site, when, URL, language),
    ]


def test_the_real_lists_longest_values_are_what_these_tests_use():
    assert _longest_site_and_place() == ("启东市公安局汇龙镇中心派出所", "南通市通州区")
    # The shared copy of the published list is the demo's (when it is beside the repository).
    assert [row["name"] for row in _rows()][0] == "南通市公安局"


def test_in_chinese_every_booking_notice_keeps_everything_with_the_longest_real_values(app):
    site, place = _longest_site_and_place()
    for text in _all(site, place, "zh"):
        assert segments(text) <= MAX_NOTICE_SEGMENTS, text
        assert REFERENCE in text and _when("zh") in text and site in text and "…" not in text, text
    confirmation, reminder, change, by_sms = _all(site, place, "zh")[:4]
    for text in (confirmation, reminder, change, by_sms):
        assert place in text and "改约或取消：" + URL in text and "回复“取消预约”" in text, text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_with_a_long_typed_address_the_notice_is_cut_in_the_writing_guides_order_never_the_time(app, language):
    site, _ = _longest_site_and_place()
    when = _when(language)
    for text in _all(site, LONG_ADDRESS, language)[:4]:
        assert segments(text) <= MAX_NOTICE_SEGMENTS, text
        assert text.startswith(("受理编号" if language == "zh" else "Reference ") + REFERENCE), text
        assert when in text
        if language == "zh":  # at most the way to change was cut to the keyword: the rest is whole
            assert site in text and LONG_ADDRESS in text, text
            assert URL in text or "取消请回复“取消预约”。" in text, text
            continue
        # English with Chinese names is UCS-2 (201 characters): first the way to change goes down
        # to the keyword, then the address is shortened, and only at its shortest the site's name.
        assert URL not in text and "To cancel, send CANCEL BOOKING." in text, text
        assert LONG_ADDRESS not in text and "…" in text, text
        if site not in text:
            assert f"({LONG_ADDRESS[:4]}…)" in text and site[:4] in text, text


@pytest.mark.parametrize(("language", "one", "two", "for_one", "for_two"), [
    ("zh", "请带身份证。", "每位采血人请带本人身份证。", "已为1人预约", "已为2人预约"),
    ("en", "Bring your identity card.", "Each person brings their own identity card.", "for 1 person:", "for 2 people:"),
])
def test_the_advice_and_the_count_are_plural_correct(app, language, one, two, for_one, for_two):
    when = _when(language)
    single = notices.confirmation_text(REFERENCE, "南通市公安局", "", when, 1, URL, language)
    double = notices.confirmation_text(REFERENCE, "南通市公安局", "", when, 2, URL, language)
    assert one in single and for_one in single and two not in single
    assert two in double and for_two in double and one not in double
    for text in (notices.reminder_text(REFERENCE, "南通市公安局", "", when, 2, URL, language),
                 notices.change_text(REFERENCE, "南通市公安局", "", when, 2, URL, language)):
        assert two in text and one not in text


def test_a_two_person_bookings_confirmation_sms_speaks_to_both_and_says_how_to_change(app):
    site = create_site(name="海门区公安局", city="南通市海门区")
    book(slot_at(site, next_weekday(3), 1), [resident_id(serial="011"), resident_id(serial="012")])
    db.session.commit()
    body = db.session.scalars(select(OutboundMessage.body).where(
        OutboundMessage.purpose == notices.CONFIRMATION_PURPOSE)).one()
    assert "已为2人预约" in body and "每位采血人请带本人身份证。" in body and "请带身份证。" not in body.replace("本人身份证", "")
    assert "海门区公安局（南通市海门区）" in body and "取消预约" in body and segments(body) <= MAX_NOTICE_SEGMENTS


def test_without_a_public_address_the_notice_points_to_the_website(app):
    text = notices.confirmation_text(REFERENCE, "南通市公安局", "", _when("en"), 1, "/sampling/manage", "en")
    assert "To change or cancel, use our website or send CANCEL BOOKING." in text and "/sampling/manage" not in text


def test_a_place_the_sites_name_already_says_is_left_out():
    assert notices.site_place("南通市公安局", None, "南通市") == ""
    assert notices.site_place("海门区公安局", None, "南通市海门区") == "南通市海门区"
    assert notices.site_place("海门区公安局", " 海门区北京中路1号 ", "南通市海门区") == "海门区北京中路1号"
