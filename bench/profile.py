"""Where the time goes: py-spy on the portal's gunicorn workers under one measure's load.

`python -m bench.profile tip|sms|queue [SECONDS]` serves the portal exactly as `make bench` does
(production settings, 2 workers, PostgreSQL in a schema of its own), drives the chosen path with
the benchmark's own load, samples every worker with py-spy (`pip install py-spy`; needs root or
ptrace permission), and prints the functions that take the most time: inclusive (the function and
what it calls) and self. Writes the raw stacks to bench/results/profile-NAME.txt for a flame graph
(e.g. speedscope or inferno). Cleans up like `make bench`.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bench import data
from bench.browser import Browser
from bench.measures import (
    QUEUE_FIRST_PAGE,
    SMS_PATH,
    STAFF_ADDRESS,
    Context,
    Plan,
    _queue_page,
    _sms_max,
    _template_drafts,
    _tip_sends,
    scratch_folder,
)
from bench.prepare import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    bench_schema,
    clear_rate_limits,
    migrate_and_create_floor,
    portal_environment,
    redis_available,
)
from bench.servers import GunicornServer
from bench.staff import create_staff_account, sign_in_staff

RESULTS = Path(__file__).resolve().parent / "results"
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]*)(?::\d+)?\)$")
QUEUE_ITEMS = 1_000_000
# Frames every request passes through (the server, the interpreter): left out of the inclusive list.
_SERVER_FILES = ("(gunicorn/app/base.py)", "(gunicorn/arbiter.py)", "(gunicorn/__main__.py)", "(<frozen runpy>)",
                 "(gunicorn/workers/base.py)", "(gunicorn/app/wsgiapp.py)", "(gunicorn/workers/sync.py)")


def _frame_name(frame: str) -> str:
    """`function (path/to/module.py:line)` → `function (module area path)`, without the line."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    file = match.group("file")
    for marker in ("site-packages/", "/wt-bench/", "/lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match.group('function')} ({file})"


def summarise(raw: str, top: int = 30) -> str:
    """A text table of the busiest functions in py-spy's raw (collapsed) stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";")]
        total += count
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count
    if not total:
        return "(no samples)"
    lines = [f"{total} samples of busy workers", "", "inclusive  function (and what it calls)"]
    below_server = [(name, n) for name, n in inclusive.most_common() if not name.endswith(_SERVER_FILES)]
    lines += [f"{100 * n / total:8.1f}%  {name}" for name, n in below_server[:top]]
    lines += ["", "self       function"]
    lines += [f"{100 * n / total:8.1f}%  {name}" for name, n in own.most_common(top // 2)]
    return "\n".join(lines)


def main() -> int:
    """Profile one path; see the module's docstring."""
    what = sys.argv[1] if len(sys.argv) > 1 else "tip"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 15.0
    if what not in ("tip", "sms", "queue"):
        print("usage: python -m bench.profile tip|sms|queue [SECONDS]", file=sys.stderr)
        return 2
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 1
    database_url = os.environ.get("BENCH_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL", "").strip() or DEFAULT_REDIS_URL
    with bench_schema(database_url) as schema_url, scratch_folder() as scratch_name:
        scratch = Path(scratch_name)
        ratelimit_uri = redis_url if redis_available(redis_url) else "memory://"
        env = portal_environment(schema_url, ratelimit_uri)
        account = create_staff_account(migrate_and_create_floor(env, schema_url))
        portal = GunicornServer("portal", "wsgi:app", env, 2, scratch)
        portal.start()
        try:
            ctx = Context(Plan(), portal, portal, schema_url, env["TWILIO_AUTH_TOKEN"], scratch, print)
            cookie = ""
            if what == "queue":
                from sqlalchemy import create_engine, text

                engine = create_engine(schema_url)
                with engine.begin() as conn, data.bulk_load(conn):
                    data.add_intake_items(conn, 1, QUEUE_ITEMS)
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE intake_item"))
                    conn.execute(text("VACUUM ANALYZE tip"))
                engine.dispose()
                cookie = sign_in_staff(Browser(portal.base_url, client_address=STAFF_ADDRESS), account)
            templates = _template_drafts(ctx) if what == "tip" else None
            load = {
                "tip": lambda s: _tip_sends(ctx, templates, s, 300.0),
                "sms": lambda s: _sms_max(ctx, portal, SMS_PATH, 200, s, 300),
                "queue": lambda s: _queue_page(portal, ctx, QUEUE_FIRST_PAGE, cookie, s),
            }[what]
            load(3.0)  # warm up: workers finish importing, caches fill
            outputs = [scratch / f"stacks-{pid}.txt" for pid in portal.worker_pids()]
            spies = [
                subprocess.Popen([py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                                  "--format", "raw", "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for pid, out in zip(portal.worker_pids(), outputs)
            ]
            result = load(seconds)
            for spy in spies:
                spy.wait(timeout=seconds + 60)
            raw = "".join(out.read_text() for out in outputs if out.exists())
        finally:
            portal.stop()
            if ratelimit_uri.startswith("redis"):
                clear_rate_limits(redis_url)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"profile-{what}.txt").write_text(raw)
    print(f"{what}: {result.ok_per_second:.0f} answers/s while sampled (py-spy slows the workers)\n")
    print(summarise(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
