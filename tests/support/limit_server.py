"""One app server in a process of its own, for the test that rate-limit counts are shared through
Redis between app servers: `python -m tests.support.limit_server DATABASE_URL REDIS_URL LIMIT N`
builds the portal with the limits stored in REDIS_URL and the public form limit LIMIT ("3 per
minute"), sends N progress-check posts (wrong details: nothing is written) from one client
address, and prints their status codes as a JSON list.

A process of its own, as a second server is: nothing in it (the one Flask-Limiter object of a
process, its storage, the key ring) is shared with the test process or with the other server.
"""

from __future__ import annotations

import json
import sys

from portal.app import create_app
from tests.support.helpers import csrf_token
from tests.support.settings import make_settings


def lookups(database_url: str, redis_url: str, limit: str, count: int) -> list[int]:
    """Status codes of `count` progress-check posts to a new app storing its limits in `redis_url`."""
    app = create_app({"TESTING": True}, settings=make_settings(
        database_url, ratelimit_storage_uri=redis_url, ratelimit_public_post=limit))
    client = app.test_client()
    statuses = []
    for _ in range(count):
        token = csrf_token(client.get("/tips/status").get_data(as_text=True))
        response = client.post("/tips/status", data={
            "csrf_token": token, "reference": "TY-2222-2222", "follow_up_code": "2222-2222-2222-2222"})
        statuses.append(response.status_code)
    return statuses


if __name__ == "__main__":
    database, redis, per, n = sys.argv[1:5]
    print(json.dumps(lookups(database, redis, per, int(n))))
