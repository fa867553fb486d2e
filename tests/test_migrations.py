"""The models match the migration head, and every migration upgrades, downgrades and upgrades again.

Runs on its own empty database (a fresh SQLite file, or a fresh PostgreSQL schema) so that it
never disturbs the suite's shared one.
"""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from portal import create_app
from portal.extensions import db
from portal.search import include_object
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, _with_search_path, make_settings


def _fresh_database_url(tmp_path) -> tuple[str, callable]:
    if ON_POSTGRES:
        schema = f"mig_{uuid.uuid4().hex[:12]}"
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        return _with_search_path(TEST_DATABASE_URL, schema), drop
    return f"sqlite:///{tmp_path / 'migrations.sqlite3'}", lambda: None


def _tables() -> set[str]:
    return {name for name in inspect(db.engine).get_table_names() if include_object(None, name, "table", True, None)} - {
        "alembic_version"
    }


def test_upgrade_downgrade_upgrade_and_models_match_head(tmp_path):
    url, drop = _fresh_database_url(tmp_path)
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
