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
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

HOME_PROVINCE = "山西省"
HOME_CITY = "阳泉市"
# Names that mean Yangquan here (the plan's districts and counties, and the city itself).
HOME_NAMES = ("阳泉", "城区", "矿区", "郊区", "平定", "盂县", "高新区", "开发区")
_NO_NAME = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


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
        return None
    if city == HOME_CITY:
        return None
    if named_district and not (named_city or named_province):
        # A district alone: only when written in full (朝阳区, not 东方 in "去东方旅游")
        # and not one of Yangquan's own names.
        if any(district.startswith(h) for h in HOME_NAMES) or district not in text:
            return None
    if province == HOME_PROVINCE and not city:
        return None  # "山西的政策": the province Yangquan is in
    if named_district and not (named_city or named_province):
        return Place(name=district, province=province)
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
