"""The models match the migration head, and every migration upgrades, downgrades and upgrades again.

Runs on its own empty database (a fresh SQLite file, or a fresh PostgreSQL schema) so that it
never disturbs the suite's shared one.
"""

from __future__ import annotations

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from portal.app import create_app
from portal.core.extensions import db
from portal.core.search import include_object
from tests.support.database import fresh_database_url
from tests.support.old_schema import old_booking, old_site, old_tip
from tests.support.settings import make_settings


def _tables() -> set[str]:
    return {name for name in inspect(db.engine).get_table_names() if include_object(None, name, "table", True, None)} - {
        "alembic_version"
    }


def test_upgrade_downgrade_upgrade_and_models_match_head(tmp_path):
    url, drop = fresh_database_url(tmp_path)
    app = create_app({"TESTING": True}, settings=make_settings(url))
    try:
        with app.app_context():
            upgrade()
            first = _tables()
            assert {"intake_item", "tip", "slot", "appointment", "attendee", "inbound_message",
                    "outbound_message", "staff_user", "working_group", "audit_event"} <= first

            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object}
            ), db.metadata)
            assert diff == [], f"models and migration head differ: {diff}"

            downgrade(revision="base")
            assert _tables() == set()
            upgrade()
            assert _tables() == first
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_every_upgrade_after_the_first_bookings_keeps_the_rows_already_stored(tmp_path):
    """Migration 0010 (the calendar sequence) once rebuilt the appointment table on SQLite with foreign keys on, and the
    drop of the old table deleted every attendee (ON DELETE CASCADE). Each step from 0007 on
    must keep every row, and leave foreign keys on afterwards."""
    url, drop = fresh_database_url(tmp_path)
    app = create_app({"TESTING": True}, settings=make_settings(url))
    try:
        with app.app_context():
            upgrade(revision="0007")
            site_id = old_site()
            old_booking(site_id, "TY-PXFX-VN8C", ["NT20261207-001"], 20)
            old_booking(site_id, "TY-W8K5-X6N5", ["NT20261207-002", None], 40)
            db.session.commit()
            before = _row_counts()
            assert before["attendee"] == 3 and before["appointment"] == 2
            script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
            steps = [revision.revision for revision in script.walk_revisions("0007", "heads")][::-1][1:]
            assert steps, "no migration after 0007"
            for step in steps:
                db.session.remove()
                upgrade(revision=step)
                after = _row_counts()
                assert {table: after[table] for table in before} == before, f"rows lost by migration {step}"
            if db.engine.dialect.name == "sqlite":
                with db.engine.connect() as connection:
                    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_tips_seen_on_a_day_before_0013_keep_that_day_as_their_edtf_date(tmp_path):
    url, drop = fresh_database_url(tmp_path)
    app = create_app({"TESTING": True}, settings=make_settings(url))
    try:
        with app.app_context():
            upgrade(revision="0012")
            given = old_tip("TY-PXFX-VN8C", date(2025, 11, 3))
            not_given = old_tip("TY-W8K5-X6N5", None)
            db.session.commit()
            db.session.remove()
            upgrade(revision="0013")
            seen = dict(db.session.execute(text("SELECT id, seen_date FROM tip")).all())
            assert seen == {given: "2025-11-03", not_given: None}
            assert db.session.execute(text("SELECT seen_on FROM tip WHERE id = :id"), {"id": given}).scalar_one() \
                in (date(2025, 11, 3), "2025-11-03")
            db.session.remove()
            downgrade(revision="0012")
            assert "seen_date" not in {column["name"] for column in inspect(db.engine).get_columns("tip")}
            assert db.session.execute(text("SELECT count(*) FROM tip")).scalar_one() == 2
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def _row_counts() -> dict[str, int]:
    """Rows in each table of the database as it is now."""
    return {name: db.session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in _tables()}


def test_every_migration_keeps_the_full_text_search_of_tips_and_sms_messages(tmp_path):
    """On SQLite a batch rebuild of `tip` or `inbound_message` silently drops the triggers that keep
    their FTS5 indexes in step (0021 did, until it made them again); on PostgreSQL the trigram
    indexes must stay. Checked after each migration from 0004, which made them, to the head."""
    url, drop = fresh_database_url(tmp_path)
    app = create_app({"TESTING": True}, settings=make_settings(url))
    try:
        with app.app_context():
            script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
            revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
            for revision in revisions:
                upgrade(revision=revision)
                if revision < "0004":
                    continue
                if db.engine.dialect.name == "sqlite":
                    found = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
                    wanted = {f"{fts}_{suffix}" for fts in ("tip_fts", "inbound_message_fts") for suffix in ("ai", "ad", "au")}
                else:
                    found = {index["name"] for table in ("tip", "inbound_message") for index in inspect(db.engine).get_indexes(table)}
                    wanted = {"ix_tip_description_trgm", "ix_inbound_message_body_trgm"}
                db.session.remove()
                assert wanted <= found, (revision, wanted - found)
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
