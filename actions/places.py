"""Other places named in a question (太原, 成都, 河北 ...), found with the ``cpca`` gazetteer.

The assistant knows Yangquan's policy. A question that names another city, county or
province gets an honest answer: what Yangquan has on the topic, and a suggestion to ask
that place's 12345. ``cpca`` (chinese_province_city_area_mapper) carries the national list
of provinces, cities and counties; no hand-typed list of places is kept here.

Yangquan's own districts and counties (城区, 矿区, 郊区, 平定县, 盂县, 高新区) are not
other places, even where another city has a district of the same name (汕尾 has a 城区).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

HOME_PROVINCE = "山西省"
HOME_CITY = "阳泉市"
# Names that mean Yangquan here (the plan's districts and counties, and the city itself).
HOME_NAMES = ("阳泉", "城区", "矿区", "郊区", "平定", "盂县", "高新区", "开发区")
_NO_NAME = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
# A county named without its suffix ("寿阳", "孝义") counts when the name is rare as a word
# in jieba's dictionary; common words that are also place names ("东方", "和平") do not.
RARE_WORD_FREQ = 200
COMMON_WORD_FREQ = 1000
_SUFFIXES = ("自治县", "自治旗", "县", "区", "市", "旗")


@dataclass(frozen=True)
class Place:
    """A place other than Yangquan that a message names.

    Attributes:
        name: How to call it back to the user ("太原", "北京朝阳区", "河北").
        province: Its province ("山西省" for 太原).
    """

    name: str
    province: str

    @property
    def in_shanxi(self) -> bool:
        return self.province == HOME_PROVINCE


@lru_cache(maxsize=1)
def _word_freq() -> dict[str, int]:
    import jieba

    jieba.initialize()
    return jieba.dt.FREQ  # type: ignore[no-any-return]


def _short_district(district: str) -> str:
    for suffix in _SUFFIXES:
        if district.endswith(suffix) and len(district) - len(suffix) >= 2:
            return district[: -len(suffix)]
    return district


def _named_in_text(district: str, text: str) -> bool:
    """Whether the text names the district: in full, or by a rare short name."""
    if district in text:
        return True
    short = _short_district(district)
    return short != district and short in text and _word_freq().get(short, 0) < RARE_WORD_FREQ


@lru_cache(maxsize=1)
def _cpca() -> Any:
    import cpca  # imported on first use: it loads the national gazetteer (~0.1 s)

    return cpca


def _short(name: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _value(row: Any, key: str) -> str:
    value = row.get(key)
    return value if isinstance(value, str) and value and value not in _NO_NAME else ""


@lru_cache(maxsize=1)
def _rare_counties() -> dict[str, tuple[str, str]]:
    """Short county names that are rare words ("寿阳" -> ("寿阳县", "140725"))."""
    cpca = _cpca()
    cpca.transform(["阳泉"])  # loads the gazetteer
    freq = _word_freq()
    found: dict[str, tuple[str, str]] = {}
    for info in cpca.ad_2_addr_dict.values():
        if info.rank != info.RANK_COUNTY:
            continue
        short = _short_district(info.name)
        if short != info.name and freq.get(short, 0) < RARE_WORD_FREQ:
            found.setdefault(short, (info.name, str(info.adcode)))
    return found


def _province_of(adcode: str) -> str:
    info = _cpca().ad_2_addr_dict.get(adcode[:2] + "0000000000") or _cpca().ad_2_addr_dict.get(
        adcode[:2] + "0000"
    )
    return str(info.name) if info is not None else ""


def _county_by_short_name(text: str) -> Place | None:
    """A county the gazetteer's matcher missed because its suffix was left out (寿阳, 昔阳)."""
    freq = _word_freq()
    for short, (_full, adcode) in _rare_counties().items():
        at = text.find(short)
        if at < 0 or any(short.startswith(h) for h in HOME_NAMES):
            continue
        # Not when it is the edge of a common word: 一城阳光 is not 城阳.
        before, after = (
            text[max(at - 1, 0) : at + 1],
            text[at + len(short) - 1 : at + len(short) + 1],
        )
        if any(len(w) == 2 and freq.get(w, 0) >= COMMON_WORD_FREQ for w in (before, after)):
            continue
        if adcode.startswith("1403"):  # Yangquan's own counties
            return None
        return Place(name=short, province=_province_of(adcode))
    return None


def other_place(text: str) -> Place | None:
    """The first place other than Yangquan that ``text`` names, if any."""
    text = (text or "").strip()
    if not text or text.startswith("/"):
        return None
    try:
        frame = _cpca().transform([text], pos_sensitive=True)
    except Exception as exc:  # the gazetteer must never break a conversation
        log.warning("place detection failed: %s", exc)
        return None
    row = frame.iloc[0].to_dict()
    province, city, district = _value(row, "省"), _value(row, "市"), _value(row, "区")
    named_province = int(row.get("省_pos", -1)) >= 0
    named_city = int(row.get("市_pos", -1)) >= 0
    named_district = int(row.get("区_pos", -1)) >= 0
    if not (named_province or named_city or named_district):
        return _county_by_short_name(text)
    if city == HOME_CITY:
        return None
    # A district alone: only when written in full or by a rare short name (朝阳区, 孝义; not
    # 东方 in "去东方旅游") and not one of Yangquan's own names.
    district_only = named_district and not (named_city or named_province)
    home = any(district.startswith(h) for h in HOME_NAMES)
    if district_only and (home or not _named_in_text(district, text)):
        return None
    if province == HOME_PROVINCE and not city:
        return None  # "山西的政策": the province Yangquan is in
    if named_district and not (named_city or named_province):
        return Place(
            name=district if district in text else _short_district(district), province=province
        )
    parts = []
    if named_province or not (city and named_city):
        parts.append(_short(province))
    if city and named_city:
        parts.append(_short(city))
    if district and named_district and district in text:
        parts.append(district)
    name = "".join(dict.fromkeys(p for p in parts if p)) or _short(province)
    if not name or any(name.startswith(h) for h in HOME_NAMES):
        return None
    return Place(name=name, province=province)


# What may surround a bare place in a message that only says where it means ("我是问太原的",
# "那阳泉的呢", "我说的是盂县"): who asks, 的 and 呢, and the words for "policy" or "here".
_PLACE_ONLY_FILLER_RE = re.compile(
    r"我是问|我问的是|我说的是|问的是|说的是|我是说|是问|我问|我说|我们|咱们|俺们|咱|俺|"
    r"那边|这边|那里|这里|本地|当地|政策|情况|怎么样|咋样|怎样|"
    # "太原是咋弄的": how that place does what was just discussed
    r"(怎么|咋|如何)(给)?(弄|办|搞|做|管)|"
    r"[那的呢呀啊吧是了市县区省，。？！?!,.、\s]"
)
PLACE_ONLY_CHARS = 14


def names_only_place(text: str, place: Place | None) -> bool:
    """Whether ``text`` does nothing but say which place it means: ``place`` (another
    place, from :func:`other_place`) or, when ``place`` is ``None``, Yangquan itself."""
    text = (text or "").strip()
    if not text or len(text) > PLACE_ONLY_CHARS:
        return False
    names = (place.name,) if place is not None else HOME_NAMES
    rest = text
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(name, "")
    return rest != text and not _PLACE_ONLY_FILLER_RE.sub("", rest)
