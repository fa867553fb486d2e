"""The test database: emptying every table, and a fresh database of its own for a migration test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, event, text

from portal.core.extensions import db
from tests.support.settings import ON_POSTGRES, TEST_DATABASE_URL


def with_search_path(url: str, schema: str) -> str:
    """`url` with the PostgreSQL connection option that makes `schema` the one it works in."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


def empty_all_tables() -> None:
    """Delete every row of every table (in an app context), children before parents."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def fresh_database_url(tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """An empty database apart from the suite's (a new PostgreSQL schema, or a new SQLite file in
    `tmp_path`) and the function that drops it."""
    if ON_POSTGRES:
        schema = f"mig_{uuid.uuid4().hex[:12]}"
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        return with_search_path(TEST_DATABASE_URL, schema), drop
    return f"sqlite:///{tmp_path / 'migrations.sqlite3'}", lambda: None


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Collect the SQL of every statement the app's engine runs inside the block (a list, filled
    as they run), for tests that bound a page's or a function's number of queries."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
