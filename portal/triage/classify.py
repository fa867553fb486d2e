"""Staff setting or correcting where an item happened (its administrative division) and, for a
tip, what was seen (its category), issue 15. Each change is audited by field name with the
codes before and after (a division code and a category are not personal data); nothing else.
"""

from __future__ import annotations

from portal.core import audit, regions
from portal.core.models import IntakeItem, ItemKind, RegionSource, TipCategory


class NotClassifiable(ValueError):
    """Raised for a change the item cannot take: a category for an item that is not a tip, a
    region for a sampling booking (its place is its site's), or a code that names no division."""


def change_region(item: IntakeItem, *, code: str | None, actor_id: int) -> bool:
    """Set the item's region to the six-digit GB/T 2260 `code` (a province, city or district;
    None: not known), as staff's choice (`region_source` "staff", which intake recognition never
    overrides). In the caller's transaction. Returns False when the code is the same as before.

    Raises NotClassifiable for a sampling booking or an unknown code.
    """
    if item.kind == ItemKind.APPOINTMENT:
        raise NotClassifiable("a booking's place is its sampling site")
    if code is not None and regions.division(code) is None:
        raise NotClassifiable(f"no division has the code {code!r}")
    if code == item.region_code:
        return False
    audit.record("change_region", actor_id=actor_id, item_id=item.id, changes={"region_code": (item.region_code, code)})
    item.region_code = code
    item.region_source = RegionSource.STAFF if code else None
    return True


def change_category(item: IntakeItem, *, category: TipCategory, actor_id: int) -> bool:
    """Set what was seen (`Tip.category`) of the tip `item`. In the caller's transaction.
    Returns False when unchanged. Raises NotClassifiable when `item` is not a tip."""
    tip = item.tip
    if tip is None:
        raise NotClassifiable("only a tip has a category")
    if tip.category == category:
        return False
    audit.record("change_category", actor_id=actor_id, item_id=item.id, changes={"category": (tip.category, category)})
    tip.category = category
    return True
