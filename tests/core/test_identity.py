"""Resident identity numbers (portal/core/identity.py): a birth date that cannot be, an area code
never listed, and area codes created after the holder was born."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("born", ["20300101", "18000101"])
def test_an_identity_number_with_an_impossible_birth_date_is_refused(born):
    from stdnum.cn import ric

    from portal.core.identity import InvalidResidentId, normalise_resident_id

    body = "110105" + born + "002"
    with pytest.raises(InvalidResidentId):
        normalise_resident_id(body + ric.calc_check_digit(body + "0"))  # the check character is ignored


@pytest.mark.parametrize("number", ["320602197503120015", "320623197601010030"])
def test_a_resident_id_keeps_an_area_code_created_after_the_birth_year_and_is_accepted(number):
    """Nantong's 崇川区 (320602) and 如东县 (320623) are listed from 1983; people born before then
    hold numbers issued later with those codes."""
    from portal.core.identity import normalise_resident_id

    assert normalise_resident_id(number) == number


@pytest.mark.parametrize("body", ["99999919750312001", "32060219750230001"])
def test_a_resident_id_with_an_area_code_never_listed_or_an_unreal_date_is_refused(body):
    from stdnum.cn import ric

    from portal.core.identity import InvalidResidentId, normalise_resident_id

    with pytest.raises(InvalidResidentId):
        normalise_resident_id(body + ric.calc_check_digit(body + "0"))
