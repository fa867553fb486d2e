"""The "where" search offers the deployment's own divisions first (DEPLOYMENT_REGION, issue 15)."""

from __future__ import annotations

import re

from tests.support.helpers import get_page, text_of
from tests.support.tips import EN, answer_page, visitor_client


def _offered(app_factory, **settings: object) -> list[str]:
    """The places the search for 通州区 offers, in order, to a tipster who reached the "where" page."""
    client = visitor_client(app_factory, **settings)
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, EN)
    answer_page(client, "/tips/report/what", {"category": "other", "description": "Seen at a market"}, EN)
    page, _ = get_page(client, "/tips/report/where/search?q=通州区", headers=EN)
    return re.findall(r'<label for="match-\d+" lang="zh-CN">([^<]+)</label>', page.get_data(as_text=True))


def test_with_the_deployment_in_nantong_typing_tongzhou_offers_nantongs_first(app, app_factory):
    assert _offered(app_factory, deployment_region="320600") == ["江苏省南通市通州区", "北京市通州区"]


def test_without_a_deployment_region_the_places_keep_the_code_order(app, app_factory):
    assert _offered(app_factory) == ["北京市通州区", "江苏省南通市通州区"]


def test_a_province_wide_deployment_ranks_its_province_first(app, app_factory):
    client = visitor_client(app_factory, deployment_region="320000")
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, EN)
    answer_page(client, "/tips/report/what", {"category": "other", "description": "Seen at a market"}, EN)
    page, _ = get_page(client, "/tips/report/where/search?q=鼓楼区", headers=EN)
    offered = text_of(page)
    assert offered.index("江苏省南京市鼓楼区") < offered.index("福建省福州市鼓楼区")
