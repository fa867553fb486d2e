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


def _queue_page(ctx: Context, path: str, cookie: str, seconds: float) -> WrkResult:
    return ctx.check(f"queue {path}", run_wrk(
        ctx.portal.base_url, "get_page.lua", [path, cookie, STAFF_ADDRESS, "tuanyuan-bench", "200"],
        seconds=seconds, threads=2, connections=2,
    ))


def _queue_at_size(ctx: Context, cookie: str, size: int) -> dict[str, Any]:
    plan = ctx.plan
    staff = Browser(ctx.portal.base_url, client_address=STAFF_ADDRESS)
    staff.cookies = dict(part.split("=", 1) for part in cookie.split("; ") if "=" in part)
    first_refs = _REFERENCE.findall(staff.get(QUEUE_FIRST_PAGE).text)
    filtered_refs = _REFERENCE.findall(staff.get(QUEUE_FILTERED_PAGE).text)
    if not first_refs:
        ctx.warnings.append(f"queue at {size:,} items: the first page shows no reference numbers")
    if first_refs == filtered_refs:
        ctx.warnings.append(
            f"queue at {size:,} items: {QUEUE_FILTERED_PAGE} shows the same items as the first page "
            "(the queue does not filter on these parameters yet)"
        )
    _queue_page(ctx, QUEUE_FIRST_PAGE, cookie, plan.warmup_seconds)
    _queue_page(ctx, QUEUE_FILTERED_PAGE, cookie, plan.warmup_seconds)
    rounds = []
    for r in range(plan.queue_rounds):
        first, filtered = _alternate(
            r, lambda: _queue_page(ctx, QUEUE_FIRST_PAGE, cookie, plan.queue_seconds),
            lambda: _queue_page(ctx, QUEUE_FILTERED_PAGE, cookie, plan.queue_seconds),
        )
        rounds.append({"first": first.as_dict(), "filtered": filtered.as_dict()})
        ctx.log(f"  {size:,} items, round {r + 1}: first page {first.p50_ms:.1f} ms, filtered {filtered.p50_ms:.1f} ms (p50)")
    return {
        "rounds": rounds,
        "first_page_ms": median([r["first"]["p50_ms"] for r in rounds]),
        "filtered_page_ms": median([r["filtered"]["p50_ms"] for r in rounds]),
        "filter_changed_page": first_refs != filtered_refs,
    }


def measure_queue(ctx: Context, database_url: str, account: StaffAccount) -> dict[str, Any]:
    """The queue's first page and a filtered page (median time per page) at the small and the
    large size, signed in as a triage officer; the items are generated in bulk."""
    plan = ctx.plan
    engine = create_engine(database_url)
    timings: dict[str, float] = {}

    def grow(first: int, count: int) -> None:
        started = time.monotonic()
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            data.add_intake_items(conn, first, count)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE intake_item"))
            conn.execute(text("VACUUM ANALYZE tip"))
        timings[f"generate_{first + count - 1}_seconds"] = round(time.monotonic() - started, 1)

    try:
        with engine.begin() as conn:
            data.remove_intake_items(conn)  # the tips of the earlier measures
        grow(1, plan.small_queue)
        cookie = sign_in_staff(Browser(ctx.portal.base_url, client_address=STAFF_ADDRESS), account)
        small = _queue_at_size(ctx, cookie, plan.small_queue)
        ctx.log(f"  generating {plan.large_queue - plan.small_queue:,} more intake items ...")
        grow(plan.small_queue + 1, plan.large_queue - plan.small_queue)
        ctx.log(f"  ... in {timings[f'generate_{plan.large_queue}_seconds']:.0f} s")
        large = _queue_at_size(ctx, cookie, plan.large_queue)
        with engine.begin() as conn:
            data.remove_intake_items(conn)
    finally:
        engine.dispose()

    def ratio(key: str) -> float:
        return round(large[key] / small[key], 3) if small[key] else 0.0

    return {
        "small_size": plan.small_queue,
        "large_size": plan.large_queue,
        "first_page_path": QUEUE_FIRST_PAGE,
        "filtered_page_path": QUEUE_FILTERED_PAGE,
        "small": small,
        "large": large,
        "first_page_ratio": ratio("first_page_ms"),
        "filtered_page_ratio": ratio("filtered_page_ms"),
        "generation": timings,
    }


def scratch_folder() -> tempfile.TemporaryDirectory[str]:
    """A temporary folder for prepared requests, removed at the end of the run."""
    return tempfile.TemporaryDirectory(prefix="tuanyuan-bench-")
