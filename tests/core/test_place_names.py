"""Places named in a tip's words are recognised as administrative divisions (issue 15).

The SMS texts are those of `tests/data/tips-duplicates.json` (a copy, unchanged, of the 30
realistic tips written for the issue), whose `region_hint` is the division a careful officer
would assign.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal.core import place_names
from portal.core.place_names import recognise, short_name
from portal.core.regions import full_name

TIPS = {tip["id"]: tip for tip in json.loads(
    (Path(__file__).parents[1] / "data" / "tips-duplicates.json").read_text(encoding="utf-8"))["tips"]}
NANTONG = "320600"


def _name(text: str, *, place: str = "", home: str = "", within: str | None = None) -> str | None:
    found = recognise(text, place=place, home=home, within=within)
    return full_name(found.code) if found else None


def test_an_sms_naming_a_railway_station_gets_its_city():
    assert _name(TIPS["t15"]["text"]) == "四川省成都市"  # 成都东站出口那个男的…
    assert _name("我在成都火车站看到一个小孩被拖上面包车") == "四川省成都市"
    assert _name(TIPS["t29"]["text"]) == "江苏省南京市"  # 南京南站二楼候车厅…


def test_an_sms_naming_a_bus_station_gets_its_district():
    for tip_id in ("t04", "t05", "t23"):  # 海门汽车站…, 海门车站南边路口…
        assert _name(TIPS[tip_id]["text"]) == TIPS[tip_id]["region_hint"] == "江苏省南通市海门区"
    assert _name("南通汽车客运站候车大厅有个小孩一直哭") == "江苏省南通市"


def test_an_sms_naming_a_district_gets_that_district():
    assert _name(TIPS["t12"]["text"]) == TIPS["t12"]["region_hint"] == "江苏省宿迁市宿城区"


def test_a_county_level_city_named_before_its_town_is_recognised():
    assert _name(TIPS["t30"]["text"]) == TIPS["t30"]["region_hint"] == "江苏省南通市启东市"


def test_a_district_named_with_its_city_is_that_district():
    assert _name("南通通州金沙有白色面包车") == "江苏省南通市通州区"
    assert _name("北京通州万达一楼") == "北京市通州区"
    assert _name("江苏南通海门") == "江苏省南通市海门区"


def test_a_province_alone_is_the_province():
    assert _name("孩子在河南，可以送到高铁站交接") == "河南省"
    assert _name("内蒙古") == "内蒙古自治区"


def test_an_ambiguous_name_is_ranked_by_the_deployments_own_city():
    assert _name(TIPS["t07"]["text"], home=NANTONG) == TIPS["t07"]["region_hint"] == "江苏省南通市通州区"
    assert _name("通州区万达广场门口", home="110000") == "北京市通州区"


def test_an_ambiguous_name_without_a_deployment_region_is_left_at_the_common_parent_or_unset():
    assert _name("通州区万达广场门口") is None  # 北京 and 江苏 share nothing
    assert _name("鼓楼区", home="320600") == "江苏省"  # 南京 and 徐州 each have one


@pytest.mark.parametrize("text", [
    TIPS["t02"]["text"],  # 我在长安一个电子厂上班… (长安区 is in 西安 and 石家庄)
    "城区有个小孩在要饭", "新区那边的工地", "开发区工地", "东站出口有个小孩",
    "他和县城里的人说", "北京路上有个小孩", "孩子说四川话", "那个男的是河南人", "北京时间八点",
    "长安街", "中山路口", "清水河边",
])
def test_ordinary_words_are_not_taken_for_places(text):
    assert _name(text) is None


def test_a_name_written_with_its_suffix_is_the_division_with_that_suffix():
    assert _name("合肥 市妇幼保健院") == "安徽省合肥市"
    assert _name("海门市") == "江苏省南通市海门区"  # its name until 2020
    assert _name("恩施州") == "湖北省恩施土家族苗族自治州"


def test_the_typed_place_counts_bare_names_and_outweighs_the_text():
    assert _name(TIPS["t02"]["text"], place=TIPS["t02"]["place_text"]) == "广东省东莞市"  # 东莞长安镇
    assert _name(TIPS["t25"]["text"], place=TIPS["t25"]["place_text"]) == "山西省太原市"  # 太原柳巷附近
    assert _name(TIPS["t16"]["text"], place=TIPS["t16"]["place_text"]) == "贵州省贵阳市"  # not 四川's 金阳县


def test_a_chosen_province_is_refined_only_within_it():
    assert _name("南通通州", within="320000") == "江苏省南通市通州区"
    assert _name("北京通州", within="320000") is None
    assert _name("江苏", within="320000") is None


def test_short_names_drop_suffix_and_nationalities():
    assert short_name("南通市") == "南通"
    assert short_name("恩施土家族苗族自治州") == "恩施"
    assert short_name("广西壮族自治区") == "广西"
    assert short_name("浦东新区") == "浦东"
    assert short_name("沛县") == "沛县"


def test_no_sms_of_the_data_set_gets_a_wrong_region():
    for tip in TIPS.values():
        if tip["channel"] != "sms":
            continue
        found = _name(tip["text"], home=NANTONG)
        assert found is None or (tip["region_hint"] or "").startswith(found), (tip["id"], found)


def test_a_text_longer_than_any_tip_keeps_is_recognised():
    text = TIPS["t11"]["text"] * 40  # about 6,000 characters, longer than any tip keeps
    found = recognise(text)
    assert found is not None and found.code == "510100"


BEIJING = "110000"


# Twenty realistic tip sentences that name no place where something happened.
WITHOUT_PLACES = [
    "我看见一个小女孩在路边哭，旁边的男人一直拉着她",
    "有个老太太带着两个孩子在天桥下面要钱，孩子看起来不像她的",
    "邻居家突然多了一个婴儿，说是亲戚送的，但从来没见她怀孕",
    "一个男的开着白色面包车，在学校门口转了好几圈",
    "小孩大概五六岁，穿红色衣服，说话不是本地口音",
    "今天下午三点左右，在菜市场门口看到一个孩子被打",
    "听说村里有人花钱买了个男孩，大家都知道但没人管",
    "一对夫妻带着一个小孩在超市门口乞讨，孩子没穿鞋",
    "网上有人发帖说要把孩子送人，要收营养费两万块",
    "他们说普通话，带着东北口音，车牌没看清",
    "小区里新搬来一家人，孩子从来不出门上学",
    "一个穿黑衣服的男人在长江边上拉着小孩",
    "昨天晚上在夜市看到一个女孩在卖花，很晚了还不回家",
    "老板让几个未成年的孩子在饭店里洗碗，不让他们出门",
    "在人民广场看到一个小男孩跟着一个陌生女人",
    "孩子在中山公园门口乞讨，大约七八岁",
    "在和平路的网吧里看到一个十一二岁的孩子通宵上网",
    "在黄山脚下的饭店看到一个孩子被逼着干活",
    "孩子说他从小在福利院长大，后来被人带走",
    "他们开了一辆长城皮卡，往南开走了",
]

# Ten with a place, and the division a triage officer would file them under.
WITH_PLACES = [
    ("在成都火车站看到一个小孩被强迫乞讨", "510100"),
    ("南通市通州区金沙镇有个孩子被关在家里", "320612"),
    ("海门汽车站门口有个女人带着孩子要钱", "320614"),
    ("今天在如皋城区的菜市场看到一个小孩被打", "320682"),
    ("启东汇龙镇有户人家买了个孩子", "320681"),
    ("我在广州南站看到一个小女孩跟着陌生男人", "440100"),
    ("昆明市官渡区有个孩子在街上乞讨", "530111"),
    ("郑州火车站出站口有人带着残疾儿童乞讨", "410100"),
    ("在上海虹桥站看到一个小孩在哭", "310000"),
    ("江苏南通崇川区有人在卖孩子", "320613"),
]


@pytest.mark.parametrize("sentence", WITHOUT_PLACES)
def test_an_ordinary_sentence_without_a_place_gets_no_region_in_any_deployment(sentence: str) -> None:
    for home in ("", NANTONG, BEIJING, "510100"):
        found = recognise(sentence, home=home)
        assert found is None, (home, found)


@pytest.mark.parametrize(("sentence", "code"), WITH_PLACES)
def test_a_sentence_naming_a_place_gets_that_region(sentence: str, code: str) -> None:
    found = recognise(sentence, home=NANTONG)
    assert found is not None and found.code == code, found


@pytest.mark.parametrize("text", [
    "孩子说他叫朝阳，今年八岁",  # 朝阳: a common given name, and Beijing's 朝阳区
    "我们村有个叫大兴的人，家里突然多了个孩子",  # 大兴: a given name, and Beijing's 大兴区
    "那个男的名叫大兴",
    "女孩的名字叫朝阳",
    "他们管他叫做顺义",
])
def test_a_name_right_after_called_is_a_persons_even_when_a_district_of_the_deployment_has_it(text):
    """In a Beijing deployment a bare district name counts as a local place, but a name right
    after 叫, 名叫, 叫做 or 名字叫 is a person's."""
    assert _name(text, home=BEIJING) is None


