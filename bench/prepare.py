"""Preparing a benchmark run: its own PostgreSQL schema, production settings with fresh secrets,
the migrated portal schema, the floor's table, and a clean rate-limit store."""

from __future__ import annotations

import os
import secrets
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator
from urllib.parse import quote

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from bench.browser import PUBLIC_HOST

if TYPE_CHECKING:
    from flask import Flask

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
PUBLIC_BASE_URL = f"https://{PUBLIC_HOST}"
TWILIO_NUMBER = "+15005550006"  # Twilio's documented test number
# Flask-Limiter's keys in Redis: "LIMITS:LIMITER/…" (the limits library's prefix, then Flask-Limiter's).
LIMITER_KEY_PATTERN = "LIMITS:LIMITER/*"
# Where the portal would reach Twilio's REST API: a closed port, so nothing can leave the machine.
UNREACHABLE_PROXY = "http://127.0.0.1:9"


def with_search_path(url: str, schema: str) -> str:
    """`url` with PostgreSQL's search_path set to `schema` for every connection."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def bench_schema(database_url: str) -> Iterator[str]:
    """Create a schema of its own for this run and drop it (CASCADE) afterwards; yield its URL."""
    if not database_url.startswith("postgresql"):
        raise ValueError("BENCH_DATABASE_URL must be a PostgreSQL URL (postgresql+psycopg://...)")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield with_search_path(database_url, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def redis_available(url: str) -> bool:
    """True when a Redis server answers at `url`."""
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def clear_rate_limits(url: str) -> int:
    """Delete Flask-Limiter's keys from the Redis database at `url`; return how many there were."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=LIMITER_KEY_PATTERN, count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    return len(keys)


def portal_environment(database_url: str, ratelimit_storage_uri: str) -> dict[str, str]:
    """The portal's environment: production, behind one proxy, with secrets generated for this run.

    Twilio is the SMS backend (production refuses the console one) with made-up credentials,
    and every HTTP(S) request to the outside goes to a closed local port: the webhook never
    calls Twilio's REST API, and should it start to, the run shows errors, not real messages.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "TWILIO_"))}
    env.update(
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATA_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        LOOKUP_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=database_url,
        RATELIMIT_STORAGE_URI=ratelimit_storage_uri,
        TRUSTED_PROXY_COUNT="1",
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID="AC" + secrets.token_hex(16),
        TWILIO_AUTH_TOKEN=secrets.token_hex(16),
        TWILIO_FROM_NUMBER=TWILIO_NUMBER,
        HTTPS_PROXY=UNREACHABLE_PROXY,
        HTTP_PROXY=UNREACHABLE_PROXY,
        NO_PROXY="127.0.0.1,localhost",
    )
    for unset in ("https_proxy", "http_proxy", "no_proxy", "RATELIMIT_PUBLIC_POST", "RATELIMIT_LOGIN"):
        env.pop(unset, None)  # the portal's own limits, exactly as shipped
    return env


def migrate_and_create_floor(env: dict[str, str], floor_url: str) -> "Flask":
    """Apply the portal's migrations and create the floor's table; return the in-process portal app.

    The app (built from `env`, so with the same production settings as the servers) is used to
    create the staff account and nothing else.
    """
    from flask_migrate import upgrade

    from bench.floor_app import metadata
    from portal.app import create_app
    from portal.core.config import Settings

    app = create_app(settings=Settings.from_env(env))
    with app.app_context():
        upgrade()
    engine = create_engine(floor_url)
    metadata.create_all(engine)
    engine.dispose()
    return app
