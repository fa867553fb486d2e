"""The measures: web tip submission, the SMS webhook, and the staff queue, each against its reference.

Portal and floor alternate within every round (and swap who goes first each round), so that the
machine's noise falls on both alike; each round's ratio is reported and the median is the result.
"""

from __future__ import annotations

import re
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from bench import data
from bench.browser import Browser, hidden_fields, local_path
from bench.openloop import PreparedPost, percentiles, run_open_loop
from bench.prepare import PUBLIC_BASE_URL, TWILIO_NUMBER
from bench.servers import GunicornServer
from bench.staff import StaffAccount, sign_in_staff
from bench.wrk import WrkResult, run_wrk

TIP_FORM_PATH = "/tips/report"
TIP_CONFIRMATION_PATH = "/tips/confirmation"
SMS_PATH = "/sms/inbound"
FLOOR_PATH = "/insert"
QUEUE_FIRST_PAGE = "/staff/queue"
# One filtered page, by URL. The queue's filters are the staff console's (issue 6): keep these
# parameters in step with them. The run says so when the page shows the same items as the first.
QUEUE_FILTERED_PAGE = "/staff/queue?status=assigned&channel=sms"

# A tipster who leaves a name and a mobile number (the heavier path: both are encrypted at rest,
# the number is normalised and hashed). Typed as people type them.
TIP_ANSWERS = {
    "child_in_danger": "no",
    "category": "begging_or_exploited",
    "description": (
        "今天下午在成都火车北站广场看到一个大约六岁的男孩在乞讨，穿红色外套，没有穿鞋。"
        "旁边有一个四十岁左右的男人一直盯着他，孩子讨到钱就交给这个男人。男人身高约一米七，"
        "穿黑色夹克，说外地口音。孩子看起来很害怕，不敢和路人说话。"
    ),
    "place": "四川省成都市金牛区火车北站广场",
    "seen_when": "今天下午3点左右",
    "contact_name": "王女士",
    "contact_phone": "138 0013 8000",
    "may_contact_by_sms": "y",
}
SMS_TEXT = "举报 成都火车北站广场有个小男孩被一个男人带着乞讨，孩子六岁左右，穿红衣服"


@dataclass(frozen=True)
class Plan:
    """How long and how hard: rounds, seconds per run, connections, sizes."""

    rounds: int = 5
    seconds: float = 8.0
    warmup_seconds: float = 2.0
    connections: int = 8
    wrk_threads: int = 2
    rate_per_second: float = 50.0
    rate_seconds: float = 15.0
    rate_rounds: int = 3
    queue_rounds: int = 3
    queue_seconds: float = 5.0
    small_queue: int = 1_000
    large_queue: int = 1_000_000

    @classmethod
    def quick(cls) -> "Plan":
        """A short run that only proves the harness works (BENCH_QUICK=1): figures mean little."""
        return cls(rounds=2, seconds=3, warmup_seconds=1, rate_seconds=4, rate_rounds=1, queue_rounds=1,
                   queue_seconds=2, large_queue=20_000)


@dataclass
class Context:
    """What the measures share: the plan, both servers, the Twilio token, a scratch folder, a log."""

    plan: Plan
    portal: GunicornServer
    floor: GunicornServer
    twilio_auth_token: str
    scratch: Path
    log: Callable[[str], None]
    warnings: list[str] = field(default_factory=list)
    _runs: int = 0

    def next_run(self) -> int:
        """A new run number (makes submission ids and client addresses distinct between runs)."""
        self._runs += 1
        return self._runs

    def check(self, label: str, result: WrkResult) -> WrkResult:
        """Keep a warning when a run had wrong answers, errors, or re-sent prepared requests."""
        if result.bad > result.requests * 0.01 or result.errors or result.wrapped:
            self.warnings.append(
                f"{label}: {result.bad} unexpected answers, {result.errors} socket errors, "
                f"{result.wrapped} repeated requests out of {result.requests}"
            )
        return result


def median(values: list[float]) -> float:
    """The median, 0.0 for none."""
    return statistics.median(values) if values else 0.0


