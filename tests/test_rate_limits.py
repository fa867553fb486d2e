"""Public form posts are rate-limited by the real client address, behind a proxy too, and in Redis.

Every app built by `app_factory` re-initialises the one shared `limiter`, which then counts in a
fresh storage; so each test here builds its app(s) and uses them in order (see the report on
Flask-Limiter's shared state). The test of counts shared through Redis runs each app server in a
process of its own, as real servers are, so that nothing else in the test process can touch them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.helpers import csrf_token, parse_page, text_of

LIMIT = "3 per minute"
ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def lookup(client, address_headers: dict | None = None, language: str = "zh", **environ: str):
    """POST a progress check (wrong details: nothing is written) like a browser, with a fresh token."""
    headers = {"Accept-Language": language, **(address_headers or {})}
    token = csrf_token(client.get("/tips/status", headers=headers, environ_base=environ).get_data(as_text=True))
    data = {"csrf_token": token, "reference": "TY-2222-2222", "follow_up_code": "2222-2222-2222-2222"}
    return client.post("/tips/status", data=data, headers=headers, environ_base=environ)


def test_the_post_after_the_limit_is_refused_with_a_translated_page(app_factory):
    client = app_factory(ratelimit_public_post=LIMIT).test_client()
    for _ in range(3):
        assert lookup(client).status_code == 200
    refused = lookup(client)
    assert refused.status_code == 429
    assert "尝试次数过多" in text_of(refused)
    parse_page(refused.get_data(as_text=True))
    english = lookup(client, language="en")
    assert english.status_code == 429
    assert "Too many attempts" in text_of(english)
    assert "In an emergency, call 110." in text_of(english)
    assert "Retry-After" in english.headers


def test_a_refused_post_keeps_what_was_typed_so_it_can_be_sent_again(app_factory):
    client = app_factory(ratelimit_public_post=LIMIT).test_client()
    for _ in range(3):
        lookup(client)
    refused = lookup(client, language="en")
    assert refused.status_code == 429
    page = parse_page(refused.get_data(as_text=True))
    assert page.forms[0]["action"] == "/tips/status"
    assert page.forms[0]["fields"]["reference"] == "TY-2222-2222"
    assert page.forms[0]["fields"]["csrf_token"]
    assert "Send again" in text_of(refused)


def test_pages_are_not_limited_only_posts_are(app_factory):
    client = app_factory(ratelimit_public_post=LIMIT).test_client()
    for _ in range(4):
        lookup(client)
    for url in ("/tips/status", "/tips/report", "/"):
        for _ in range(5):
            assert client.get(url).status_code == 200


def test_the_tip_question_pages_are_limited_too(app_factory):
    client = app_factory(ratelimit_tip_steps=LIMIT).test_client()
    statuses = []
    for _ in range(4):
        token = csrf_token(client.get("/tips/report").get_data(as_text=True))
        statuses.append(client.post("/tips/report", data={"csrf_token": token}).status_code)
    assert statuses == [200, 200, 200, 429]


def test_sending_a_tip_counts_against_the_shared_public_limit(app_factory):
    from tests.support.tips import fill_journey

    client = app_factory(ratelimit_public_post=LIMIT).test_client()
    for _ in range(3):
        lookup(client)
    fill_journey(client)  # the question pages have their own budget
    token = csrf_token(client.get("/tips/report/check").get_data(as_text=True))
    assert client.post("/tips/report/check", data={"csrf_token": token}).status_code == 429


def test_behind_one_trusted_proxy_each_client_address_has_its_own_limit(app_factory):
    client = app_factory(trusted_proxy_count=1, ratelimit_public_post=LIMIT).test_client()
    first = {"X-Forwarded-For": "203.0.113.10"}
    second = {"X-Forwarded-For": "203.0.113.20"}
    for _ in range(3):
        assert lookup(client, first).status_code == 200
    assert lookup(client, first).status_code == 429
    # A value the client wrote in front of what the proxy added is not trusted.
    assert lookup(client, {"X-Forwarded-For": "198.51.100.99, 203.0.113.10"}).status_code == 429
    assert lookup(client, second).status_code == 200


def test_without_a_trusted_proxy_a_spoofed_forwarded_for_does_not_escape_the_limit(app_factory):
    client = app_factory(trusted_proxy_count=0, ratelimit_public_post=LIMIT).test_client()
    for n in range(3):
        assert lookup(client, {"X-Forwarded-For": f"198.51.100.{n}"}).status_code == 200
    assert lookup(client, {"X-Forwarded-For": "198.51.100.200"}).status_code == 429
    # ...while another real address still gets through.
    assert lookup(client, REMOTE_ADDR="192.0.2.7").status_code == 200


@pytest.fixture
def redis_url() -> str:
    redis = pytest.importorskip("redis", reason="the redis package is not installed")
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} does not answer ({exc}); set TEST_REDIS_URL to run the Redis limit test")
    connection.flushdb()  # this database number is for tests only
    yield REDIS_URL
    connection.flushdb()
    connection.close()


def test_limits_are_counted_in_redis_and_shared_between_app_servers(_migrated: str, redis_url: str) -> None:
    import redis

    def server(posts: int) -> list[int]:
        """A new app server, in a process of its own (tests/support/limit_server.py)."""
        ran = subprocess.run([sys.executable, "-m", "tests.support.limit_server", _migrated, redis_url, LIMIT, str(posts)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        assert ran.returncode == 0, ran.stderr[-2000:]
        return json.loads(ran.stdout.strip().splitlines()[-1])

    assert server(3) == [200, 200, 200]
    connection = redis.Redis.from_url(redis_url)
    # The moving window keeps one list entry (a time) per counted post.
    counters = {key: connection.llen(key) for key in connection.keys("LIMITS*public-post*")}
    assert list(counters.values()) == [3], f"the three posts were not counted in Redis: {counters}"
    # A second app server sees the same count, and refuses the fourth post.
    assert server(1) == [429]


def test_the_limiter_stores_no_client_address(app_factory, redis_url):
    import redis

    client = app_factory(ratelimit_storage_uri=redis_url, ratelimit_public_post=LIMIT).test_client()
    address = "203.0.113.77"
    assert lookup(client, REMOTE_ADDR=address).status_code == 200
    connection = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in connection.keys("*")]
    assert keys, "no rate-limit counters were written to Redis"
    stored = " ".join(keys) + " ".join(str(connection.get(k)) for k in keys if connection.type(k) == b"string")
    assert address not in stored and "203_0_113_77" not in stored
