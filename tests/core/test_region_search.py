"""The place search box (`portal.core.regions.search`): names as people type them."""

from __future__ import annotations

from portal.core import regions


def codes(text: str, home: str = "") -> list[str]:
    return [place.code or "" for place in regions.search(text, home=home)]


def test_a_district_written_after_its_city_in_full_or_short_finds_only_that_district() -> None:
    for typed in ("南通市通州区", "南通通州", "南通 通州", "江苏省南通市通州区", "江苏南通通州区"):
        assert codes(typed) == ["320612"], typed


def test_a_city_name_alone_finds_the_city_not_each_of_its_districts() -> None:
    assert codes("南通") == ["320600"]
    assert codes("江苏南通") == ["320600"]


def test_a_bare_shared_district_name_lists_both_with_the_deployments_own_first() -> None:
    assert codes("通州", home="320600") == ["320612", "110112"]
    assert set(codes("通州")) == {"320612", "110112"}