def _alternate(round_index: int, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run both, swapping the order on odd rounds; return their results in argument order."""
    if round_index % 2 == 0:
        a = first()
        return a, second()
    b = second()
    return first(), b


# Web tip submission ------------------------------------------------------------------------------


def _submit_one_tip(base_url: str) -> None:
    """One real submission, checked: GET the form, POST the answers, expect 303 to the confirmation.

    Raises RuntimeError with the page's first error when the form refuses the answers (the form
    changed: update TIP_ANSWERS).
    """
    browser = Browser(base_url, client_address="10.253.0.1")
    page = browser.get(TIP_FORM_PATH)
    posted = browser.post(TIP_FORM_PATH, {**hidden_fields(page.text), **TIP_ANSWERS})
    target = local_path(posted.headers.get("location", ""))
    if posted.status != 303 or not target.startswith(TIP_CONFIRMATION_PATH):
        errors = re.findall(r'<a href="#[^"]*">([^<]+)</a>', posted.text)
        raise RuntimeError(
            f"the tip form answered {posted.status} to the benchmark's answers "
            f"({'; '.join(errors[:3]) or 'no error message found'}): update TIP_ANSWERS in bench/measures.py"
        )


def _tip_form_pages(ctx: Context, run: int, count: int = 32) -> Path:
    """Fetch the form `count` times (a cookie and hidden fields each); write them for tip_post.lua."""
    lines = []
    for i in range(count):
        browser = Browser(ctx.portal.base_url, client_address=f"10.252.{run % 256}.{i}")
        fields = hidden_fields(browser.get(TIP_FORM_PATH).text)
        fields.pop("submission_id", None)  # tip_post.lua gives every POST its own
        lines.append(f"{browser.cookie_header()}\t{urlencode(fields)}")
    path = ctx.scratch / f"tip-pages-{run}.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _tip_posts(ctx: Context, seconds: float) -> WrkResult:
    run = ctx.next_run()
    pages = _tip_form_pages(ctx, run)
    return ctx.check("tip POST", run_wrk(
        ctx.portal.base_url, "tip_post.lua", [str(pages), urlencode(TIP_ANSWERS), str(run), TIP_FORM_PATH, "303"],
        seconds=seconds, threads=ctx.plan.wrk_threads, connections=ctx.plan.connections,
    ))


def _tip_journeys(ctx: Context, seconds: float) -> WrkResult:
    run = ctx.next_run()
    # One connection per wrk thread: a thread's GET and POST belong together.
    return ctx.check("tip GET+POST", run_wrk(
        ctx.portal.base_url, "tip_journey.lua", [urlencode(TIP_ANSWERS), str(run), TIP_FORM_PATH, "303"],
        seconds=seconds, threads=ctx.plan.connections, connections=ctx.plan.connections,
    ))


def _floor_inserts(ctx: Context, seconds: float) -> WrkResult:
    run = ctx.next_run()
    pages = ctx.scratch / "floor-pages.tsv"
    pages.write_text("\t\n")  # no cookie, no hidden fields
    return ctx.check("floor insert", run_wrk(
        ctx.floor.base_url, "tip_post.lua", [str(pages), urlencode(TIP_ANSWERS), str(run), FLOOR_PATH, "303"],
        seconds=seconds, threads=ctx.plan.wrk_threads, connections=ctx.plan.connections,
    ))


def measure_tip_submission(ctx: Context) -> dict[str, Any]:
    """Tip POSTs per second (each with a token from an earlier GET) and whole GET+POST submissions
    per second, against the floor's inserts per second, round by round."""
    plan = ctx.plan
    _submit_one_tip(ctx.portal.base_url)
    _tip_posts(ctx, plan.warmup_seconds)
    _floor_inserts(ctx, plan.warmup_seconds)
    rounds = []
    for r in range(plan.rounds):
        post, floor = _alternate(r, lambda: _tip_posts(ctx, plan.seconds), lambda: _floor_inserts(ctx, plan.seconds))
        journey = _tip_journeys(ctx, plan.seconds)
        row = {
            "portal_post": post.as_dict(),
            "portal_get_post": journey.as_dict(),
            "floor": floor.as_dict(),
            "post_ratio": round(post.ok_per_second / floor.ok_per_second, 3) if floor.ok_per_second else 0.0,
            "get_post_ratio": round(journey.ok_per_second / floor.ok_per_second, 3) if floor.ok_per_second else 0.0,
        }
        rounds.append(row)
        ctx.log(
            f"  round {r + 1}: tip POST {post.ok_per_second:.0f}/s, GET+POST {journey.ok_per_second:.0f}/s, "
            f"floor {floor.ok_per_second:.0f}/s: ratio {row['post_ratio']:.2f} (GET+POST {row['get_post_ratio']:.2f})"
        )
    return {
        "rounds": rounds,
        "portal_post_per_second": median([r["portal_post"]["ok_per_second"] for r in rounds]),
        "portal_get_post_per_second": median([r["portal_get_post"]["ok_per_second"] for r in rounds]),
        "floor_per_second": median([r["floor"]["ok_per_second"] for r in rounds]),
        "post_ratio": median([r["post_ratio"] for r in rounds]),
        "get_post_ratio": median([r["get_post_ratio"] for r in rounds]),
    }


