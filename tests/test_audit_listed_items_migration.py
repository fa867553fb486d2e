"""Migration 0019 indexes the items that list-view audit events stored before it already name
(changes["numbers"]["items"]), so the audit log's filter by item finds the queue pages viewed
before the upgrade; ids of items that no longer exist, and "items" that are not a list, are left
out. Runs on its own empty database (a fresh SQLite file, or a fresh PostgreSQL schema)."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select, text

from portal.app import create_app
from portal.core.extensions import db
from tests.support.database import fresh_database_url
from tests.support.old_schema import TAKEN, old_table, old_tip
from tests.support.settings import make_settings


def test_the_upgrade_indexes_the_items_of_list_views_stored_before_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, drop = fresh_database_url(tmp_path)
    app = create_app({"TESTING": True}, settings=make_settings(url))
    try:
        with app.app_context():
            upgrade(revision="0018")
            tips = old_table("tip")
            first, second = (db.session.scalar(select(tips.c.item_id).where(tips.c.id == old_tip(reference, None)))
                             for reference in ("TY-PXFX-VN8C", "TY-W8K5-X6N5"))
            events = old_table("audit_event")

            def event(action: str, changes: dict) -> int:
                return db.session.execute(insert(events).values(
                    occurred_at=TAKEN, actor_kind="staff", action=action, fields=["description"],
                    changes=changes)).inserted_primary_key[0]

            page = event("view_queue", {"numbers": {"items": [first, second, 999999]}})
            event("redact_passage", {"numbers": {"items": 3, "redaction_id": 1}})  # not a list: no items named
            event("view_item", {})
            db.session.commit()

            upgrade(revision="0019")
            rows = db.session.execute(text("SELECT item_id, audit_event_id FROM audit_event_item ORDER BY item_id")).all()
            assert [tuple(row) for row in rows] == [(first, page), (second, page)]
            db.session.remove()
            downgrade(revision="0018")
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
