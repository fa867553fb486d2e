"""Requests at a fixed rate, whatever the server does (an open loop), for latency at a given load.

wrk sends the next request when the previous one is answered, so a slow answer delays the
requests behind it and their wait is never counted ("coordinated omission"). Here request i is
due at start + i / rate; its latency runs from that moment to the end of its answer, so time spent
waiting for a free connection or a busy server counts. At 50 requests a second the client's own
cost is a fraction of a millisecond, and the floor, measured the same way, shows it.
"""

from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class PreparedPost:
    """One POST ready to send: url-encoded body and its headers (a Twilio signature, for example)."""

    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class OpenLoopResult:
    """Latencies in milliseconds, in the order the requests were due; `bad`: answers not `expected`."""

    latencies_ms: list[float]
    bad: int
    late_starts: int


def _percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by the nearest-rank method; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max of `values`."""
    return {
        "p50": _percentile(values, 50),
        "p90": _percentile(values, 90),
        "p99": _percentile(values, 99),
        "max": max(values) if values else 0.0,
    }


def run_open_loop(
    base_url: str, path: str, posts: list[PreparedPost], rate_per_second: float, expected_status: int
) -> OpenLoopResult:
    """POST each of `posts` to `base_url` + `path`, request i at i / rate_per_second seconds.

    A new connection per request, as gunicorn's sync workers close each one. `late_starts`
    counts requests that could not be sent within 5 ms of their time (the client falling
    behind); their lateness is included in their latency.
    """
    parts = urlsplit(base_url)
    latencies: list[float] = [0.0] * len(posts)
    bad = 0
    late = 0
    lock = threading.Lock()

    def send(index: int, due: float) -> None:
        nonlocal bad, late
        started = time.perf_counter()
        status = 0
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            post = posts[index]
            conn.request(
                "POST", path, body=post.body,
                headers={"Content-Type": "application/x-www-form-urlencoded", **post.headers},
            )
            response = conn.getresponse()
            response.read()
            status = response.status
            conn.close()
        except OSError:
            status = 0
        finished = time.perf_counter()
        latencies[index] = (finished - due) * 1000.0
        with lock:
            if status != expected_status:
                bad += 1
            if started - due > 0.005:
                late += 1

    interval = 1.0 / rate_per_second
    with ThreadPoolExecutor(max_workers=32) as pool:
        start = time.perf_counter() + 0.05
        for index in range(len(posts)):
            due = start + index * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, index, due)
    return OpenLoopResult(latencies, bad, late)
