"""Tube numbers (issue 12), the pure rules: which typed labels are one tube number, how a site's
label format is read, and the ISO/IEC 7064 check characters (python-stdnum) that catch a mistyped
label. The desk, the database and corrections are in tests/staff/sampling/test_tube_numbers.py."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.iso7064 import mod_11_2, mod_37_36, mod_97_10

from portal.core.tube_numbers import DoesNotFitFormat, LabelFormatError, NotLettersAndDigits, TooLong, WrongCheckCharacter, check_tube_number, normalise_tube_number, parse_label_format

DAY = date(2026, 12, 7)
NT_FORMAT = "NT{YYYYMMDD}-{NNN}"


def _with_check(body: str) -> str:
    """A label of the NT format with its MOD 37,36 check character, as printed (with the hyphen)."""
    return body + mod_37_36.calc_check_digit(body.replace("-", ""))


# ---- what counts as the same label --------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "NT20261207-001", "nt20261207-001", "  NT20261207 001 ", "ＮＴ２０２６１２０７－００１", "NT20261207—001",
    "NT 2026 1207 / 001", "NT20261207_001", "NT2026\u30001207\u2212001",
])
def test_typed_variants_of_one_label_are_one_tube_number(typed):
    assert normalise_tube_number(typed) == "NT20261207001"


def test_a_blank_tube_number_is_none_and_other_characters_are_kept_to_be_refused():
    assert normalise_tube_number("") is None and normalise_tube_number(" - ") is None
    assert normalise_tube_number(None) is None
    assert normalise_tube_number("样本1") == "样本1"
    with pytest.raises(NotLettersAndDigits):
        check_tube_number("样本1", None)
    with pytest.raises(TooLong):
        check_tube_number("A" * 41, None)
    assert check_tube_number("A" * 40 + "-", None) == "A" * 40


# ---- label formats and check characters ---------------------------------------------------

def test_a_label_format_is_read_into_dates_running_digits_and_literal_text():
    label_format = parse_label_format("nt{yyyymmdd}-{nnn}")
    assert label_format.template == NT_FORMAT and label_format.length == 13
    assert label_format.example(DAY) == "NT20261207-001"
    assert check_tube_number("NT20261207-042", label_format) == "NT20261207042"
    assert check_tube_number("nt 20261207 042", label_format) == "NT20261207042"  # separators do not count
    for wrong in ("NT2026127-042", "NX20261207-042", "NT20261307-042", "NT20260230-042", "NT20261207-42",
                  "NT20261207-0042", "NT2026120A-042"):
        with pytest.raises(DoesNotFitFormat):
            check_tube_number(wrong, label_format)
    short = parse_label_format("{YY}{MM}-{NNNN}")
    assert short.example(DAY) == "2612-0001" and check_tube_number("2612-0420", short) == "26120420"
    assert parse_label_format("", None) is None and parse_label_format(None, "") is None


def test_check_characters_are_the_published_iso_7064_ones_from_python_stdnum():
    # The examples in python-stdnum's documentation of each system.
    assert mod_37_36.calc_check_digit("A12425GABC1234002") == "M"
    assert mod_97_10.calc_check_digits("99991234567890121414") == "90"
    assert mod_11_2.calc_check_digit("079") == "X"
    with_37 = parse_label_format(NT_FORMAT, "mod_37_36")
    example = with_37.example(DAY)
    assert example == "NT20261207-001" + mod_37_36.calc_check_digit("NT20261207001")
    assert check_tube_number(example, with_37) == example.replace("-", "")
    with_97 = parse_label_format(NT_FORMAT, "mod_97_10")
    assert with_97.example(DAY) == "NT20261207-001" + mod_97_10.calc_check_digits("NT20261207001")
    digits = parse_label_format("{YYYYMMDD}{NNNN}", "mod_11_2")
    assert digits.example(DAY) == "202612070001" + mod_11_2.calc_check_digit("202612070001")


def test_a_mistyped_label_or_a_wrong_check_character_is_refused():
    label_format = parse_label_format(NT_FORMAT, "mod_37_36")
    good = _with_check("NT20261207-017")
    assert check_tube_number(good, label_format)
    body, check = good[:-1], good[-1]
    other = "0" if check != "0" else "1"
    with pytest.raises(WrongCheckCharacter):
        check_tube_number(body + other, label_format)
    with pytest.raises(WrongCheckCharacter):  # one digit mistyped: the check catches it
        check_tube_number(body.replace("017", "018") + check, label_format)
    with pytest.raises(WrongCheckCharacter):  # two neighbours swapped
        check_tube_number(body.replace("017", "071") + check, label_format)
    with pytest.raises(DoesNotFitFormat):  # the check character left off
        check_tube_number(body, label_format)


@pytest.mark.parametrize(("template", "check", "code"), [
    ("NT{YYYYMMDD-{NNN}", None, "unclosed_brace"),
    ("NT}{NNN}", None, "unclosed_brace"),
    ("NT{YYYYMMDD}-{XXX}", None, "unknown_part"),
    ("NT{NNNNNNNNNNN}", None, "unknown_part"),
    ("NT#{NNN}", None, "bad_character"),
    ("样本{NNN}", None, "bad_character"),
    ("{YYYY}{YY}{NNN}", None, "repeated_date_part"),
    ("{YYYYMMDD}{DD}{NNN}", None, "repeated_date_part"),
    ("NT{YYYYMMDD}", None, "no_running_digits"),
    ("A" * 35 + "{NNNNNN}", None, "too_long"),
    ("NT{YYYYMMDD}{NNN}", "mod_11_2", "check_needs_digits"),
    ("", "mod_37_36", "check_needs_format"),
    ("NT{NNN}", "luhn", "unknown_check"),
])
def test_a_label_format_that_cannot_be_used_is_refused_with_its_reason(template, check, code):
    with pytest.raises(LabelFormatError) as refused:
        parse_label_format(template, check)
    assert refused.value.code == code
