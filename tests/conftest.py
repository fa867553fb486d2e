"""Fixtures every test can use: the run's database, `app_factory`, `app` (built with the Settings
overrides of `app_settings`, which a folder's conftest.py, or a module, overrides), `client` and
`demo_sites`. Helpers that are not fixtures are plain functions in tests/support/.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.

On PostgreSQL each run works in a schema of its own, created here and dropped at the end, so a
run never sees an earlier run's tables. Migrations are applied once per run (the real schema,
not `create_all`); every test starts from empty tables.

`make test` runs the suite in two processes (pytest-xdist, `-n 2 --dist loadgroup`). Each worker
is a pytest session of its own, so it gets its own schema or SQLite file from `database_url`;
tests that share something outside the database (Redis database 15) run in one worker, one after
another (their `xdist_group`).
"""

from __future__ import annotations

import contextvars
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from portal.app import create_app
from portal.core.extensions import db
from portal.core.models import SamplingSite, utcnow
from portal.demo.commands import DEMO_SITES_CSV
from portal.sampling.importer import import_sites
from portal.sampling.slots import open_slots
from portal.staff import auth
from tests.support.database import empty_all_tables, with_search_path
from tests.support.settings import ON_POSTGRES, TEST_DATABASE_URL, make_settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: browser journeys and concurrency tests (run in the PostgreSQL pass)")
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (TEST_DATABASE_URL)")


# Tests using these fixtures share a resource outside their database: pytest-xdist's loadgroup
# sends each group to one worker.
XDIST_GROUPS = {"redis_url": "redis-db-15"}  # test_rate_limits: it empties the Redis test database


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL (make test does on CI)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip)
        for fixture, group in XDIST_GROUPS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(group))


# Production hashes staff passwords with argon2id at argon2-cffi's defaults (RFC 9106's low-memory
# choice: 3 passes over 64 MiB in 4 lanes), a deliberate fraction of a second per hash or check;
# the suite creates and signs in staff hundreds of times. Tests hash with argon2id's cheapest
# parameters instead. test_passwords_are_stored_as_argon2id puts the production hasher back
# (`production_password_hasher`) and checks its parameters.
PRODUCTION_PASSWORD_HASHER = auth._hasher


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes() -> Iterator[None]:
    from argon2 import PasswordHasher

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        auth._dummy_hash.cache_clear()
        yield
    auth._dummy_hash.cache_clear()


@pytest.fixture
def production_password_hasher(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The argon2 hasher (and parameters) that production uses, for this test only."""
    monkeypatch.setattr(auth, "_hasher", PRODUCTION_PASSWORD_HASHER)
    auth._dummy_hash.cache_clear()
    yield PRODUCTION_PASSWORD_HASHER
    auth._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database URL for this run: a fresh PostgreSQL schema, or a fresh SQLite file."""
    if ON_POSTGRES:
        schema = f"test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield with_search_path(TEST_DATABASE_URL, schema)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    else:
        path: Path = tmp_path_factory.mktemp("db") / "portal-test.sqlite3"
        yield f"sqlite:///{path}"


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
def app_settings() -> dict[str, object]:
    """Settings overrides for the `app` fixture: none here. A folder whose tests need other settings
    overrides this fixture in its conftest.py (tests/web/sampling/: limits a booking journey cannot
    reach), as does a module whose tests alone need them."""
    return {}


@pytest.fixture
def app(app_factory: Callable[..., Flask], app_settings: dict[str, object]) -> Iterator[Flask]:
    """The test app, built with `app_settings`, on empty tables; its app context is pushed for the test."""
    app = app_factory(**app_settings)
    with app.app_context():
        empty_all_tables()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo_sites(app: Flask) -> list[SamplingSite]:
    """The real Nantong list (`portal/demo/`), with slots open for the coming four weeks."""
    result = import_sites(DEMO_SITES_CSV, timezone="Asia/Shanghai")
    for site in result.created:
        open_slots(site, utcnow().date(), 28)
    db.session.commit()
    return result.created
