"""Recognising administrative divisions named in free text (a tip's words, a typed place).

People write place names with or without their suffix (海门区, 海门; 南通市, 南通; 恩施土家族苗族
自治州, 恩施) and mix them with ordinary words, so a bare name is taken only where the words
around it say it is a place:

- a full name of three characters or more (宿城区, 临泉县, 南通市) counts wherever it stands;
- a name written without its suffix counts when the suffix follows after all (合肥 市, 海门市: old
  names are common), when a place word follows (成都东站, 海门汽车站, 南通汽车客运站, 如皋 城区,
  …机场), when a town or subdistrict follows (启东汇龙镇, 东莞长安镇), when a division above or
  below it is also named (南通通州, 北京通州), when it is a province (河南), when it is three
  characters or more (石家庄; but not a district named after a river or mountain, 清水河), or when it lies in the deployment's own city or province (a local
  tipster writes 通州 for the district next door);
- the words of a typed place (the "where" answer) are a place by definition: a bare name there counts;
- a name followed by a street, town or person word (中山路, 长安街, 长安镇, 四川话, 河南人, 江西老表),
  a dish (扬州炒饭, 兰州拉面) or a number plate (河南牌照) is not the division; nor is a bare name right
  after 叫, 名叫, 叫做 or 名字叫 (孩子叫朝阳: a person's name), unless 的地方 follows (一个叫大兴的地方);
  nor are names that are also ordinary words (城区, 郊区, 矿区, 东区, 西区) or a one-character name
  with its suffix (和县, 新县) unless a division above them is named too.

Every name, short and full, is in one Aho–Corasick automaton (`pyahocorasick`), built once, so a
text is read in one pass whatever the number of divisions. Only the first `MOST_MENTIONS` names of
a text are weighed (no tip names more places than that), and a mention is never compared with
every other one: whether a division above or below is named elsewhere is looked up in counts
kept per division, so the work grows linearly with the text. Each accepted mention names one or
more divisions (通州 is a district of 北京 and of 南通); the division agreeing with the most
mentions (itself or a division above it named) wins, the deepest first. A tie is broken by the
deployment's own city, then its province (DEPLOYMENT_REGION); when still tied, the divisions'
common parent is the answer, or nothing when they share none.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick

from portal.core.regions import Division, all_divisions, division, home_rank

# Suffixes of division names, longest first (GB/T 2260 names).
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "新区", "林区", "矿区", "地区",
             "省", "市", "区", "县", "盟", "旗")
# The 55 minority nationalities whose names appear in autonomous divisions' names (GB/T 3304),
# removed after the suffix: 恩施土家族苗族自治州 → 恩施. 各族 (龙胜各族自治县) too.
_NATIONALITIES = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼",
    "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
    "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克",
    "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
    "各",
)
_NATIONALITY_TAIL = re.compile("(?:(?:" + "|".join(sorted(_NATIONALITIES, key=len, reverse=True)) + ")族?)+$")

# What may follow a name written without its suffix for it to count.
_SUFFIX_AFTER = re.compile(r"\s*(?:省|市(?!场)|区|县|州|盟|旗)")
_PLACE_WORD_AFTER = re.compile(
    r"\s*[东南西北]?(?:火车站|汽车站|汽车客运站|客运站|客车站|长途汽车站|高铁站|动车站|客站|车站|站|机场|市区|城区|县城|港)"
)
_TOWN_AFTER = re.compile(r"[\u4e00-\u9fff]{1,3}(?:镇|乡|街道)")
# What, right after a name, says it is not the division: a street or town named after it, a
# dialect, or where a person comes from.
# A dish named after a place (扬州炒饭, 兰州拉面, 沙县小吃) or a car registered there (河南牌照) is
# not where something happened either.
_NOT_THE_DIVISION_AFTER = re.compile(
    r"(?:路|街|大道|巷|镇|乡|村|话|口音|方言|腔|人(?!民)|菜|籍|老乡|老表|佬|妹子|时间|"
    r"炒饭|拉面|烩面|米粉|米线|小吃(?!街)|烤鸭|板鸭|热干面|牌照|车牌)"
)
# What, right before a bare name, says it is a person's (孩子叫朝阳, 有个叫大兴的人), unless
# 的地方 follows the name (一个叫大兴的地方).
_PERSON_NAME_BEFORE = re.compile(r"(?:叫|名叫|叫做|名字叫)\s*$")
_PLACE_CALLED_AFTER = re.compile(r"\s*的?(?:地方|地儿)")
_CALLED_WINDOW = 4  # characters before a name searched for 叫…

# At most this many names of one text are weighed: no tip names more places, and it bounds the
# work of weighing the divisions named against each other.
MOST_MENTIONS = 100

# A district named after a river, lake or mountain (清水河县, 青山湖区) needs context like a
# two-character name: 清水河 is more often the river.
_LANDSCAPE = frozenset("河湖山沟岭江")

FULL, SHORT = "full", "short"


@dataclass(frozen=True)
class _Name:
    """One way of writing one division's name: its full name, or the name without its suffix."""

    division: Division
    kind: str  # FULL or SHORT


