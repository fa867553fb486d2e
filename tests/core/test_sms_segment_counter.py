"""The SMS segment counter (portal.core.sms.segments): Twilio's GSM-7 and UCS-2 rules at every boundary."""

from __future__ import annotations

import pytest

from portal.core.sms.segments import GSM_7, UCS_2, SegmentCount, count, fits_two_segments, segments

CHINESE = "您的线索已收到。受理编号TY-7K3M-9Q2P，查询码7K3M-9Q2P-XH4T-R8WB。请保存好，用于查询进度。如遇紧急情况请拨打110。"


@pytest.mark.parametrize(
    ("length", "expected"),
    [(1, 1), (159, 1), (160, 1), (161, 2), (305, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm_text_takes_160_septets_in_one_segment_then_153_per_segment(length, expected):
    text = ("Hello world 0123456789 @$_!?" * 20)[:length]
    assert count(text) == SegmentCount(GSM_7, length, expected)


@pytest.mark.parametrize(
    ("length", "expected"),
    [(1, 1), (69, 1), (70, 1), (71, 2), (133, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_chinese_text_takes_70_units_in_one_segment_then_67_per_segment(length, expected):
    text = ("团圆行动免费采血" * 30)[:length]
    assert count(text) == SegmentCount(UCS_2, length, expected)


def test_one_chinese_character_makes_the_whole_message_ucs2():
    text = "a" * 69 + "你"
    assert count(text) == SegmentCount(UCS_2, 70, 1)
    assert segments(text + "a") == 2


@pytest.mark.parametrize("character", list("€[]{}^~|\\") + ["\f"])
def test_an_extension_character_stays_gsm_and_counts_two_septets(character):
    assert count(character) == SegmentCount(GSM_7, 2, 1)
    assert count("a" * 158 + character) == SegmentCount(GSM_7, 160, 1)
    assert count("a" * 159 + character) == SegmentCount(GSM_7, 161, 2)


@pytest.mark.parametrize("character", list("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\n\r "))
def test_every_basic_gsm_character_counts_one_septet(character):
    assert count(character) == SegmentCount(GSM_7, 1, 1)


@pytest.mark.parametrize("text", ["“quoted”", "’", "…", "—", "\u00a0", "Ç" + "ç", "\x1b", "，"])
def test_characters_outside_the_gsm_alphabet_make_the_message_ucs2(text):
    assert count(text).encoding == UCS_2


def test_an_emoji_outside_the_bmp_counts_two_utf16_units():
    assert count("😜") == SegmentCount(UCS_2, 2, 1)
    assert count("😜" * 35) == SegmentCount(UCS_2, 70, 1)
    assert count("😜" * 35 + "a") == SegmentCount(UCS_2, 71, 2)


# The four examples in Twilio's own message segment calculator (TwilioDevEd/message-segment-calculator,
# tests/index.test.js): an escape character and an emoji at the 160-septet and 70-unit limits.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (("{" + "2345678901" * 16)[:159], SegmentCount(GSM_7, 160, 1)),
        (("{" + "2345678901" * 16)[:160], SegmentCount(GSM_7, 161, 2)),
        (("😜" + "2345678901" * 7)[:69], SegmentCount(UCS_2, 70, 1)),
        (("😜" + "2345678901" * 7)[:70], SegmentCount(UCS_2, 71, 2)),
    ],
)
def test_twilio_calculator_examples(text, expected):
    assert count(text) == expected


def test_an_extension_character_is_never_split_between_two_segments():
    # 306 septets would be two segments of 153, but the euro sign would straddle the boundary.
    text = "a" * 152 + "€" + "a" * 152
    assert count(text) == SegmentCount(GSM_7, 306, 3)


def test_a_surrogate_pair_is_never_split_between_two_segments():
    text = "你" * 66 + "😜" + "你" * 66
    assert count(text) == SegmentCount(UCS_2, 134, 3)


def test_an_empty_text_is_no_segment():
    assert count("") == SegmentCount(GSM_7, 0, 0)
    assert fits_two_segments("")


def test_a_real_chinese_reply_is_counted_in_utf16_units():
    assert count(CHINESE) == SegmentCount(UCS_2, len(CHINESE), 1 if len(CHINESE) <= 70 else 2)
    assert fits_two_segments(CHINESE)


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("a" * 306, True), ("a" * 307, False),
        ("你" * 134, True), ("你" * 135, False), ("a" * 133 + "你", True), ("a" * 134 + "你", False),
        # 76 two-septet characters fill a 153-septet segment; the 153rd euro sign needs a third.
        ("€" * 152, True), ("€" * 153, False),
        # 33 emoji (66 units) fill a 67-unit segment, so 67 emoji (134 units) need a third.
        ("😜" * 66, True), ("😜" * 67, False),
    ],
    ids=["306-gsm", "307-gsm", "134-chinese", "135-chinese", "134-mixed", "135-mixed",
         "152-euro", "153-euro", "66-emoji", "67-emoji"],
)
def test_fits_two_segments_at_the_limits(text, fits):
    assert fits_two_segments(text) is fits