def test_a_place_called_like_a_district_is_still_that_district():
    assert _name("我们去了一个叫大兴的地方", home=BEIJING) == "北京市大兴区"
    assert _name("孩子在大兴被人带走", home=BEIJING) == "北京市大兴区"


@pytest.mark.parametrize("text", [
    "孩子在吃扬州炒饭，旁边的男人一直盯着",  # a dish, not 扬州市 (a Jiangsu city is local in Nantong)
    "那个人说自己是江西老表，带着个哑巴孩子",  # a fellow from Jiangxi
    "那个人说自己是河南人，带着个哑巴孩子",
    "他们在兰州拉面馆里吃饭，孩子一直在哭",
    "一辆河南牌照的面包车停在门口",
])
def test_a_dish_or_where_a_person_or_car_comes_from_is_not_where_it_happened(text):
    assert _name(text, home=NANTONG) is None


def test_a_place_named_before_such_words_elsewhere_in_the_sentence_still_counts():
    assert _name("在扬州火车站门口，孩子在吃炒饭", home=NANTONG) == "江苏省扬州市"
    assert _name("在江西南昌市火车站看到一个孩子", home=NANTONG) == "江西省南昌市"


def _comparisons(text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many division-to-division comparisons `recognise` makes for `text` (a spy that
    counts and calls through; the comparison itself is unchanged)."""
    calls = [0]
    real = place_names._is_under

    def counting(entry, above):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return real(entry, above)

    with monkeypatch.context() as patch:
        patch.setattr(place_names, "_is_under", counting)
        recognise(text, home=NANTONG)
    return calls[0]


@pytest.mark.parametrize("unit", ["南通通州", "在通州看到孩子。", "南通海门启东如皋通州崇川", "北京上海成都郑州昆明广州"])
@pytest.mark.parametrize("times", [8, 100])  # fewer names than are weighed, and many more
def test_recognition_work_grows_at_most_linearly_with_the_text(unit, times, monkeypatch):
    """A 1,600-character SMS of repeated place names once held the signed webhook for 3-5 s
    (each mention was compared with every other). Doubling the text must about double the work, not quadruple it."""
    small, large = _comparisons(unit * times, monkeypatch), _comparisons(unit * 2 * times, monkeypatch)
    assert large <= 2.5 * small, (unit, small, large)  # quadratic work would be four times