# SMS webhook ----------------------------------------------------------------------------------------


def signed_sms(auth_token: str, count: int) -> list[tuple[str, str]]:
    """`count` inbound SMS as Twilio would POST them to the public webhook URL, each with a new
    MessageSid and sender: (X-Twilio-Signature, url-encoded body), signed with RequestValidator."""
    validator = RequestValidator(auth_token)
    url = f"{PUBLIC_BASE_URL}{SMS_PATH}"
    account = "AC" + secrets.token_hex(16)
    prepared = []
    for _ in range(count):
        sid = "SM" + secrets.token_hex(16)
        params = {
            "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
            "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
            "Body": SMS_TEXT, "FromCountry": "CN", "To": TWILIO_NUMBER, "ToZip": "", "NumSegments": "1",
            "MessageSid": sid, "AccountSid": account, "From": f"+86139{secrets.randbelow(10**8):08d}",
            "ApiVersion": "2010-04-01",
        }
        prepared.append((validator.compute_signature(url, params), urlencode(params)))
    return prepared


def _write_signed(ctx: Context, name: str, count: int) -> Path:
    path = ctx.scratch / f"{name}.tsv"
    path.write_text("".join(f"{sig}\t{body}\n" for sig, body in signed_sms(ctx.twilio_auth_token, count)))
    return path


def _sms_max(ctx: Context, server: GunicornServer, path: str, expected: int, seconds: float, expect_rate: float) -> WrkResult:
    count = max(2000, int(expect_rate * seconds * 2))
    requests = _write_signed(ctx, f"sms-{ctx.next_run()}", count)
    return ctx.check(f"SMS max ({server.name})", run_wrk(
        server.base_url, "signed_posts.lua",
        [str(requests), path, "X-Twilio-Signature", str(expected), str(ctx.plan.wrk_threads)],
        seconds=seconds, threads=ctx.plan.wrk_threads, connections=ctx.plan.connections,
    ))


def _sms_fixed_rate(ctx: Context, server: GunicornServer, path: str, expected: int) -> tuple[list[float], int]:
    plan = ctx.plan
    count = int(plan.rate_per_second * plan.rate_seconds)
    posts = [
        PreparedPost(body, {"X-Twilio-Signature": sig, "X-Forwarded-For": "10.251.0.1", "X-Forwarded-Proto": "https"})
        for sig, body in signed_sms(ctx.twilio_auth_token, count)
    ]
    result = run_open_loop(server.base_url, path, posts, plan.rate_per_second, expected)
    if result.bad or result.late_starts > count * 0.01:
        ctx.warnings.append(f"SMS at {plan.rate_per_second:.0f}/s ({server.name}): {result.bad} unexpected answers, "
                            f"{result.late_starts} requests sent late by the client")
    return result.latencies_ms, result.bad


