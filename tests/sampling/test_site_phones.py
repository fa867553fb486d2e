"""A site's phones: the area code of its city found from data, numbers normalised, shown grouped
for reading with a tel: link that dials from anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portal.core.models import PhoneKind
from portal.sampling.site_phones import (
    AREA_CODE_FILE,
    area_code_places_from_libphonenumber,
    PhoneNotRecognised,
    area_code_for,
    display_number,
    read_phone,
    split_phones,
    tel_uri,
)


@pytest.mark.parametrize(("province", "city", "district", "code"), [
    ("江苏省", "南通市", None, "0513"),
    ("江苏省", "海安市", None, "0513"),  # a county-level city of 南通市
    ("江苏省", "如东县", None, "0513"),
    ("江苏省", "南通市通州区", "通州区", "0513"),
    ("北京市", "北京市", None, "010"),
    ("辽宁省", "铁岭市", None, "024"),  # one area code shared by four cities
    ("内蒙古自治区", "呼伦贝尔市", None, "0470"),
    ("四川省", "甘孜藏族自治州", None, "0836"),
])
def test_the_area_code_of_a_city_comes_from_the_geocoding_and_division_data(province, city, district, code):
    assert area_code_for(province, city, district) == code


def test_a_place_the_data_does_not_know_has_no_area_code():
    assert area_code_for("江苏省", "不存在市") is None


def test_an_office_number_published_without_its_area_code_gets_the_one_of_the_sites_city():
    phone = read_phone("83309663", "江苏省", "海安市")
    assert (phone.number, phone.kind, phone.area_code_added, phone.published) == (
        "+8651383309663", PhoneKind.OFFICE, "0513", "83309663")
    assert display_number(phone.number) == "0513-8330 9663"
    assert tel_uri(phone.number) == "tel:+8651383309663"


@pytest.mark.parametrize("text", ["0513-83309663", "0513 8330 9663", "+86 513 8330 9663", "(0513)83309663",
                                  "０５１３－８３３０９６６３"])
def test_an_office_number_written_with_its_area_code_is_kept_as_it_is(text):
    phone = read_phone(text, "江苏省", "南通市")
    assert (phone.number, phone.area_code_added) == ("+8651383309663", None)


def test_a_mobile_is_shown_in_three_groups_and_a_label_in_brackets_is_kept():
    phone = read_phone("13812345678（值班）", "江苏省", "南通市")
    assert (phone.kind, phone.label, display_number(phone.number)) == (PhoneKind.MOBILE, "值班", "138 1234 5678")


@pytest.mark.parametrize("text", ["12345", "110", "见公告", "83309663", "+1 202 555 0100"])
def test_what_is_not_a_chinese_phone_number_is_refused(text):
    with pytest.raises(PhoneNotRecognised):
        # 83309663 at a site whose city has no known area code cannot be completed.
        read_phone(text, "江苏省", "不存在市")


def test_several_phones_in_one_cell_are_split_but_a_number_written_in_groups_is_not():
    assert split_phones("83309663、13812345678 / 0513 8330 9663，0513-83309664；8330 9665") == [
        "83309663", "13812345678", "0513 8330 9663", "0513-83309664", "8330 9665"]
    assert split_phones("83309663 13812345678") == ["83309663", "13812345678"]
    assert split_phones("") == []


def test_the_kept_area_code_table_is_what_the_installed_libphonenumber_says():
    # Regenerate with `PYTHONPATH=. .venv/bin/python scripts/area-codes.py` after upgrading phonenumbers.
    kept = [tuple(pair) for pair in json.loads(AREA_CODE_FILE.read_text(encoding="utf-8"))]
    assert kept == area_code_places_from_libphonenumber()
    assert ("513", "江苏省南通市") in kept and ("10", "北京市") in kept


def test_finding_an_area_code_does_not_load_libphonenumbers_geocoding_table():
    # The geocoding table holds every country's prefixes (about 90 MB): a web worker saving a site never loads it.
    code = subprocess.run(
        [sys.executable, "-c", "import sys; from portal.sampling.site_phones import area_code_for; "
         "print(area_code_for('江苏省', '海安市'), 'phonenumbers.geodata' in sys.modules)"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    assert code.stdout.split() == ["0513", "False"]
