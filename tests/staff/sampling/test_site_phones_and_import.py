"""Staff site pages: the site form edits the contact person, the address and several phones
(normalised on save, with a translated error for one that cannot be read); the sites list shows
them with tel: links; the import page reads .xlsx and GBK lists and reports every row, in the
page's language."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

from openpyxl import Workbook
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import SamplingSite, Slot
from portal.core.permissions import Role
from portal.jobs import PERIODIC_JOBS
from portal.sampling import jobs
from portal.sampling.slots import horizon_days, local_day
from tests.support.factories import create_staff
from tests.support.helpers import csrf_token, get_page, post_form, text_of
from tests.support.staff import browser, sign_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
SITE_FORM = {"name": "崇川分局", "province": "江苏省", "city": "南通市", "district": "崇川区", "address": "南通市崇川区工农路1号",
             "contact_person": "王警官", "phones": "83309663 (值班室)\n138 1234 5678\n", "timezone": "Asia/Shanghai",
             "hours_mon": "09:00-17:00", "hours_tue": "", "hours_wed": "", "hours_thu": "", "hours_fri": "",
             "hours_sat": "", "hours_sun": "", "slot_minutes": "20", "places_per_slot": "3",
             "booking_horizon_days": "30", "minimum_notice_minutes": "60", "active": "y"}


def _admin(app):  # type: ignore[no-untyped-def]
    create_staff(Role.ADMIN, username="admin")
    client = browser(app)
    assert sign_in(client, "admin").status_code == 303
    return client


def _upload(client, data: bytes, filename: str, headers: dict):  # type: ignore[no-untyped-def]
    page, _ = get_page(client, "/staff/sampling/sites/import", headers=headers)
    return client.post("/staff/sampling/sites/import", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data", headers=headers)


def test_the_site_form_saves_the_contact_person_and_each_phone_with_its_area_code_and_shows_them_as_tel_links(app):
    admin = _admin(app)
    saved = post_form(admin, "/staff/sampling/sites/new", SITE_FORM, headers=EN)
    assert saved.status_code == 303, text_of(saved)

    site = db.session.scalars(select(SamplingSite)).one()
    assert site.contact_person == "王警官" and site.address == "南通市崇川区工农路1号"
    assert [(p.position, p.number, p.kind, p.label, p.published) for p in site.phones] == [
        (0, "+8651383309663", "office", "值班室", "83309663 (值班室)"),
        (1, "+8613812345678", "mobile", None, "138 1234 5678")]
    listing, _ = get_page(admin, "/staff/sampling/sites", headers=EN)
    html = listing.get_data(as_text=True)
    assert '<a href="tel:+8651383309663">0513-8330 9663</a>' in html and 'href="tel:+8613812345678"' in html
    assert "南通市崇川区工农路1号" in html and "王警官" in html
    edit, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/edit", headers=EN)
    assert "0513-8330 9663 (值班室)\n138 1234 5678" in edit.get_data(as_text=True)


def test_a_phone_the_site_form_cannot_read_is_refused_in_the_pages_language_and_what_was_typed_is_kept(app):
    admin = _admin(app)
    typed = "0513-83309663\n见公告"
    refused = post_form(admin, "/staff/sampling/sites/new", {**SITE_FORM, "phones": typed}, headers=ZH)
    assert refused.status_code == 200
    page = text_of(refused)
    assert "第2行" in page and "例如0513-8330 9663" in page
    assert "0513-83309663\n见公告" in refused.get_data(as_text=True)
    assert db.session.scalars(select(SamplingSite)).all() == []


def test_the_import_page_reads_an_xlsx_with_chinese_headers_and_reports_each_row_in_chinese(app):
    admin = _admin(app)
    book = Workbook()
    book.active.append(["单位名称", "地址", "联系人", "联系电话", "工作时间", "所属城市", "省份"])
    book.active.append(["海安市公安局城南派出所", "海安市城南路8号", "王警官", "83309663", "周一至周五 9:00-17:00", "海安市", "江苏省"])
    book.active.append(["如皋市公安局", None, None, None, "09:00-17:00", "如皋市", "江苏省"])
    book.active.append(["如东县公安局", None, None, None, "随时", "如东县", "江苏省"])
    data = io.BytesIO()
    book.save(data)

    page = _upload(admin, data.getvalue(), "采血点.xlsx", ZH)
    text = text_of(page)
    assert page.status_code == 200
    assert "已读取.xlsx表格" in text
    assert "新增2个采血点" in text
    assert "83309663没有区号，已按海安市的区号0513补全为0513-8330 9663" in text
    assert "没有可识别的电话" in text  # the row without a phone: loaded, and said so
    assert "未导入" in text and "工作时间“随时”无法识别" in text
    assert "No phone" not in text and "Loaded" not in text

    again = text_of(_upload(admin, data.getvalue(), "采血点.xlsx", ZH))
    assert "没有新增采血点：文件中可导入的采血点都已存在" in again


def test_the_import_page_reads_a_gbk_csv_and_says_so(app):
    admin = _admin(app)
    csv_text = "单位名称,所属城市,省份,工作时间,联系电话\n南通市公安局,南通市,江苏省,09:00-17:00,83309663\n"
    page = _upload(admin, csv_text.encode("gbk"), "sites.csv", EN)
    assert "Read as a CSV file in GBK." in text_of(page) and "1 sites added" in text_of(page)
    site = db.session.scalars(select(SamplingSite)).one()
    assert [p.number for p in site.phones] == ["+8651383309663"]


def test_a_file_the_import_page_cannot_read_is_refused_in_the_pages_language(app):
    admin = _admin(app)
    page = _upload(admin, "unit,phone\n甲,1\n".encode(), "sites.csv", ZH)
    assert page.status_code == 200 and "文件中没有单位名称、所属城市、省份和工作时间列。" in text_of(page)



def test_a_site_that_already_has_phones_saves_unchanged_and_with_its_phones_changed(app):
    admin = _admin(app)
    assert post_form(admin, "/staff/sampling/sites/new", SITE_FORM, headers=EN).status_code == 303
    site = db.session.scalars(select(SamplingSite)).one()
    edit_url = f"/staff/sampling/sites/{site.id}/edit"

    unchanged = post_form(admin, edit_url, {**SITE_FORM, "address": "南通市崇川区工农路2号"}, headers=EN)
    assert unchanged.status_code == 303, text_of(unchanged)
    db.session.expire_all()
    assert [p.number for p in site.phones] == ["+8651383309663", "+8613812345678"]
    assert site.address == "南通市崇川区工农路2号"

    replaced = post_form(admin, edit_url, {**SITE_FORM, "phones": "139 0000 1111\n83309664\n83309665 (传达室)"},
                         headers=EN)
    assert replaced.status_code == 303, text_of(replaced)
    db.session.expire_all()
    assert [(p.position, p.number, p.label) for p in site.phones] == [
        (0, "+8613900001111", None), (1, "+8651383309664", None), (2, "+8651383309665", "传达室")]

    fewer = post_form(admin, edit_url, {**SITE_FORM, "phones": "83309666"}, headers=EN)
    assert fewer.status_code == 303, text_of(fewer)
    db.session.expire_all()
    assert [(p.position, p.number) for p in site.phones] == [(0, "+8651383309666")]


def test_an_upload_listing_more_sites_than_the_page_takes_is_refused_whole_with_a_translated_message(app):
    admin = _admin(app)
    rows = "".join(f"站{number},南通市,江苏省,09:00-17:00\n" for number in range(501))
    page = _upload(admin, ("单位名称,所属城市,省份,工作时间\n" + rows).encode(), "sites.csv", ZH)
    text = text_of(page)
    assert page.status_code == 200
    assert "文件列出了501个采血点，一次最多只能上传500个" in text and "flask import-sites" in text
    assert db.session.scalars(select(SamplingSite)).all() == []


def test_the_import_page_leaves_slots_to_the_worker_which_opens_them_from_each_sites_local_today_to_its_horizon(app):
    admin = _admin(app)
    csv_text = "单位名称,所属城市,省份,工作时间\n甲派出所,南通市,江苏省,每天 09:00-17:00\n乙派出所,南通市,江苏省,每天 09:00-17:00\n"
    page = _upload(admin, csv_text.encode(), "sites.csv", ZH)
    assert "新增2个采血点" in text_of(page) and "几分钟内" in text_of(page)
    assert db.session.scalar(select(func.count()).select_from(Slot)) == 0  # the request opened none

    (job,) = [job for job in PERIODIC_JOBS if job.run is jobs.open_slots_for_new_sites]
    assert job.every == timedelta(0)  # every worker pass
    evening_utc = datetime(2027, 3, 1, 20, 0, tzinfo=timezone.utc)  # already 2 March in Nantong
    jobs.open_slots_for_new_sites(evening_utc)
    for site in db.session.scalars(select(SamplingSite)):
        days = sorted({local_day(site, slot.starts_at) for slot in
                       db.session.scalars(select(Slot).where(Slot.site_id == site.id))})
        assert days[0] == date(2027, 3, 2)
        assert days[-1] == date(2027, 3, 2) + timedelta(days=horizon_days(site) - 1)
    opened = db.session.scalar(select(func.count()).select_from(Slot))
    jobs.open_slots_for_new_sites(evening_utc + timedelta(seconds=5))  # sites with slots are not opened again
    assert db.session.scalar(select(func.count()).select_from(Slot)) == opened


def test_the_import_form_takes_the_province_and_city_of_a_list_without_them_defaulting_to_the_deployments(
        app, app_factory):
    create_staff(Role.ADMIN, username="admin")
    admin = browser(app_factory(deployment_region="320600"))
    assert sign_in(admin, "admin").status_code == 303
    form, _ = get_page(admin, "/staff/sampling/sites/import", headers=ZH)
    html = form.get_data(as_text=True)
    assert 'name="province" type="text" value="江苏省"' in html and 'name="city" type="text" value="南通市"' in html

    published = "单位名称,地址,联系人,联系电话,工作时间\n南通市公安局X,南通市某路,张,83309663,周一至周五 9:00-17:00\n"
    refused = admin.post("/staff/sampling/sites/import", data={
        "csrf_token": csrf_token(html), "file": (io.BytesIO(published.encode()), "published.csv"),
        "province": "", "city": ""}, content_type="multipart/form-data", headers=ZH)
    assert "文件中没有所属城市和省份列。" in text_of(refused) and "导入页面" in text_of(refused)

    loaded = admin.post("/staff/sampling/sites/import", data={
        "csrf_token": csrf_token(html), "file": (io.BytesIO(published.encode()), "published.csv"),
        "province": "江苏省", "city": "南通市"}, content_type="multipart/form-data", headers=ZH)
    assert "新增1个采血点" in text_of(loaded)
    site = db.session.scalars(select(SamplingSite)).one()
    assert (site.province, site.city, site.name) == ("江苏省", "南通市", "南通市公安局X")


def test_a_site_list_exported_and_imported_again_adds_no_site_even_with_a_name_the_export_escaped(app):
    admin = _admin(app)
    csv_text = '单位名称,所属城市,省份,工作时间\n"=HYPERLINK(""http://example.org"",""甲"")",南通市,江苏省,09:00-17:00\n'
    assert "新增1个采血点" in text_of(_upload(admin, csv_text.encode(), "sites.csv", ZH))
    exported = admin.get("/staff/sampling/sites/export.csv").get_data()
    assert "'=HYPERLINK" in exported.decode("utf-8-sig")

    again = text_of(_upload(admin, exported, "sampling-sites.csv", ZH))
    assert "新增0个采血点，1个已存在" in again
    assert [site.name for site in db.session.scalars(select(SamplingSite))] == ['=HYPERLINK("http://example.org","甲")']


def test_over_long_site_fields_and_desk_box_are_refused_with_our_own_chinese_messages(app):
    admin = _admin(app)
    refused = post_form(admin, "/staff/sampling/sites/new",
                        {**SITE_FORM, "address": "路" * 301, "contact_person": "王" * 101}, headers=ZH)
    page = text_of(refused)
    assert refused.status_code == 200
    assert "地址不能超过300个字" in page and "联系人不能超过100个字" in page
    assert "字段长度" not in page and "个字符" not in page

    desk = post_form(admin, "/staff/sampling/desk", {"reference": "T" * 501}, headers=ZH)
    assert desk.status_code == 200 and "预约编号或二维码内容不能超过500个字" in text_of(desk)
    assert "字段长度" not in text_of(desk)