def measure_sms(ctx: Context) -> dict[str, Any]:
    """The webhook at a fixed rate (p50/p99 latency, floor alike), then its maximum throughput
    against the floor's, round by round."""
    plan = ctx.plan
    portal_latencies: list[float] = []
    floor_latencies: list[float] = []
    fixed_rounds = []
    for r in range(plan.rate_rounds):
        (portal_ms, _), (floor_ms, _) = _alternate(
            r, lambda: _sms_fixed_rate(ctx, ctx.portal, SMS_PATH, 200), lambda: _sms_fixed_rate(ctx, ctx.floor, FLOOR_PATH, 303)
        )
        portal_latencies += portal_ms
        floor_latencies += floor_ms
        row = {"portal": percentiles(portal_ms), "floor": percentiles(floor_ms)}
        fixed_rounds.append(row)
        ctx.log(f"  round {r + 1} at {plan.rate_per_second:.0f}/s: webhook p50 {row['portal']['p50']:.1f} ms, "
                f"p99 {row['portal']['p99']:.1f} ms; floor p50 {row['floor']['p50']:.1f} ms, p99 {row['floor']['p99']:.1f} ms")

    portal_rate = _sms_max(ctx, ctx.portal, SMS_PATH, 200, plan.warmup_seconds, 500).ok_per_second
    floor_rate = _sms_max(ctx, ctx.floor, FLOOR_PATH, 303, plan.warmup_seconds, 3000).ok_per_second
    max_rounds = []
    for r in range(plan.rounds):
        portal, floor = _alternate(
            r,
            lambda: _sms_max(ctx, ctx.portal, SMS_PATH, 200, plan.seconds, portal_rate),
            lambda: _sms_max(ctx, ctx.floor, FLOOR_PATH, 303, plan.seconds, floor_rate),
        )
        portal_rate, floor_rate = max(portal_rate, portal.ok_per_second), max(floor_rate, floor.ok_per_second)
        ratio = round(portal.ok_per_second / floor.ok_per_second, 3) if floor.ok_per_second else 0.0
        max_rounds.append({"portal": portal.as_dict(), "floor": floor.as_dict(), "ratio": ratio})
        ctx.log(f"  round {r + 1}: webhook {portal.ok_per_second:.0f}/s, floor {floor.ok_per_second:.0f}/s: ratio {ratio:.2f}")
    return {
        "fixed_rate_per_second": plan.rate_per_second,
        "fixed_rate_rounds": fixed_rounds,
        "portal_latency_ms": percentiles(portal_latencies),
        "floor_latency_ms": percentiles(floor_latencies),
        "max_rounds": max_rounds,
        "portal_max_per_second": median([r["portal"]["ok_per_second"] for r in max_rounds]),
        "floor_max_per_second": median([r["floor"]["ok_per_second"] for r in max_rounds]),
        "max_ratio": median([r["ratio"] for r in max_rounds]),
    }


# Staff queue ---------------------------------------------------------------------------------------

_REFERENCE = re.compile(r"TY-[0-9A-Z]{4}-[0-9A-Z]{4}")
STAFF_ADDRESS = "10.250.0.1"


def _queue_page(server: GunicornServer, ctx: Context, path: str, cookie: str, seconds: float) -> WrkResult:
    return ctx.check(f"queue {path} ({server.name})", run_wrk(
        server.base_url, "get_page.lua", [path, cookie, STAFF_ADDRESS, "tuanyuan-bench", "200"],
        seconds=seconds, threads=2, connections=2,
    ))


@dataclass(frozen=True)
class QueueSide:
    """One queue size: the portal server on its own schema, that schema's URL, and its staff account."""

    size: int
    server: GunicornServer
    database_url: str
    account: StaffAccount