@dataclass
class _Mention:
    start: int
    end: int
    names: tuple[_Name, ...]
    in_place_answer: bool
    accepted: bool = False

    @property
    def divisions(self) -> tuple[Division, ...]:
        return tuple(n.division for n in self.names)


def short_name(name: str) -> str:
    """The name without its suffix (and, for an autonomous division, its nationalities), as people
    write it: 南通市 → 南通, 恩施土家族苗族自治州 → 恩施, 浦东新区 → 浦东; the name itself when
    nothing would be left but one character (沛县 stays 沛县)."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if suffix.startswith("自治"):
                without = _NATIONALITY_TAIL.sub("", stem)
                stem = without if len(without) >= 2 else stem  # 内蒙古 and 西藏 keep their last character
            return stem if len(stem) >= 2 else name
    return name


@lru_cache(maxsize=1)
def _automaton() -> ahocorasick.Automaton:
    names: dict[str, list[_Name]] = {}
    provinces: set[str] = set()
    for entry in all_divisions():
        names.setdefault(entry.name, []).append(_Name(entry, FULL))
        short = short_name(entry.name)
        if short != entry.name:
            names.setdefault(short, []).append(_Name(entry, SHORT))
        if entry.level == 1:
            provinces.update({entry.name, short})
    automaton = ahocorasick.Automaton()
    for written, ways in names.items():
        if written in provinces:
            # 河南 is the province, not 河南蒙古族自治县 in Qinghai, unless written in full.
            ways = [w for w in ways if w.division.level == 1 or w.kind == FULL]
        automaton.add_word(written, (len(written), tuple(ways)))
    automaton.make_automaton()
    return automaton


def prepare() -> None:
    """Build the automaton of every division's names now (about 0.2 s, once per process), so
    that the first SMS a worker process receives does not wait for it."""
    _automaton()


def _ancestors(entry: Division) -> list[Division]:
    """`entry` and the divisions above it, deepest first."""
    chain = [entry]
    while chain[-1].parent is not None:
        parent = division(chain[-1].parent)
        if parent is None:
            break
        chain.append(parent)
    return chain


def _is_under(entry: Division, above: Division) -> bool:
    return entry.code != above.code and any(a.code == above.code for a in _ancestors(entry)[1:])


def _mentions(text: str, in_place_answer: bool) -> list[_Mention]:
    """Every name found in `text`, longest first where two overlap (南通市 over 南通)."""
    found = [
        _Mention(end + 1 - length, end + 1, ways, in_place_answer)
        for end, (length, ways) in _automaton().iter(text)
    ]
    found.sort(key=lambda m: (-(m.end - m.start), m.start))
    kept: list[_Mention] = []
    taken = [False] * len(text)
    for mention in found:
        if any(taken[mention.start:mention.end]):
            continue
        for i in range(mention.start, mention.end):
            taken[i] = True
        kept.append(mention)
    kept.sort(key=lambda m: m.start)
    return kept


def _home_rank(entry: Division, home: str) -> int:
    """0 in the deployment's own city, 1 in its province, 2 elsewhere (or no DEPLOYMENT_REGION)."""
    return home_rank(entry.code, home)


