"""The measures: web tip submission, the SMS webhook, and the staff queue, each against its reference.

Portal and floor alternate within every round (and swap who goes first each round), so that the
machine's noise falls on both alike; each round's ratio is reported and the median is the result.
"""

from __future__ import annotations

import re
import secrets
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from bench import data
from bench.browser import Browser, Page, hidden_fields, local_path
from bench.openloop import PreparedPost, percentiles, run_open_loop
from bench.prepare import PUBLIC_BASE_URL, TWILIO_NUMBER
from bench.servers import GunicornServer
from bench.staff import StaffAccount, sign_in_staff
from bench.wrk import WrkResult, run_wrk

TIP_FIRST_PAGE = "/tips/report"
TIP_CHECK_PATH = "/tips/report/check"
TIP_CONFIRMATION_PATH = "/tips/confirmation"
SMS_PATH = "/sms/inbound"
FLOOR_PATH = "/insert"
QUEUE_FIRST_PAGE = "/staff/queue"
# One filtered page, by URL. The queue's filters are the staff console's (issue 6): keep these
# parameters in step with them. The run says so when the page shows the same items as the first.
QUEUE_FILTERED_PAGE = "/staff/queue?status=new&channel=sms"
QUEUE_FILTER_SQL = "status = 'new' AND channel = 'sms'"  # what the filtered page must show, and only that

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
# The same tipster on the journey's question pages (portal/web/tips/views.py), by page; the place
# pages choose 四川省 › 成都市 › 金牛区 from their lists (bench/measures.py: _step_answers).
_SEEN = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
JOURNEY_ANSWERS: dict[str, dict[str, str]] = {
    "/tips/report": {"child_in_danger": "no"},
    "/tips/report/what": {"category": TIP_ANSWERS["category"], "description": TIP_ANSWERS["description"]},
    "/tips/report/where/place": {"place": "火车北站广场，售票厅东边的台阶上"},
    "/tips/report/when": {"seen_date": _SEEN.isoformat(), "seen_time": "afternoon"},
    "/tips/report/who": {"child_age": "六岁左右", "child_sex": "boy", "child_clothing": "红色外套，没有穿鞋",
                         "adults_description": "四十岁左右的男人，身高约一米七，穿黑色夹克，外地口音"},
    "/tips/report/photos": {"action": "continue"},
    "/tips/report/contact": {"contact_name": TIP_ANSWERS["contact_name"], "contact_phone": TIP_ANSWERS["contact_phone"],
                             "may_contact_by_sms": "y"},
}
# Pages of a whole journey: 10 question pages (GET and POST each), the check page (GET, POST).
JOURNEY_PAGES = 11
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
    journey_rounds: int = 2
    queue_rounds: int = 3
    queue_seconds: float = 5.0
    small_queue: int = 1_000
    large_queue: int = 1_000_000

    @classmethod
    def quick(cls) -> "Plan":
        """A short run that only proves the harness works (BENCH_QUICK=1): figures mean little."""
        return cls(rounds=2, seconds=3, warmup_seconds=1, rate_seconds=4, rate_rounds=1, journey_rounds=1, queue_rounds=1,
                   queue_seconds=2, large_queue=20_000)


@dataclass
class Context:
    """What the measures share: the plan, both servers, the Twilio token, a scratch folder, a log."""

    plan: Plan
    portal: GunicornServer
    floor: GunicornServer
    database_url: str
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


class JourneyFailed(RuntimeError):
    """The tip journey did not accept the benchmark's answers (the message names the page)."""


_OPTION = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')


def _step_answers(path: str, page: str) -> dict[str, str]:
    """What the tipster of JOURNEY_ANSWERS types on the question page at `path`."""
    if path.startswith(("/tips/report/where/city", "/tips/report/where/district")) or path == "/tips/report/where":
        wanted = {"/tips/report/where": "四川", "/tips/report/where/city": "成都", "/tips/report/where/district": "金牛"}
        choice = next((v for v, label in _OPTION.findall(page) if v and wanted[path] in label), "unknown")
        return {"division": choice}
    return JOURNEY_ANSWERS.get(path, {})


def walk_journey(browser: Browser, send: bool) -> Page:
    """Answer every question page of the tip journey as a tipster would (GET each page, POST its
    answers with its CSRF token, follow the 303), ending on the check page; with `send`, also
    press "Send report". Returns the check page (GET), or the answer to sending it.
    Raises JourneyFailed when a page refuses the answers (the journey changed: update JOURNEY_ANSWERS)."""
    path = TIP_FIRST_PAGE
    for _ in range(20):
        page = browser.get(path)
        if page.status != 200:
            raise JourneyFailed(f"{path} answered {page.status}")
        if path.startswith(TIP_CHECK_PATH):
            if not send:
                return page
            sent = browser.post(TIP_CHECK_PATH, hidden_fields(page.text))
            if sent.status != 303 or not local_path(sent.headers.get("location", "")).startswith(TIP_CONFIRMATION_PATH):
                raise JourneyFailed(f"sending the report answered {sent.status}")
            return sent
        posted = browser.post(path, {**hidden_fields(page.text), **_step_answers(path, page.text)})
        following = local_path(posted.headers.get("location", ""))
        if posted.status != 303 or not following.startswith("/tips/"):
            errors = re.findall(r'<a href="#[^"]*">([^<]+)</a>', posted.text)
            raise JourneyFailed(
                f"{path} answered {posted.status} to the benchmark's answers "
                f"({'; '.join(errors[:3]) or 'no error message found'}): update JOURNEY_ANSWERS in bench/measures.py"
            )
        path = following
    raise JourneyFailed("the journey did not reach the check page within 20 pages")


