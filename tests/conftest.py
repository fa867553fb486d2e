"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.

On PostgreSQL each run works in a schema of its own, created here and dropped at the end, so a
run never sees an earlier run's tables. Migrations are applied once per run (the real schema,
not `create_all`); every test starts from empty tables.
"""

from __future__ import annotations

import contextvars
import os
import uuid
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from portal import create_app
from portal.config import Settings
from portal.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
TWILIO_TEST_TOKEN = "test-twilio-auth-token"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: browser journeys and concurrency tests (run in the PostgreSQL pass)")
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (TEST_DATABASE_URL)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL (make test does on CI)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip)


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database URL for this run: a fresh PostgreSQL schema, or a fresh SQLite file."""
    if ON_POSTGRES:
        schema = f"test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield _with_search_path(TEST_DATABASE_URL, schema)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    else:
        path: Path = tmp_path_factory.mktemp("db") / "portal-test.sqlite3"
        yield f"sqlite:///{path}"


def make_settings(database_url: str = "", **overrides: object) -> Settings:
    """Settings for tests: console SMS, in-memory limits, and a Twilio token only tests know."""
    values: dict = dict(
        database_url=database_url,
        twilio_auth_token=TWILIO_TEST_TOKEN,
        twilio_account_sid="AC" + "0" * 32,
        twilio_from_number="+15005550006",
        public_base_url="",
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def _migrated(database_url: str) -> str:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True}, settings=make_settings(database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, `g` and database session, as
    in production. (Flask would otherwise reuse the test's pushed app context, so `g` - the
    signed-in user, the language, the CSRF token - would leak from one request to the next.)"""

    def open(self, *args: object, **kwargs: object):  # type: ignore[override]
        return contextvars.Context().run(super().open, *args, **kwargs)


def _empty_all_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app_factory(_migrated: str) -> Iterator[Callable[..., Flask]]:
    """Build an app on the migrated test database, with Settings overrides: `app_factory(public_base_url=...)`."""
    made: list[Flask] = []

    def build(config: dict | None = None, **overrides: object) -> Flask:
        overrides.setdefault("database_url", _migrated)
        app = create_app({"TESTING": True, **(config or {})}, settings=make_settings(**overrides))
        app.test_client_class = IsolatedClient
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    app = app_factory()
    with app.app_context():
        _empty_all_tables()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