class _Named:
    """How many mentions of a text name each division, and a division below each division, for
    telling in constant time whether a division above or below is named by another mention."""

    def __init__(self, mentions: list[_Mention]) -> None:
        self.count: dict[str, int] = {}
        self.below: dict[str, int] = {}  # code -> (mention, division) pairs strictly under it
        for mention in mentions:
            self._add(mention.divisions, 1)

    def _add(self, divisions: tuple[Division, ...], step: int) -> None:
        for entry in divisions:
            self.count[entry.code] = self.count.get(entry.code, 0) + step
            for above in _ancestors(entry)[1:]:
                self.below[above.code] = self.below.get(above.code, 0) + step

    def narrow(self, mention: _Mention, names: tuple[_Name, ...]) -> None:
        """Set `mention.names` to `names` (a subset), keeping the counts true."""
        kept = {n.division.code for n in names}
        self._add(tuple(d for d in mention.divisions if d.code not in kept), -1)
        mention.names = names

    def kin_named_elsewhere(self, entry: Division, mention: _Mention) -> bool:
        """Whether a mention other than `mention` names a division above or below `entry`."""
        own = mention.divisions
        for above in _ancestors(entry)[1:]:
            if self.count.get(above.code, 0) - sum(1 for d in own if d.code == above.code) > 0:
                return True
        own_below = sum(1 for d in own for a in _ancestors(d)[1:] if a.code == entry.code)
        return self.below.get(entry.code, 0) - own_below > 0


def _accept(mention: _Mention, text: str, named: _Named, home: str) -> bool:
    """Whether the words around `mention` say it names a division (module docstring); narrows
    `mention.names` to the divisions they say it names. `named`: the counts of the divisions
    the text's mentions name, as they stand (kept true as mentions are narrowed)."""
    after = text[mention.end:]
    before = text[max(0, mention.start - _CALLED_WINDOW):mention.start]
    persons_name = bool(_PERSON_NAME_BEFORE.search(before)) and not _PLACE_CALLED_AFTER.match(after)

    accepted: list[_Name] = []
    for name in mention.names:
        entry = name.division
        written = text[mention.start:mention.end]
        if name.kind == FULL and len(written) >= 3:
            accepted.append(name)
            continue
        if name.kind == FULL:  # 和县, 城区: only with a division above named too
            if named.kin_named_elsewhere(entry, mention):
                accepted.append(name)
            continue
        if _NOT_THE_DIVISION_AFTER.match(after) or persons_name:
            continue
        if (
            _SUFFIX_AFTER.match(after)
            or _PLACE_WORD_AFTER.match(after)
            or _TOWN_AFTER.match(after)
            or named.kin_named_elsewhere(entry, mention)
            or entry.level == 1
            or (len(written) >= 3 and not (entry.level == 3 and written[-1] in _LANDSCAPE))
            or mention.in_place_answer
            or _local(entry, home)
        ):
            accepted.append(name)
    suffix = _SUFFIX_AFTER.match(after)
    if suffix:
        # 恩施州 is the prefecture, not 恩施市 under it; 海门市 (its old name) is still 海门区.
        written_suffix = suffix.group().strip()
        same = [n for n in accepted if n.division.name.endswith(written_suffix)]
        accepted = same or accepted
    named.narrow(mention, tuple(accepted))
    return bool(accepted)


def _local(entry: Division, home: str) -> bool:
    """True for a division a local tipster names bare: in the deployment's own city, or a city
    (or a municipality's district) of its own province."""
    rank = _home_rank(entry, home)
    return rank == 0 or (rank == 1 and entry.parent == home[:2] + "0000")


def _drop_local_names(mentions: list[_Mention]) -> list[_Mention]:
    """A name written right after a bigger division's name that is not one of its parts names
    a local place after all: 贵阳金阳客车站 is in 贵阳, not in 四川's 金阳县."""
    kept: list[_Mention] = []
    for mention in mentions:
        before = kept[-1] if kept else None
        if (
            before is not None
            and before.end == mention.start
            and all(n.kind == SHORT for n in mention.names)
            and not any(_is_under(d, b) for d in mention.divisions for b in before.divisions)
            and not any(_is_under(b, d) for d in mention.divisions for b in before.divisions)
        ):
            continue
        kept.append(mention)
    return kept