@dataclass
class DraftTemplates:
    """Drafts filled in through the real question pages, left on their check page: each one's
    draft row id, and the Cookie header and hidden fields (CSRF token) of its check page's GET."""

    draft_ids: list[int]
    pages: list[tuple[str, str]]


def _template_drafts(ctx: Context, count: int = 16) -> DraftTemplates:
    from portal.core.security.crypto import lookup_hash
    from portal.tips.drafts import _PURPOSE, DRAFT_COOKIE

    engine = create_engine(ctx.database_url)
    ids, pages = [], []
    try:
        for i in range(count):
            browser = Browser(ctx.portal.base_url, client_address=f"10.249.0.{i + 1}")
            check = walk_journey(browser, send=False)
            token = browser.cookies[DRAFT_COOKIE]
            with engine.connect() as conn:
                ids.append(conn.execute(text("SELECT id FROM tip_draft WHERE key_hash = :h"),
                                        {"h": lookup_hash(token, _PURPOSE)}).scalar_one())
            session_cookies = "; ".join(f"{k}={v}" for k, v in browser.cookies.items() if k != DRAFT_COOKIE)
            pages.append((session_cookies, urlencode(hidden_fields(check.text))))
    finally:
        engine.dispose()
    return DraftTemplates(ids, pages)


def _ready_drafts(ctx: Context, templates: DraftTemplates, run: int, count: int) -> Path:
    """`count` drafts ready to send, for tip_send.lua: copies of the template drafts' rows (the same
    encrypted answers, each with a new secret id of its own), each paired with one template's
    session cookie and CSRF token from its check page. Written outside the timed run."""
    from portal.core.security.crypto import lookup_hash
    from portal.tips.drafts import _PURPOSE, DRAFT_COOKIE

    tokens = [secrets.token_urlsafe(24) for _ in range(count)]
    sources = [templates.draft_ids[i % len(templates.draft_ids)] for i in range(count)]
    engine = create_engine(ctx.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO tip_draft (key_hash, answers, created_at, expires_at, honeypot) "
                "SELECT h.key_hash, d.answers, now(), d.expires_at, false "
                "FROM unnest(CAST(:hashes AS text[]), CAST(:sources AS int[])) AS h(key_hash, source) "
                "JOIN tip_draft d ON d.id = h.source"
            ), {"hashes": [lookup_hash(t, _PURPOSE) for t in tokens], "sources": sources})
    finally:
        engine.dispose()
    lines = []
    for i, token in enumerate(tokens):
        cookies, hidden = templates.pages[i % len(templates.pages)]
        lines.append(f"{cookies}; {DRAFT_COOKIE}={token}\t{hidden}")
    path = ctx.scratch / f"tip-drafts-{run}.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _tip_sends(ctx: Context, templates: DraftTemplates, seconds: float, expect_rate: float) -> WrkResult:
    run = ctx.next_run()
    drafts = _ready_drafts(ctx, templates, run, int(expect_rate * seconds * 1.5) + 200)
    return ctx.check("tip send", run_wrk(
        ctx.portal.base_url, "tip_send.lua", [str(drafts), str(run), TIP_CHECK_PATH, "303", str(ctx.plan.wrk_threads)],
        seconds=seconds, threads=ctx.plan.wrk_threads, connections=ctx.plan.connections,
    ))


