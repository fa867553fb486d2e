"""Importing published lists of sampling sites (the real Nantong list and broken files)."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.core.config import ROOT
from portal.core.extensions import db
from portal.core.models import OpeningPeriod, SamplingSite
from portal.sampling.importer import SiteFileError, import_sites, parse_weekday_hours

NANTONG = ROOT / "portal" / "demo" / "sampling-sites-nantong-2021.csv"
HEADER = "name,city,province,weekday_hours,phone,fee,notes,source\n"


def site_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SamplingSite))


def site_named(name: str) -> SamplingSite:
    return db.session.scalars(select(SamplingSite).where(SamplingSite.name == name)).one()


def test_the_real_nantong_list_loads_seven_sites_as_published(app):
    result = import_sites(NANTONG)
    db.session.commit()

    assert result.created_count == 7 and result.rejected == [] and site_count() == 7
    bureau = site_named("南通市公安局")
    assert (bureau.province, bureau.city, bureau.district) == ("江苏省", "南通市", None)
    assert bureau.phone == "83309663"  # published without the area code, kept so
    assert bureau.address is None
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


def test_bad_rows_are_reported_by_line_number_and_the_good_rows_still_load(app, tmp_path: Path):
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
    assert "province" in result.rejected[0].reason and "name" in result.rejected[2].reason
    afternoon = [(p.opens_at, p.closes_at) for p in site_named("丁派出所").opening_periods if p.weekday == 0]
    assert afternoon == [(time(9), time(12)), (time(14), time(17))]


def test_a_file_without_the_required_columns_is_refused_whole(app, tmp_path: Path):
    csv_file = tmp_path / "sites.csv"
    csv_file.write_text("unit,phone\n甲派出所,123\n", encoding="utf-8")
    with pytest.raises(SiteFileError):
        import_sites(csv_file)


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
    assert "Loaded 1 new site, 0 already present, 1 row rejected" in first.output
    assert "line 3" in first.output
    assert "Loaded 0 new sites, 1 already present, 1 row rejected" in second.output
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
