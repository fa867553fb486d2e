"""Migration 0023 moves each site's one published phone into its list of phones, completed with
the area code of the site's city, and keeps the text as published; downgrade puts it back.

Runs on its own empty database (a fresh SQLite file, or a fresh PostgreSQL schema), like
test_migrations.py.
"""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, text

from portal.app import create_app
from portal.core.extensions import db
from tests.support.database import fresh_database_url
from tests.support.old_schema import old_table
from tests.support.settings import make_settings


def _old_site(name: str, city: str, phone: str | None) -> int:
    return db.session.execute(insert(old_table("sampling_site")).values(
        province="江苏省", name=name, city=city, phone=phone, timezone="Asia/Shanghai", slot_minutes=20,
        places_per_slot=3, active=True, booking_horizon_days=60, minimum_notice_minutes=60,
    )).inserted_primary_key[0]


def test_a_published_phone_without_its_area_code_moves_to_the_sites_phones_with_the_area_code_of_its_city(tmp_path):
    url, drop = fresh_database_url(tmp_path)
    app = create_app({"TESTING": True}, settings=make_settings(url))
    try:
        with app.app_context():
            upgrade(revision="0022")
            haian = _old_site("海安市公安局城南派出所", "海安市", "83309663")
            mobile = _old_site("甲派出所", "南通市", "138 1234 5678")
            unreadable = _old_site("乙派出所", "南通市", "见公告")
            _old_site("丙派出所", "南通市", None)
            db.session.commit()
            db.session.remove()

            upgrade(revision="0023")
            rows = db.session.execute(text(
                "SELECT site_id, position, number, kind, published FROM site_phone ORDER BY site_id")).all()
            assert [tuple(row) for row in rows] == [
                (haian, 0, "+8651383309663", "office", "83309663"),
                (mobile, 0, "+8613812345678", "mobile", "138 1234 5678"),
                (unreadable, 0, "见公告", "office", "见公告"),  # kept for staff to correct
            ]
            db.session.remove()

            downgrade(revision="0022")
            phones = db.session.execute(text("SELECT name, phone FROM sampling_site ORDER BY id")).all()
            assert [tuple(row) for row in phones] == [
                ("海安市公安局城南派出所", "83309663"), ("甲派出所", "138 1234 5678"), ("乙派出所", "见公告"),
                ("丙派出所", None)]
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
