"""Where sampling sites are, named as the people who look for them know the places."""

from __future__ import annotations

from portal.core import regions


def filter_area(province: str, city: str, district: str | None) -> tuple[str, str | None]:
    """The (city, district) a site is listed under in the site filter, as divisions the person
    knows: a site published as 南通市通州区 → ("南通市", "通州区"); a county-level city or county
    (如皋市, 如东县) → ("南通市", "如皋市"); a prefecture-level city itself → ("南通市", None).

    Looked up in China's division list (portal.core.regions) within the site's province; a name
    it does not know is kept as published (city, district).
    """
    if district and city.endswith(district) and len(city) > len(district):
        return city[: -len(district)], district
    for place in regions.search(city, limit=50):
        if place.province is None or place.province.name != province or place.city is None:
            continue
        if place.district is not None and place.district.name == city:
            return place.city.name, city
        if place.district is None and place.city.name == city:
            return city, None
    return city, district
