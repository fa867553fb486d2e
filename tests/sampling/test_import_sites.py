"""Importing published lists of sampling sites: the real Nantong list, lists as police publish them
(.xlsx with Chinese headers, CSV in GBK or UTF-8 with a BOM, several phones in a cell, hours with
their days), and broken files. Every test file is made by the test."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.core.config import ROOT
from portal.core.extensions import db
from portal.core.models import OpeningPeriod, SamplingSite
from portal.sampling.importer import (
    RowOutcome,
    SiteFileError,
    import_sites,
    parse_published_hours,
    parse_published_week,
    parse_weekday_hours,
)
from portal.sampling.site_phones import site_phone_numbers

NANTONG = ROOT / "portal" / "demo" / "sampling-sites-nantong-2021.csv"
HEADER = "name,city,province,weekday_hours,phone,fee,notes,source\n"


def site_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SamplingSite))


def site_named(name: str) -> SamplingSite:
    return db.session.scalars(select(SamplingSite).where(SamplingSite.name == name)).one()


def english(notes: list) -> list[str]:
    with force_locale("en"):
        return [str(note) for note in notes]


def test_the_real_nantong_list_loads_seven_sites_with_their_area_code_and_a_demo_address(app):
    result = import_sites(NANTONG)
    db.session.commit()

    assert result.created_count == 7 and result.rejected == [] and site_count() == 7
    assert (result.file_kind, result.encoding) == ("csv", "UTF-8")
    bureau = site_named("南通市公安局")
    assert (bureau.province, bureau.city, bureau.district) == ("江苏省", "南通市", None)
    assert [(p.display, p.tel) for p in site_phone_numbers(bureau)] == [("0513-8330 9663", "tel:+8651383309663")]
    assert bureau.address == "南通市崇川区示例路1号（演示地址）"  # not published: marked as a demo address
    assert "published as 83309663" in bureau.source
    assert bureau.fee == "免费"
    assert "163.com" in bureau.source
    assert site_named("启东市公安局汇龙镇中心派出所").notes == "samples from all Nantong points are tested here"


def test_published_hours_become_weekday_opening_periods(app):
    import_sites(NANTONG)
    db.session.commit()
    periods = site_named("如皋市公安局").opening_periods
    assert [(p.weekday, p.opens_at, p.closes_at) for p in periods] == [
        (weekday, time(9), time(17)) for weekday in range(5)
    ]


def test_a_district_written_after_its_city_is_also_stored_as_the_district(app):
    import_sites(NANTONG)
    db.session.commit()
    haimen = site_named("海门区公安局")
    assert (haimen.city, haimen.district) == ("南通市海门区", "海门区")
    assert site_named("通州区公安局城南派出所").district == "通州区"
    assert site_named("如东县公安局").district is None


def test_importing_the_same_list_again_adds_nothing_and_keeps_what_staff_completed(app):
    import_sites(NANTONG)
    db.session.commit()
    bureau = site_named("南通市公安局")
    bureau.address = "江苏省南通市崇川区"
    db.session.commit()

    again = import_sites(NANTONG)
    db.session.commit()

    assert again.created_count == 0 and again.already_present == 7 and again.rejected == []
    assert site_count() == 7
    assert site_named("南通市公安局").address == "江苏省南通市崇川区"
    assert db.session.scalar(select(func.count()).select_from(OpeningPeriod)) == 7 * 5


def test_bad_rows_are_reported_by_line_number_with_the_reason_and_the_good_rows_still_load(app, tmp_path: Path):
    csv_file = tmp_path / "sites.csv"
    csv_file.write_text(
        HEADER
        + "甲派出所,南京市,江苏省,09:00-17:00,12345678,免费,,test\n"  # line 2: good
        + "乙派出所,南京市,,09:00-17:00,,,,test\n"  # line 3: no province
        + "丙派出所,南京市,江苏省,9点到5点,,,,test\n"  # line 4: hours unreadable
        + ",南京市,江苏省,09:00-17:00,,,,test\n"  # line 5: no name
        + "丁派出所,南京市,江苏省,\"09:00-12:00,14:00-17:00\",,,,test\n",  # line 6: two periods
        encoding="utf-8",
    )
    result = import_sites(csv_file)
    db.session.commit()

    assert [site.name for site in result.created] == ["甲派出所", "丁派出所"]
    assert [row.line for row in result.rejected] == [3, 4, 5]
    reasons = english([row.reason for row in result.rejected])
    assert reasons[0] == "No province: not loaded." and reasons[2] == "No site name: not loaded."
    assert "Hours “9点到5点” cannot be read" in reasons[1]
    afternoon = [(p.opens_at, p.closes_at) for p in site_named("丁派出所").opening_periods if p.weekday == 0]
    assert afternoon == [(time(9), time(12)), (time(14), time(17))]


def test_a_cell_longer_than_its_column_refuses_its_row_naming_the_column_and_the_good_rows_still_load(
        app, tmp_path: Path):
    fee = "免费（采血及DNA检验费用全部由公安机关承担，外地户籍群众同样免费，无需支付任何费用）"
    csv_file = tmp_path / "sites.csv"
    csv_file.write_text(
        "单位名称,所属城市,省份,工作时间,地址,联系人,收费\n"
        + f"甲派出所,南京市,江苏省,09:00-17:00,,,{fee}\n"  # line 2: fee over 40
        + f"{'乙' * 201},南京市,江苏省,09:00-17:00,,,\n"  # line 3: name over 200
        + f"丙派出所,南京市,江苏省,09:00-17:00,{'路' * 301},,\n"  # line 4: address over 300
        + f"丁派出所,南京市,江苏省,09:00-17:00,,{'王' * 101},\n"  # line 5: contact over 100
        + f"戊派出所,南京市,江苏省,09:00-17:00,{'路' * 300},{'王' * 100},免费\n",  # line 6: at the limits
        encoding="utf-8",
    )
    result = import_sites(csv_file)
    db.session.commit()

    assert [site.name for site in result.created] == ["戊派出所"]
    assert [row.line for row in result.rejected] == [2, 3, 4, 5]
    assert english([row.reason for row in result.rejected]) == [
        f"“收费” has {len(fee)} characters; it may have at most 40: not loaded.",
        "“单位名称” has 201 characters; it may have at most 200: not loaded.",
        "“地址” has 301 characters; it may have at most 300: not loaded.",
        "“联系人” has 101 characters; it may have at most 100: not loaded.",
    ]
    with force_locale("zh"):
        assert str(result.rejected[0].reason) == f"“收费”有{len(fee)}个字符，最多只能有40个：未导入。"
    assert result.rows[1].name == "乙" * 200 + "…"
    assert site_count() == 1 and len(site_named("戊派出所").address) == 300


PUBLISHED = "单位名称,地址,联系人,联系电话,工作时间\n南通市公安局X,南通市某路,张,83309663,周一至周五 9:00-17:00\n"


def test_a_list_without_province_and_city_columns_loads_with_the_province_and_city_given(app, tmp_path: Path):
    csv_file = tmp_path / "published.csv"
    csv_file.write_text(PUBLISHED, encoding="utf-8")
    result = import_sites(csv_file, province="江苏省", city="南通市")
    db.session.commit()
    site = site_named("南通市公安局X")
    assert result.created_count == 1 and (site.province, site.city) == ("江苏省", "南通市")
    assert [phone.display for phone in site_phone_numbers(site)] == ["0513-8330 9663"]  # the given city's area code

    runner = app.test_cli_runner()
    other = tmp_path / "other.csv"
    other.write_text(PUBLISHED.replace("南通市公安局X", "如皋市公安局"), encoding="utf-8")
    printed = runner.invoke(args=["import-sites", str(other), "--province", "江苏省", "--city", "如皋市"])
    assert printed.exit_code == 0, printed.output
    assert site_named("如皋市公安局").city == "如皋市"


def test_a_list_without_province_and_city_columns_is_refused_in_natural_chinese_when_none_are_given(
        app, tmp_path: Path):
    csv_file = tmp_path / "published.csv"
    csv_file.write_text(PUBLISHED, encoding="utf-8")
    with pytest.raises(SiteFileError) as refused:
        import_sites(csv_file)
    with force_locale("zh"):
        chinese = str(refused.value.message)
    assert chinese.startswith("文件中没有所属城市和省份列。")
    assert "--province" in chinese and ";" not in chinese and "city (" not in chinese
    with force_locale("en"):
        assert str(refused.value.message).startswith("The file has no column for city (所属城市) and province (省份).")
    assert site_count() == 0


def test_a_file_without_the_required_columns_is_refused_whole(app, tmp_path: Path):
    csv_file = tmp_path / "sites.csv"
    csv_file.write_text("unit,phone\n甲派出所,123\n", encoding="utf-8")
    with pytest.raises(SiteFileError) as refused:
        import_sites(csv_file)
    assert english([refused.value.message])[0].startswith(
        "The file has no column for name (单位名称), city (所属城市), province (省份), and weekday_hours (工作时间).")


@pytest.mark.parametrize("text", ["", "09:00", "17:00-09:00", "25:00-26:00", "09:00-13:00,12:00-17:00"])
def test_unreadable_or_impossible_hours_are_refused(text):
    with pytest.raises(ValueError):
        parse_weekday_hours(text)


def test_hours_typed_with_full_width_characters_are_read():
    assert parse_weekday_hours("０９：００－１７：００") == [(time(9), time(17))]


def test_import_command_prints_what_it_loaded_and_each_rejected_row(app, tmp_path: Path):
    csv_file = tmp_path / "sites.csv"
    csv_file.write_text(HEADER + "甲派出所,南京市,江苏省,09:00-17:00,,,,t\n乙派出所,南京市,,09:00-17:00,,,,t\n",
                        encoding="utf-8")
    runner = app.test_cli_runner()

    first = runner.invoke(args=["import-sites", str(csv_file)])
    second = runner.invoke(args=["import-sites", str(csv_file)])

    assert first.exit_code == 1, first.output  # good rows loaded, but a script learns some were not
    assert "Read a CSV file in UTF-8." in first.output
    assert "Loaded 1 new site, 0 already present, 1 row rejected" in first.output
    assert "line 2 甲派出所: loaded" in first.output
    assert "No phone we can read: loaded without one" in first.output
    assert "line 3 乙派出所: refused" in first.output and "No province: not loaded." in first.output
    assert "Loaded 0 new sites, 1 already present, 1 row rejected (nothing added: the sites this file could load " \
           "are already known)" in second.output
    assert "line 2 甲派出所: already present" in second.output
    assert site_count() == 1


def test_import_command_opens_the_new_sites_slots_at_once(app, tmp_path: Path):
    from sqlalchemy import func, select

    from portal.core.extensions import db
    from portal.core.models import Slot

    csv_file = tmp_path / "sites.csv"
    csv_file.write_text(HEADER + "甲派出所,南京市,江苏省,09:00-17:00,,,,t\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-sites", str(csv_file)])
    assert result.exit_code == 0, result.output
    slots = db.session.scalar(select(func.count()).select_from(Slot))
    assert slots >= 24 * 15  # four weeks hold at least 15 weekdays of 24 slots
    assert f"Opened {slots} new slots" in result.output


# ---- lists as police publish them ---------------------------------------------------------

CHINESE_HEADER = ["序号", "单位名称", "地址", "联系人", "联系电话", "工作时间", "所属城市", "省份", "收费", "备注", "来源"]
CHINESE_ROWS = [
    [1, "海安市公安局城南派出所", "海安市城南路8号", "王警官", "83309663、138 1234 5678", "周一至周五 9:00-17:00",
     "海安市", "江苏省", "免费", None, "2021年公告"],
    [2, "如皋市公安局", None, "李警官", None, "工作日 08:30-12:00,14:00-17:30", "如皋市", "江苏省", "免费", None, "2021年公告"],
    [3, "崇川分局", "南通市崇川区工农路1号", None, "0513-83309664/0513 8330 9665", "周一至周五9:00—17:00", "南通市崇川区",
     "江苏省", "免费", "二楼", "2021年公告"],
    [4, "无时间派出所", None, None, "83309666", None, "南通市", "江苏省", None, None, None],
]


def chinese_xlsx(path: Path) -> Path:
    """A sheet as a police list is published: a title row, then Chinese headers, phones typed as
    text and as a number."""
    book = Workbook()
    sheet = book.active
    sheet.append(["南通市免费采血点一览表"])
    sheet.append(CHINESE_HEADER)
    for row in CHINESE_ROWS:
        sheet.append(row)
    sheet.append([5, "数字电话派出所", None, None, 83309667, "09:00-17:00", "启东市", "江苏省", None, None, None])
    book.save(path)
    return path


def chinese_csv_text() -> str:
    lines = [",".join(CHINESE_HEADER)]
    for row in CHINESE_ROWS:
        lines.append(",".join(f'"{cell}"' if cell is not None else "" for cell in row))
    return "\n".join(lines) + "\n"


def test_an_xlsx_list_with_chinese_headers_loads_each_site_and_reports_each_row(app, tmp_path: Path):
    result = import_sites(chinese_xlsx(tmp_path / "采血点.xlsx"))
    db.session.commit()

    assert (result.file_kind, result.encoding) == ("xlsx", None)
    assert [(row.line, row.outcome) for row in result.rows] == [
        (3, RowOutcome.LOADED), (4, RowOutcome.LOADED), (5, RowOutcome.LOADED), (6, RowOutcome.REFUSED),
        (7, RowOutcome.LOADED)]
    haian = site_named("海安市公安局城南派出所")
    assert (haian.address, haian.contact_person, haian.fee, haian.source) == ("海安市城南路8号", "王警官", "免费", "2021年公告")
    assert [(p.display, p.tel, p.kind) for p in site_phone_numbers(haian)] == [
        ("0513-8330 9663", "tel:+8651383309663", "office"), ("138 1234 5678", "tel:+8613812345678", "mobile")]
    assert [p.published for p in haian.phones] == ["83309663", "138 1234 5678"]
    assert english(result.rows[0].notes) == [
        "Phone 83309663 has no area code: completed with 0513, the area code of 海安市, as 0513-8330 9663."]
    assert [(p.weekday, p.opens_at, p.closes_at) for p in haian.opening_periods] == [
        (weekday, time(9), time(17)) for weekday in range(5)]

    # A row without a phone is loaded, and the report says so and why.
    rugao = site_named("如皋市公安局")
    assert rugao.phones == [] and rugao.address is None
    assert english(result.rows[1].notes) == [
        "No phone we can read: loaded without one. Add the site's phone on its page."]
    assert [(p.opens_at, p.closes_at) for p in rugao.opening_periods if p.weekday == 0] == [
        (time(8, 30), time(12)), (time(14), time(17, 30))]

    chongchuan = site_named("崇川分局")
    assert [p.display for p in site_phone_numbers(chongchuan)] == ["0513-8330 9664", "0513-8330 9665"]
    assert chongchuan.district == "崇川区" and chongchuan.notes == "二楼"

    assert english(result.rows[3].notes)[0].startswith("Hours “” cannot be read")
    assert [p.display for p in site_phone_numbers(site_named("数字电话派出所"))] == ["0513-8330 9667"]


def test_re_importing_the_same_xlsx_adds_nothing_and_says_each_site_is_already_known(app, tmp_path: Path):
    path = chinese_xlsx(tmp_path / "sites.xlsx")
    import_sites(path)
    db.session.commit()

    again = import_sites(path)
    db.session.commit()

    assert again.created == [] and again.already_present == 4 and site_count() == 4
    assert [row.outcome for row in again.rows].count(RowOutcome.ALREADY_KNOWN) == 4
    assert english(again.rows[0].notes) == ["A site of this name is already known in 江苏省: nothing changed."]


@pytest.mark.parametrize(("encoding", "said"), [("gbk", "GBK"), ("utf-8-sig", "UTF-8 with BOM"), ("utf-8", "UTF-8")])
def test_a_csv_list_in_gbk_or_utf8_with_or_without_a_bom_is_read_and_the_encoding_is_said(app, tmp_path: Path,
                                                                                           encoding, said):
    path = tmp_path / "sites.csv"
    path.write_bytes(chinese_csv_text().encode(encoding))

    result = import_sites(path)
    db.session.commit()

    assert result.encoding == said
    assert result.created_count == 3 and [row.line for row in result.rejected] == [5]
    assert site_named("海安市公安局城南派出所").contact_person == "王警官"
    assert [p.tel for p in site_phone_numbers(site_named("海安市公安局城南派出所"))] == [
        "tel:+8651383309663", "tel:+8613812345678"]


def test_a_file_that_is_neither_a_spreadsheet_nor_a_list_is_refused_with_a_translated_reason(app, tmp_path: Path):
    path = tmp_path / "sites.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    with pytest.raises(SiteFileError) as refused:
        import_sites(path)
    assert english([refused.value.message]) == [
        "The file cannot be opened as an .xlsx spreadsheet. Save it again as .xlsx or .csv."]
    with force_locale("zh"):
        assert "无法" in str(refused.value.message)


def test_a_file_with_a_header_and_no_site_is_refused_whole(app, tmp_path: Path):
    csv_file = tmp_path / "sites.csv"
    csv_file.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(SiteFileError) as refused:
        import_sites(csv_file)
    assert english([refused.value.message]) == ["The file names the columns but lists no site below them."]


def test_a_phone_that_cannot_be_read_is_left_out_and_reported_while_the_site_loads(app, tmp_path: Path):
    path = tmp_path / "sites.csv"
    path.write_text(HEADER + "甲派出所,南通市,江苏省,09:00-17:00,见公告 13812345678,,,t\n", encoding="utf-8")
    result = import_sites(path)
    db.session.commit()

    assert [p.display for p in site_phone_numbers(site_named("甲派出所"))] == ["138 1234 5678"]
    assert english(result.rows[0].notes) == [
        "Phone “见公告” is not a phone number we can read: left out. Add it on the site's page."]


@pytest.mark.parametrize(("text", "days", "periods"), [
    ("周一至周五 9:00-17:00", range(5), [(time(9), time(17))]),
    ("周一至周五9:00—17:00", range(5), [(time(9), time(17))]),
    ("工作日 08:30-12:00,14:00-17:30", range(5), [(time(8, 30), time(12)), (time(14), time(17, 30))]),
    ("09:00-17:00", range(5), [(time(9), time(17))]),
    ("星期一至星期六 上午8:30-12:00 下午2:00-5:30", range(6), [(time(8, 30), time(12)), (time(14), time(17, 30))]),
    ("每天 9:00 - 12:00", range(7), [(time(9), time(12))]),
])
def test_published_hours_are_read_with_their_days(text, days, periods):
    assert parse_published_hours(text) == (tuple(days), periods)


NINE_TO_FIVE = [(time(9), time(17))]


@pytest.mark.parametrize(("text", "week"), [
    ("周一至周五（节假日除外）9:00-17:00", {day: NINE_TO_FIVE for day in range(5)}),
    ("周一至周五 9:00-17:00；周六 9:00-12:00", {**{day: NINE_TO_FIVE for day in range(5)}, 5: [(time(9), time(12))]}),
    ("9点到17点", {day: NINE_TO_FIVE for day in range(5)}),
    ("周六 上午9点半到11点", {5: [(time(9, 30), time(11))]}),
])
def test_published_hours_with_a_note_a_second_group_of_days_or_hours_in_words_are_read(text, week):
    assert parse_published_week(text) == week


def test_two_groups_of_days_with_overlapping_hours_on_one_day_are_refused():
    with pytest.raises(ValueError):
        parse_published_week("周一至周五 9:00-12:00；周一 11:00-13:00")


def test_a_list_with_two_groups_of_days_opens_each_day_with_its_own_hours(app, tmp_path: Path):
    csv_file = tmp_path / "sites.csv"
    csv_file.write_text("单位名称,所属城市,省份,工作时间\n甲派出所,南京市,江苏省,周一至周五 9:00-17:00；周六 9:00-12:00\n",
                        encoding="utf-8")
    assert import_sites(csv_file).created_count == 1
    periods = {(p.weekday, p.opens_at, p.closes_at) for p in site_named("甲派出所").opening_periods}
    assert periods == {*((day, time(9), time(17)) for day in range(5)), (5, time(9), time(12))}


def test_a_formula_cell_with_no_saved_value_refuses_its_row_as_a_formula_not_as_a_missing_name(app, tmp_path: Path):
    book = Workbook()
    book.active.append(["单位名称", "所属城市", "省份", "工作时间", "联系电话"])
    book.active.append(['=CONCATENATE("甲","派出所")', "南京市", "江苏省", "09:00-17:00", "83309663"])
    book.active.append(["乙派出所", "南京市", "江苏省", "09:00-17:00", "=B2"])
    book.active.append(["丙派出所", "南京市", "江苏省", "09:00-17:00", "83309663"])
    path = tmp_path / "formulas.xlsx"
    book.save(path)  # openpyxl keeps no calculated value

    result = import_sites(path)
    assert [site.name for site in result.created] == ["丙派出所"]
    assert [row.line for row in result.rejected] == [2, 3]
    reasons = english([row.reason for row in result.rejected])
    assert reasons[0].startswith("“单位名称” holds a formula whose value the file does not keep: not loaded.")
    assert reasons[1].startswith("“联系电话” holds a formula")
    with force_locale("zh"):
        assert str(result.rejected[0].reason).startswith("“单位名称”是公式，文件中没有保存它的计算结果：未导入。")