def _whole_journeys(ctx: Context, seconds: float, tipsters: int) -> float:
    """Whole journeys (every page, then sending) completed per second by `tipsters` Python threads."""
    run = ctx.next_run()
    deadline = time.monotonic() + seconds
    done = [0] * tipsters
    failures: list[str] = []

    def tipster(index: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            browser = Browser(ctx.portal.base_url, client_address=f"10.{240 + run % 8}.{index}.{n % 250 + 1}")
            try:
                walk_journey(browser, send=True)
            except JourneyFailed as exc:
                failures.append(str(exc))
                return
            if time.monotonic() <= deadline:
                done[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=tipster, args=(i,)) for i in range(tipsters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        ctx.warnings.append(f"whole tip journeys: {len(failures)} failed ({failures[0]})")
    return sum(done) / max(time.monotonic() - started, seconds)


def _floor_inserts(ctx: Context, seconds: float) -> WrkResult:
    run = ctx.next_run()
    pages = ctx.scratch / "floor-pages.tsv"
    pages.write_text("\t\n")  # no cookie, no hidden fields
    return ctx.check("floor insert", run_wrk(
        ctx.floor.base_url, "tip_post.lua", [str(pages), urlencode(TIP_ANSWERS), str(run), FLOOR_PATH, "303"],
        seconds=seconds, threads=ctx.plan.wrk_threads, connections=ctx.plan.connections,
    ))


def measure_tip_submission(ctx: Context) -> dict[str, Any]:
    """"Send report" POSTs per second (each on a draft of its own, filled in beforehand, with the
    CSRF token of a prior GET of the check page) against the floor's inserts per second, round by
    round; and, for information, whole journeys per second."""
    plan = ctx.plan
    walk_journey(Browser(ctx.portal.base_url, client_address="10.253.0.1"), send=True)  # the answers are accepted
    templates = _template_drafts(ctx)
    rate = _tip_sends(ctx, templates, plan.warmup_seconds, 300.0).ok_per_second
    _floor_inserts(ctx, plan.warmup_seconds)
    rounds = []
    for r in range(plan.rounds):
        send, floor = _alternate(r, lambda: _tip_sends(ctx, templates, plan.seconds, max(rate, 50.0)),
                                 lambda: _floor_inserts(ctx, plan.seconds))
        rate = max(rate, send.ok_per_second)
        row = {
            "portal_send": send.as_dict(),
            "floor": floor.as_dict(),
            "send_ratio": round(send.ok_per_second / floor.ok_per_second, 3) if floor.ok_per_second else 0.0,
        }
        if r < plan.journey_rounds:
            row["journeys_per_second"] = round(_whole_journeys(ctx, plan.seconds, plan.connections), 2)
        rounds.append(row)
        ctx.log(
            f"  round {r + 1}: send report {send.ok_per_second:.0f}/s, floor {floor.ok_per_second:.0f}/s: "
            f"ratio {row['send_ratio']:.2f}"
            + (f"; whole journeys {row['journeys_per_second']:.1f}/s" if "journeys_per_second" in row else "")
        )
    journeys = [r["journeys_per_second"] for r in rounds if "journeys_per_second" in r]
    return {
        "rounds": rounds,
        "portal_send_per_second": median([r["portal_send"]["ok_per_second"] for r in rounds]),
        "floor_per_second": median([r["floor"]["ok_per_second"] for r in rounds]),
        "send_ratio": median([r["send_ratio"] for r in rounds]),
        "journeys_per_second": median(journeys),
        "journey_pages": JOURNEY_PAGES,
        "template_drafts": len(templates.draft_ids),
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
    """Replace the schema's intake items with `side.size` generated ones, their indexes (search
    included) rebuilt over every row and the statistics fresh; return the seconds taken."""
    started = time.monotonic()
    engine = create_engine(side.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            data.remove_intake_items(conn)  # the tips of the earlier measures
            with data.bulk_load(conn):
                data.add_intake_items(conn, 1, side.size)
        # What autovacuum would do soon after a bulk load: statistics and the visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE intake_item"))
            conn.execute(text("VACUUM ANALYZE tip"))
    finally:
        engine.dispose()
    return round(time.monotonic() - started, 1)


def _filter_works(ctx: Context, side: QueueSide, cookie: str) -> bool:
    """True when the filtered page shows a full page of items, every one of them matching the
    filter in the database, and not the first page's items; a warning otherwise."""
    staff = Browser(side.server.base_url, client_address=STAFF_ADDRESS)
    staff.cookies = dict(part.split("=", 1) for part in cookie.split("; ") if "=" in part)
    first = _REFERENCE.findall(staff.get(QUEUE_FIRST_PAGE).text)
    filtered = list(dict.fromkeys(_REFERENCE.findall(staff.get(QUEUE_FILTERED_PAGE).text)))
    engine = create_engine(side.database_url)
    try:
        with engine.connect() as conn:
            matching = conn.execute(
                text(f"SELECT count(*) FROM intake_item WHERE reference = ANY(CAST(:refs AS text[])) AND {QUEUE_FILTER_SQL}"),
                {"refs": filtered},
            ).scalar_one()
            expected = min(50, conn.execute(text(f"SELECT count(*) FROM intake_item WHERE {QUEUE_FILTER_SQL}")).scalar_one())
    finally:
        engine.dispose()
    problems = []
    if not first:
        problems.append("the first page shows no reference numbers")
    if len(filtered) != expected or matching != len(filtered):
        problems.append(f"{QUEUE_FILTERED_PAGE} shows {len(filtered)} items, {matching} of them matching "
                        f"({QUEUE_FILTER_SQL}), where {expected} were expected")
    if filtered and list(dict.fromkeys(first)) == filtered:
        problems.append(f"{QUEUE_FILTERED_PAGE} shows the same items as the first page")
    for problem in problems:
        ctx.warnings.append(f"queue at {side.size:,} items: {problem}")
    if not problems:
        ctx.log(f"  queue at {side.size:,} items: the filtered page shows {len(filtered)} items, all {QUEUE_FILTER_SQL}")
    return not problems


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
