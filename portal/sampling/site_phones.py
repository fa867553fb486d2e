"""A sampling site's phones: reading them as police publish them, and showing them so they dial.

Published lists give office numbers, often without the area code (83309663 for 0513-8330 9663,
dialled only inside Nantong), and mobiles. Each number is stored in E.164 (+8651383309663),
completed with the area code of the site's city when it was left out, and shown grouped for
reading ("0513-8330 9663", "138 1234 5678", docs/WRITING) with a `tel:` link that works from
anywhere (RFC 3966 global number, tel:+8651383309663).

Parsing and formatting are the `phonenumbers` library's (Google's libphonenumber metadata). The
area code of a city comes from data, not a hand-typed list: libphonenumber's geocoding data
names the place of each +86 fixed-line prefix in Chinese (86513 → 江苏省南通市), and China's
division list (portal.core.regions, through places.filter_area) says which prefecture-level city
a county-level city or district belongs to (海安市 → 南通市).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from portal.core.models import PhoneKind, SamplingSite, SitePhoneNumber
from portal.sampling.places import filter_area

COUNTRY = "CN"
MAX_PHONES = 10
# Between the numbers of one published cell: 、，,;；/ and new lines (spaces: see split_phones).
_BETWEEN_NUMBERS = re.compile(r"[、,;/\n]+")
# A label written after or before a number, in brackets: 83309663（值班室）.
_LABEL = re.compile(r"[(\[]\s*([^()\[\]]+?)\s*[)\]]")
_NUMBER_CHARACTERS = re.compile(r"^\+?[\d\s\-.]+$")
_PROVINCE_ENDING = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")


class PhoneNotRecognised(ValueError):
    """The text is not a Chinese phone number, or an office number without its area code at a
    site whose city has no known area code. `text`: the number as given."""

    def __init__(self, text: str) -> None:
        super().__init__(f"not a phone number: {text!r}")
        self.text = text


@dataclass(frozen=True)
class ReadPhone:
    """A published phone, normalised: `number` E.164, its kind, a label given beside it (or None),
    the text as published, and the area code added from the site's city ("0513"), or None when
    the number was complete."""

    number: str
    kind: PhoneKind
    label: str | None
    published: str
    area_code_added: str | None


@dataclass(frozen=True)
class SitePhone:
    """A site's phone as pages, posters and SMS show it: `display` grouped for reading
    ("0513-8330 9663", "138 1234 5678"), `tel` the RFC 3966 URI that dials it from anywhere
    ("tel:+8651383309663"), its kind and label."""

    display: str
    tel: str
    kind: PhoneKind
    label: str | None


def _province_short(province: str) -> str:
    return _PROVINCE_ENDING.sub("", province.strip())


# The +86 area codes and the places libphonenumber's geocoding data gives for them, read out of
# that data by `area_code_places_from_libphonenumber` and kept beside this module
# (`scripts/area-codes.py` writes it; tests/sampling/test_site_phones.py checks it still equals
# what the installed phonenumbers says). The geocoding table itself holds every country's
# prefixes: loading it lifts a process by about 90 MB, too much for a web worker saving a site.
AREA_CODE_FILE = Path(__file__).with_name("data") / "cn_area_codes.json"


def area_code_places_from_libphonenumber() -> list[tuple[str, str]]:
    """(area code without its 0, place in Chinese) for every +86 fixed-line area code in the
    installed libphonenumber's geocoding data, sorted: ("10", "北京市"), ("513", "江苏省南通市"),
    ("24", "辽宁省沈阳市、铁岭市、…"). Loads the whole geocoding table (about 90 MB): for
    `scripts/area-codes.py` and the test of AREA_CODE_FILE, never for a web request."""
    from phonenumbers.geodata import GEOCODE_DATA

    places = []
    for prefix, names in GEOCODE_DATA.items():
        national = prefix[2:]
        # Area codes are 10, 2X and 3-9XX; prefixes starting with 1 are mobile number blocks.
        if not prefix.startswith("86") or len(national) not in (2, 3) or (national[0] == "1" and national != "10"):
            continue
        if "zh" in names:
            places.append((national, names["zh"]))
    return sorted(places)


@lru_cache(maxsize=1)
def _area_code_places() -> tuple[tuple[str, str], ...]:
    """AREA_CODE_FILE's (area code without its 0, place in Chinese) pairs, read once (a few KB)."""
    return tuple((code, place) for code, place in json.loads(AREA_CODE_FILE.read_text(encoding="utf-8")))


def _describes(place: str, province: str, city: str) -> bool:
    """True when the geocoder's `place` (江苏省南通市, 内蒙古呼伦贝尔, 辽宁省沈阳市、铁岭市) names
    `city` (a prefecture-level name like 南通市 or 呼伦贝尔市) in `province`, or is the
    municipality `province` itself (北京市)."""
    short = _province_short(province)
    if not short or not place.startswith(short):
        return False
    rest = place[len(short):]
    for ending in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"):
        if rest.startswith(ending):
            rest = rest[len(ending):]
            break
    if not rest:
        return True  # the municipality itself: 北京市, 上海市, 天津市, 重庆市
    for part in rest.split("、"):
        stem = part.removesuffix("市")
        if len(stem) >= 2 and city.startswith(stem):
            return True
    return False