def _find(text: str, in_place_answer: bool, home: str) -> list[_Mention]:
    text = unicodedata.normalize("NFKC", text or "")
    mentions = _mentions(text, in_place_answer)[:MOST_MENTIONS]
    named = _Named(mentions)
    accepted = [m for m in mentions if _accept(m, text, named, home)]
    return _drop_local_names(accepted)


def recognise(text: str, *, place: str = "", home: str = "", within: str | None = None) -> Division | None:
    """The deepest division `text` and `place` name without doubt, or None.

    `text`: free words (a tip's description, an SMS); `place`: the answer to "where" (a place by
    definition, so bare names count there, and each of its mentions counts twice). `home`: the
    six-digit code of the deployment's own division (DEPLOYMENT_REGION; "" for none), which
    breaks ties between divisions of the same name. `within`: a code the answer must lie under
    (the province or city the tipster chose); a division at or above it is not returned.
    Rules and sources: the module docstring. Never raises for any text; linear in its length
    (only the first `MOST_MENTIONS` names of each of `text` and `place` are weighed).
    """
    mentions = _find(place, True, home) + _find(text, False, home)
    limit = division(within) if within else None
    # Mentions naming the same divisions weigh the same: group them (at most MOST_MENTIONS
    # groups per text), and weigh each candidate against the groups.
    groups: dict[tuple[str, ...], int] = {}
    named: dict[str, Division] = {}
    for mention in mentions:
        key = tuple(d.code for d in mention.divisions)
        groups[key] = groups.get(key, 0) + (2 if mention.in_place_answer else 1)
        named.update((d.code, d) for d in mention.divisions)
    candidates = {code: entry for code, entry in named.items() if limit is None or _is_under(entry, limit)}
    if not candidates:
        return None
    weights: dict[str, int] = {}
    for code, entry in candidates.items():
        chain = {a.code for a in _ancestors(entry)}
        weights[code] = sum(weight for key, weight in groups.items() if any(c in chain for c in key))
    best = max(weights.values())
    top = [candidates[code] for code, weight in weights.items() if weight == best]
    # Deeper first: 南通市通州区 over 南通市 when both agree with every mention.
    top = [t for t in top if not any(_is_under(other, t) for other in top)]
    if len(top) > 1 and home:
        nearest = min(_home_rank(t, home) for t in top)
        top = [t for t in top if _home_rank(t, home) == nearest]
    if len(top) == 1:
        return top[0]
    return _common_parent(top, limit)


def _common_parent(entries: list[Division], limit: Division | None) -> Division | None:
    chains = [list(reversed(_ancestors(e))) for e in entries]
    common: Division | None = None
    for level in zip(*chains, strict=False):  # chains differ in length: stop at the shortest
        if all(d.code == level[0].code for d in level):
            common = level[0]
        else:
            break
    if common is not None and limit is not None and not _is_under(common, limit):
        return None
    return common


# Words for the kind of place a tip names (a station, its exits, a square), which say where,
# not what happened: blanked with the division names by `blank_place_words`.
_PLACE_KIND_WORDS = re.compile(
    r"(?:长途汽车站|汽车客运站|火车站|汽车站|客运站|客车站|高铁站|动车站|客站|车站|出站口|进站口|地铁口|"
    r"候车大厅|候车厅|候车室|售票厅|广场|[东南西北]站|站)"
)


def blank_place_words(text: str) -> str:
    """`text` with every division name (full or short, wherever it stands: 成都, 海门区, 南通) and
    every place-kind word (汽车站, 出站口, 广场, 东站…) replaced by a space, for comparing what
    two texts say happened apart from where (portal.triage.duplicates weighs the place on its
    own). Unlike `recognise`, no context is required: a word that is only sometimes a place is
    blanked too, which costs a comparison little. Linear in the length of `text`."""
    folded = unicodedata.normalize("NFKC", text)
    keep = [True] * len(folded)
    for mention in _mentions(folded, in_place_answer=False):
        for i in range(mention.start, mention.end):
            keep[i] = False
    for match in _PLACE_KIND_WORDS.finditer(folded):
        for i in range(match.start(), match.end()):
            keep[i] = False
    return "".join(c if k else " " for c, k in zip(folded, keep, strict=True))
