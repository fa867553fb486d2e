"""Personal identifiers are shown only in part wherever a whole value is not needed."""

from portal.core.security.masking import last_digits, mask_identity_number, mask_mobile, mask_name, mask_phone_for_log


def test_masks_keep_only_a_small_part_of_each_identifier():
    assert mask_mobile("+8613800138000") == "••• •••• 8000"
    assert mask_phone_for_log("+8613800138000") == "+86138…8000"
    assert mask_name("张三") == "张•" and mask_name("John Smith") == "J•••"
    assert mask_identity_number("11010519491231002X") == "•••• 002X"
    assert mask_identity_number("11010519491231002X", "en") == ".... 002X"  # plain full stops on English pages
    assert last_digits("+8613800138000") == "8000"


def test_masks_of_nothing_are_empty():
    assert mask_mobile(None) == mask_name(None) == mask_identity_number(None) == last_digits(None) == ""