def area_code_for(province: str, city: str, district: str | None = None) -> str | None:
    """The fixed-line area code, with its leading 0, of a site's city as published: "0513" for
    江苏省 / 南通市, 海安市 (a county-level city of 南通市) or 南通市通州区; "010" for 北京市.
    None when the geocoding data names no area code for the place."""
    prefecture, _ = filter_area(province, city, district)
    for national, place in _area_code_places():
        if _describes(place, province, prefecture):
            return "0" + national
    return None


def _kind(number: phonenumbers.PhoneNumber) -> PhoneKind:
    return PhoneKind.MOBILE if phonenumbers.number_type(number) == PhoneNumberType.MOBILE else PhoneKind.OFFICE


def _parse(digits: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(digits, COUNTRY)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def read_phone(text: str, province: str, city: str, district: str | None = None) -> ReadPhone:
    """Read one published phone (83309663, 0513-83309663, +86 513 8330 9663, 138 1234 5678,
    full-width digits, a label in brackets) for a site in `province` / `city` / `district`.

    A fixed-line number written without its area code is completed with the city's
    (`area_code_added`). Raises PhoneNotRecognised for anything else.
    """
    published = unicodedata.normalize("NFC", text).strip()
    folded = unicodedata.normalize("NFKC", published)
    # (0513)83309663: brackets round digits hold the area code; round words, a label.
    labels = [found for found in _LABEL.findall(folded) if not found.replace(" ", "").isdigit()]
    bare = _LABEL.sub(lambda m: m.group(1) if m.group(1).replace(" ", "").isdigit() else " ", folded).strip()
    if not bare or not _NUMBER_CHARACTERS.match(bare):
        raise PhoneNotRecognised(published)
    label = "、".join(labels)[:60] or None
    number = _parse(bare)
    added = None
    digits = re.sub(r"\D", "", bare)
    if number is None and not bare.startswith("+") and len(digits) in (7, 8) and digits[0] not in "01":
        added = area_code_for(province, city, district)
        number = _parse(added + digits) if added else None
    if number is None or number.country_code != 86:
        raise PhoneNotRecognised(published)
    return ReadPhone(number=phonenumbers.format_number(number, PhoneNumberFormat.E164), kind=_kind(number),
                     label=label, published=published[:60], area_code_added=added)


def split_phones(cell: str) -> list[str]:
    """The numbers of one published cell, in order: separated by 、，,;；/ or new lines, or by
    spaces when the spaces are not inside one number ("83309663 13812345678" is two numbers,
    "0513 8330 9663" and "8330 9663" one). Empty parts are dropped."""
    folded = unicodedata.normalize("NFKC", cell or "")
    parts: list[str] = []
    for part in _BETWEEN_NUMBERS.split(folded):
        part = part.strip()
        if not part:
            continue
        pieces = part.split()
        # "8330 9663" is one number written in groups; "见公告 13812345678" is two parts.
        grouped = any(0 < len(re.sub(r"\D", "", piece)) < 7 for piece in pieces)
        one_number = bool(_NUMBER_CHARACTERS.match(part)) and _parse(part) is not None
        if len(pieces) > 1 and not one_number and not grouped:
            parts.extend(pieces)
        else:
            parts.append(part)
    return parts


def display_number(e164: str) -> str:
    """An E.164 number grouped for reading as dialled in China: "0513-8330 9663" (the area code,
    a hyphen, the number), "010-1234 5678", "138 1234 5678". A number that cannot be parsed
    is returned as it is."""
    number = _parse(e164)
    if number is None:
        return e164
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    if _kind(number) == PhoneKind.OFFICE and national.startswith("0") and " " in national:
        area, rest = national.split(" ", 1)
        return f"{area}-{rest}"
    return national


def tel_uri(e164: str) -> str:
    """The RFC 3966 URI that dials `e164` from anywhere: "tel:+8651383309663"."""
    return "tel:" + re.sub(r"[^\d+]", "", e164)


def site_phone_numbers(site: SamplingSite) -> list[SitePhone]:
    """The site's phones in the order published, each with `display` and `tel` (see SitePhone);
    an empty list for a site with none."""
    return [SitePhone(display=display_number(phone.number), tel=tel_uri(phone.number), kind=phone.kind,
                      label=phone.label) for phone in site.phones]


def set_site_phones(site: SamplingSite, phones: list[ReadPhone]) -> None:
    """Replace the site's phones with `phones` (at most MAX_PHONES), in this order (the caller
    flushes and commits).

    The rows already saved are updated in place, position by position, and only the extra ones
    added or removed: (site_id, position) is unique, and the unit of work inserts new rows before
    it deletes orphans, so clearing the list and adding new rows at positions 0..n would collide.
    """
    wanted = phones[:MAX_PHONES]
    current = sorted(site.phones, key=lambda row: row.position)
    for position, phone in enumerate(wanted):
        if position < len(current):
            row = current[position]
            row.number, row.kind, row.label, row.published = phone.number, phone.kind, phone.label, phone.published
        else:
            site.phones.append(SitePhoneNumber(position=position, number=phone.number, kind=phone.kind,
                                               label=phone.label, published=phone.published))
    for row in current[len(wanted):]:
        site.phones.remove(row)


def phones_text(site: SamplingSite) -> str:
    """The site's phones one a line, as the staff site form shows them ("0513-8330 9663 (值班室)")."""
    lines = []
    for phone in site_phone_numbers(site):
        lines.append(f"{phone.display} ({phone.label})" if phone.label else phone.display)
    return "\n".join(lines)
