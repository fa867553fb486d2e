"""A site's address and phones reach every page and message of a booking: the site list, the
confirmation, its print view, the calendar file's LOCATION and the booking SMS; every phone is a
tel: link with +86 and the area code, so it dials from outside the site's city."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import OutboundMessage
from portal.core.sms.segments import MAX_NOTICE_SEGMENTS, segments
from tests.support.factories import create_site
from tests.support.helpers import get_page, post_form, text_of
from tests.support.sampling import book_on_web, next_weekday, slot_at, walk_to_check

ADDRESS = "南通市崇川区工农路1号（演示地址）"
# Made up, as long as a station's full address can be: the booking SMS shortens it with "…".
LONG_ADDRESS = "江苏省南通市启东市汇龙镇人民中路与公园南路交叉口东北角启东市公安局汇龙镇中心派出所办证大厅二楼东侧采血室"
OFFICE_LINK = '<a href="tel:+8651383309663">0513-8330 9663</a>'
MOBILE_LINK = '<a href="tel:+8613812345678">138 1234 5678</a>'


@pytest.fixture
def site_slot(app):
    """A site with an address, a contact person, an office number published without its area code
    and a mobile, and one free slot."""
    site = create_site(address=ADDRESS, contact_person="王警官", phone="83309663、13812345678")
    return site, slot_at(site, next_weekday(), 1)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_confirmation_and_its_print_view_show_the_address_and_every_phone_as_a_tel_link(client, site_slot, language):
    _, slot = site_slot
    client.set_cookie("lang", language)
    assert book_on_web(client, slot).status_code == 303
    for url in ("/sampling/confirmation", "/sampling/confirmation/print"):
        page, _ = get_page(client, url)
        html = page.get_data(as_text=True)
        assert ADDRESS in text_of(page) and "王警官" in text_of(page), url
        assert OFFICE_LINK in html and MOBILE_LINK in html, url


def test_the_calendar_files_location_is_the_sites_name_and_address(client, site_slot):
    site, slot = site_slot
    assert book_on_web(client, slot).status_code == 303
    ics = client.get("/sampling/confirmation/appointment.ics")
    event = next(iter(Calendar.from_ical(ics.data).walk("VEVENT")))
    assert str(event["LOCATION"]) == f"{site.name}, {ADDRESS}"


@pytest.mark.parametrize(("language", "phones"), [
    ("zh", "。采血点电话：0513-8330 9663、138 1234 5678。"),
    ("en", ". The sampling site's phones: 0513-8330 9663, 138 1234 5678."),
])
def test_the_calendar_files_description_gives_every_site_phone_in_the_pages_language(client, site_slot, language,
                                                                                     phones):
    _, slot = site_slot
    client.set_cookie("lang", language)
    assert book_on_web(client, slot).status_code == 303
    ics = client.get("/sampling/confirmation/appointment.ics")
    event = next(iter(Calendar.from_ical(ics.data).walk("VEVENT")))
    assert str(event["DESCRIPTION"]).endswith(phones)


def test_the_calendar_file_of_a_site_without_phones_names_no_phone(client):
    slot = slot_at(create_site(phone=""), next_weekday(), 1)
    assert book_on_web(client, slot).status_code == 303
    ics = client.get("/sampling/confirmation/appointment.ics", headers={"Accept-Language": "en"})
    event = next(iter(Calendar.from_ical(ics.data).walk("VEVENT")))
    assert "phone" not in str(event["DESCRIPTION"])


@pytest.mark.parametrize(("language", "address"), [("zh", ADDRESS), ("zh", LONG_ADDRESS), ("en", ADDRESS)])
def test_the_booking_sms_names_the_sites_address_within_three_segments(app, client, language, address):
    site = create_site(address=address, phone="83309663")
    client.set_cookie("lang", language)
    assert book_on_web(client, slot_at(site, next_weekday(), 1)).status_code == 303
    sms = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "booking_confirmation")).one()
    assert segments(sms.body) <= MAX_NOTICE_SEGMENTS, sms.body
    assert address in sms.body or (address == LONG_ADDRESS and address[:4] in sms.body and "…" in sms.body), sms.body


def test_the_site_list_shows_each_sites_address_and_phones_and_filters_by_district(client, site_slot):
    _, slot = site_slot
    create_site(name="通州分局", city="南通市通州区", district="通州区", address="南通市通州区示例路5号（演示地址）",
                phone="0513-86123456")
    walk_to_check(client, slot)
    page, _ = get_page(client, "/sampling/sites?city=南通市&district=通州区", headers={"Accept-Language": "en"})
    html, text = page.get_data(as_text=True), text_of(page)
    assert "通州分局" in text and "南通市通州区示例路5号（演示地址）" in text and "南通市公安局" not in text
    assert '<a href="tel:+8651386123456">0513-8612 3456</a>' in html
    every, _ = get_page(client, "/sampling/sites", headers={"Accept-Language": "en"})
    assert ADDRESS in text_of(every) and OFFICE_LINK in every.get_data(as_text=True)
    assert MOBILE_LINK in every.get_data(as_text=True) and "王警官" in text_of(every)


def test_the_manage_page_shows_the_sites_address_and_every_phone_as_a_tel_link(app, site_slot):
    _, slot = site_slot
    family = app.test_client()
    assert book_on_web(family, slot).status_code == 303
    reference = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", text_of(family.get("/sampling/confirmation"))).group(0)
    client = app.test_client()
    found = post_form(client, "/sampling/manage", {"reference": reference, "phone": "138 0013 8000"},
                      headers={"Accept-Language": "en"})
    assert found.status_code == 303
    page, _ = get_page(client, "/sampling/manage/booking", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert ADDRESS in text_of(page) and OFFICE_LINK in html and MOBILE_LINK in html


def test_a_site_without_free_times_offers_its_first_phone_as_a_tel_link(client, site_slot):
    _, slot = site_slot
    full = create_site(name="如东县公安局", city="如东县", phone="84123456、13912345678")
    walk_to_check(client, slot)
    page, _ = get_page(client, f"/sampling/site/{full.id}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert 'Call the site on <a href="tel:+8651384123456">0513-8412 3456</a>, or choose another site.' in html