def _fill_queue(side: QueueSide) -> float:
    """Replace the schema's intake items with `side.size` generated ones; return the seconds taken."""
    started = time.monotonic()
    engine = create_engine(side.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            data.remove_intake_items(conn)  # the tips of the earlier measures
            data.add_intake_items(conn, 1, side.size)
        # What autovacuum would do soon after a bulk load: statistics and the visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE intake_item"))
            conn.execute(text("VACUUM ANALYZE tip"))
    finally:
        engine.dispose()
    return round(time.monotonic() - started, 1)


def _filter_works(ctx: Context, side: QueueSide, cookie: str) -> bool:
    """True when the filtered page shows other items than the first page (a warning otherwise)."""
    staff = Browser(side.server.base_url, client_address=STAFF_ADDRESS)
    staff.cookies = dict(part.split("=", 1) for part in cookie.split("; ") if "=" in part)
    first = _REFERENCE.findall(staff.get(QUEUE_FIRST_PAGE).text)
    filtered = _REFERENCE.findall(staff.get(QUEUE_FILTERED_PAGE).text)
    if not first:
        ctx.warnings.append(f"queue at {side.size:,} items: the first page shows no reference numbers")
    if first == filtered:
        ctx.warnings.append(
            f"queue at {side.size:,} items: {QUEUE_FILTERED_PAGE} shows the same items as the first page "
            "(the queue does not filter on these parameters yet)"
        )
    return first != filtered


def measure_queue(ctx: Context, small: QueueSide, large: QueueSide) -> dict[str, Any]:
    """The queue's first page and a filtered page (median of p50 time per page) at two sizes,
    signed in as a triage officer. Each size has its own schema and server, so the rounds can
    alternate between the sizes and the machine's noise falls on both alike."""
    plan = ctx.plan
    generation = {}
    for side in (small, large):
        ctx.log(f"  generating {side.size:,} intake items ...")
        generation[f"{side.size}_items_seconds"] = _fill_queue(side)
    ctx.log(f"  ... in {sum(generation.values()):.0f} s")
    cookies = {side.size: sign_in_staff(Browser(side.server.base_url, client_address=STAFF_ADDRESS), side.account)
               for side in (small, large)}
    filters = {side.size: _filter_works(ctx, side, cookies[side.size]) for side in (small, large)}
    pages = (("first", QUEUE_FIRST_PAGE), ("filtered", QUEUE_FILTERED_PAGE))
    for side in (small, large):
        for _, path in pages:
            _queue_page(side.server, ctx, path, cookies[side.size], plan.warmup_seconds)
    rounds = []
    for r in range(plan.queue_rounds):
        row: dict[str, Any] = {}
        for key, path in pages:
            a, b = _alternate(
                r, lambda: _queue_page(small.server, ctx, path, cookies[small.size], plan.queue_seconds),
                lambda: _queue_page(large.server, ctx, path, cookies[large.size], plan.queue_seconds),
            )
            row[key] = {"small": a.as_dict(), "large": b.as_dict(), "ratio": round(b.p50_ms / a.p50_ms, 3) if a.p50_ms else 0.0}
        rounds.append(row)
        ctx.log(
            f"  round {r + 1}: first page {row['first']['small']['p50_ms']:.1f} ms → {row['first']['large']['p50_ms']:.1f} ms "
            f"(ratio {row['first']['ratio']:.2f}); filtered {row['filtered']['small']['p50_ms']:.1f} ms → "
            f"{row['filtered']['large']['p50_ms']:.1f} ms (ratio {row['filtered']['ratio']:.2f})"
        )
    for side in (small, large):
        engine = create_engine(side.database_url)
        with engine.begin() as conn:
            data.remove_intake_items(conn)
        engine.dispose()
    result: dict[str, Any] = {
        "small_size": small.size,
        "large_size": large.size,
        "first_page_path": QUEUE_FIRST_PAGE,
        "filtered_page_path": QUEUE_FILTERED_PAGE,
        "filter_changed_page": filters,
        "rounds": rounds,
        "generation": generation,
    }
    for key, _ in pages:
        result[f"{key}_page_small_ms"] = median([r[key]["small"]["p50_ms"] for r in rounds])
        result[f"{key}_page_large_ms"] = median([r[key]["large"]["p50_ms"] for r in rounds])
        result[f"{key}_page_ratio"] = median([r[key]["ratio"] for r in rounds])
    return result


def scratch_folder() -> tempfile.TemporaryDirectory[str]:
    """A temporary folder for prepared requests, removed at the end of the run."""
    return tempfile.TemporaryDirectory(prefix="tuanyuan-bench-")
