"""The sampling desk refusing tube numbers, in a real Chromium on a 360-pixel phone, in both
languages: a number already used on another booking (named) and a label with a wrong check
character, every box kept as typed; then the right labels saved and one corrected with a reason.
Screenshots `test-artifacts/screenshots/tube-desk-<lang>-360.png` (the refusal) and
`tube-correction-<lang>-360.png` (the correction refused for want of a reason), and the site
form's label format (`tube-site-format-<lang>-360.png`), each page checked with axe-core and the
Nu HTML Checker."""

from __future__ import annotations

import pytest
from stdnum.iso7064 import mod_37_36

from portal.core.extensions import db
from portal.core.permissions import Role
from tests.support.browser import assert_accessible, new_page
from tests.support.factories import create_site, create_staff
from tests.support.nu_checker import assert_valid_html
from tests.support.staff import sign_in_page
from tests.support.tubes import checked_in_family, desk_staff, today_slot

pytestmark = pytest.mark.slow


def _label(body: str) -> str:
    return body + mod_37_36.calc_check_digit(body.replace("-", ""))


def test_the_desk_refuses_a_used_tube_number_and_a_wrong_check_character_on_a_phone_and_a_correction_needs_a_reason(
        app, live_server, browser):  # type: ignore[no-untyped-def]
    site = create_site()
    site.tube_label_format, site.tube_check_algorithm = "NT{YYYYMMDD}-{NNN}", "mod_37_36"
    db.session.commit()
    desk_staff(site)
    slot = today_slot(site)
    earlier = checked_in_family(slot, people=1, serial=1)
    used = _label("NT20261207-001")
    earlier.attendees[0].sample_tube_number = used
    db.session.commit()
    family = checked_in_family(slot, people=2, serial=2)
    reference, held_by = family.item.reference, earlier.item.reference
    good = _label("NT20261207-002")
    mistyped = good[:-1] + ("0" if good[-1] != "0" else "1")
    expected = {"en": (f"is already the tube number of someone on booking {held_by}", "The check character of"),
                "zh": (f"已用于预约{held_by}", "的校验位不对")}

    for language in ("zh", "en"):
        page = new_page(browser, language, width=360, height=800)
        sign_in_page(page, live_server, "desk")
        page.goto(f"{live_server}/staff/sampling/appointments/{reference}")
        boxes = page.locator("input[name^=tube-]")
        assert boxes.count() == 2
        boxes.nth(0).fill(used.lower())
        boxes.nth(1).fill(mistyped)
        page.locator(f"form[action$='/{reference}/samples'] button[type=submit]").click()
        page.wait_for_load_state()
        main = page.locator("main").inner_text()
        assert all(words in main for words in expected[language]), main
        assert (boxes.nth(0).input_value(), boxes.nth(1).input_value()) == (used.lower(), mistyped)
        assert page.locator(".error-summary a").count() == 2
        assert page.title().startswith(("Error:", "错误："))
        # Nothing sideways: the page fits the phone's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_accessible(page, f"tube-desk-{language}-360")
        assert_valid_html(page.content(), f"tube-desk-{language}-360")

        if language == "en":  # then save the right labels
            boxes.nth(0).fill(_label("NT20261207-003"))
            boxes.nth(1).fill(good)
            page.locator(f"form[action$='/{reference}/samples'] button[type=submit]").click()
            page.wait_for_load_state()
            assert page.locator("input[name^=tube-]").count() == 0
            assert good.replace("-", "") in page.locator("#tube-numbers").inner_text()
        page.context.close()

    for language in ("zh", "en"):  # a correction without a reason is refused, what was typed kept
        page = new_page(browser, language, width=360, height=800)
        sign_in_page(page, live_server, "desk")
        page.goto(f"{live_server}/staff/sampling/appointments/{reference}")
        correction = page.locator(f"form[action$='/{reference}/tube-correction']")
        correction.locator("input[name=tube_number]").fill(_label("NT20261207-004"))
        correction.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(".error-summary a[href='#reason']").count() == 1
        assert page.locator("input[name=tube_number]").input_value() == _label("NT20261207-004")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_accessible(page, f"tube-correction-{language}-360")
        assert_valid_html(page.content(), f"tube-correction-{language}-360")
        page.context.close()


def test_an_admin_sets_a_tube_label_format_and_sees_its_example_on_a_phone(app, live_server, browser):  # type: ignore[no-untyped-def]
    site = create_site()
    create_staff(Role.ADMIN, username="boss")
    for language, template, expected in (("en", "NT{YYYYMMDD}-{XXX}", "In braces use only"),
                                         ("zh", "NT{YYYYMMDD}-{NNN}", "按此格式，今天的标签示例：NT")):
        page = new_page(browser, language, width=360, height=800)
        sign_in_page(page, live_server, "boss")
        page.goto(f"{live_server}/staff/sampling/sites/{site.id}/edit")
        page.fill("input[name=tube_label_format]", template)
        page.select_option("select[name=tube_check_algorithm]", "mod_37_36")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        if language == "zh":  # saved: the example shows when the site is opened again
            page.goto(f"{live_server}/staff/sampling/sites/{site.id}/edit")
        assert expected in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_accessible(page, f"tube-site-format-{language}-360")
        assert_valid_html(page.content(), f"tube-site-format-{language}-360")
        page.context.close()
