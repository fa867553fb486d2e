"""A tip's region is recognised in its words at intake when the tipster gave none (issue 15):
SMS tips always, through the signed webhook; web tips whose "where" questions were skipped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Channel, RegionSource, Tip
from portal.tips.service import TipDetails
from tests.support.factories import create_tip
from tests.support.sms import send


def _only_tip() -> Tip:
    db.session.expire_all()
    return db.session.scalars(select(Tip)).one()


def test_an_sms_tip_naming_a_bus_station_gets_its_district_through_the_webhook(client):
    send(client, "举报 海门汽车站边上停了辆白色面包车 车里好几个小孩 窗户贴了黑膜 看着不对劲")
    item = _only_tip().item
    assert item.region_code == "320614" and item.region_source == RegionSource.RECOGNISED


def test_an_sms_tip_naming_a_railway_station_gets_its_city_through_the_webhook(client):
    send(client, "举报 成都东站出口那个男的又在逼小女孩跪起要钱 女娃娃五岁左右 天都黑了还在")
    assert _only_tip().item.region_code == "510100"


def test_an_sms_tip_naming_nothing_gets_no_region(client):
    send(client, "举报 你好 请问这个号是举报拐卖小孩的吗 我有情况要说")
    item = _only_tip().item
    assert item.region_code is None and item.region_source is None


class TestWithTheDeploymentInNantong:
    @pytest.fixture
    def app_settings(self) -> dict[str, object]:
        return dict(deployment_region="320600")

    def test_an_ambiguous_district_is_the_deployments_own(self, client):
        send(client, "举报 群里都在传通州金沙有白色面包车抢小孩 是真的码 孩子都不敢放出门了")
        assert _only_tip().item.region_code == "320612"

    def test_the_answer_to_where_refines_the_region(self, client):
        send(client, "举报 汽车站门口有个小孩跪地上要钱")
        assert _only_tip().item.region_code is None
        send(client, "2")  # no child in danger now
        send(client, "启东汇龙镇菜场门口")  # where
        item = _only_tip().item
        assert item.region_code == "320681" and item.region_source == RegionSource.RECOGNISED


def test_a_web_tip_whose_where_questions_were_skipped_gets_the_region_of_its_typed_place(app):
    receipt = create_tip(description="一个小女孩在候车厅哭", place="海门车站 候车厅")
    assert receipt.tip.item.region_code == "320614"


def test_a_web_tip_with_only_a_province_chosen_is_refined_within_that_province(app):
    receipt = create_tip(description="车站门口有个小孩", place="通州区汽车站",
                         details=TipDetails(region_code="320000", region_name="江苏省"))
    assert receipt.tip.item.region_code == "320612"
    assert receipt.tip.item.region_source == RegionSource.RECOGNISED


def test_the_tipsters_chosen_district_is_kept_whatever_the_words_say(app):
    receipt = create_tip(channel=Channel.WEB, description="在成都东站看到的", place="成都东站",
                         details=TipDetails(region_code="320614", region_name="江苏省南通市海门区"))
    assert receipt.tip.item.region_code == "320614"
    assert receipt.tip.item.region_source == RegionSource.TIPSTER
