"""`make bench`: the portal under gunicorn on PostgreSQL, measured against a bare Flask floor.

Serves the portal with production settings (gunicorn.conf.py, 2 workers, PORTAL_ENV=production
with secrets made for this run, behind one trusted proxy, rate limits in Redis) and beside it the
floor (bench/floor_app.py) with the same gunicorn settings, both on PostgreSQL in a schema of
this run's own; measures web tip submission, the SMS webhook and the staff queue; prints one
table against the goals, writes bench/results/latest.json and copies the table into the README.
Cleans up (servers, schema, rate-limit keys, temporary files) and exits 0 whatever the figures;
1 only when the benchmark itself could not run.

Environment: BENCH_DATABASE_URL (default: this machine's `test` database), BENCH_REDIS_URL
(default redis://127.0.0.1:6379/14; without Redis the limits live in each worker's memory),
BENCH_WORKERS (default 2), BENCH_QUICK=1 (a short run that only checks the harness; nothing written),
BENCH_ONLY=sms (a comma-separated list of tips, sms, queue: only those measures, for comparing two
commits back to back; nothing written).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench import report
from bench.measures import (
    Context,
    Plan,
    QueueSide,
    measure_queue,
    measure_sms,
    measure_tip_submission,
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
from bench.servers import GunicornServer, MemoryMonitor
from bench.staff import create_staff_account
from bench.wrk import wrk_path


def log(message: str) -> None:
    """One progress line, flushed at once."""
    print(message, flush=True)


def _postgres_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar()).split()[0]
    finally:
        engine.dispose()


def _stop_on_sigterm() -> None:
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


# The measures, in the order they run; BENCH_ONLY picks some of them.
MEASURES = frozenset({"tips", "sms", "queue"})


def run() -> int:
    """Run every measure and report; return the exit code."""
    started = time.monotonic()
    quick = os.environ.get("BENCH_QUICK", "") == "1"
    plan = Plan.quick() if quick else Plan()
    database_url = os.environ.get("BENCH_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL", "").strip() or DEFAULT_REDIS_URL
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    wrk_path()
    commit = report.commit()
    results: dict[str, Any] = {"date": report.now_utc(), "commit": commit, "machine": report.machine(),
                               "load_average_at_start": round(os.getloadavg()[0], 1)}
    warnings: list[str] = []
    if quick:
        warnings.append("BENCH_QUICK=1: a short run that checks the harness; the figures are not comparable")
    only = {key.strip() for key in os.environ.get("BENCH_ONLY", "").split(",") if key.strip()}
    if only - MEASURES:
        raise ValueError(f"BENCH_ONLY: unknown measures {sorted(only - MEASURES)}; choose from {sorted(MEASURES)}")
    if only:
        warnings.append(f"BENCH_ONLY={','.join(sorted(only))}: the other measures were not run")

    ratelimit_uri = redis_url
    if not redis_available(redis_url):
        ratelimit_uri = "memory://"
        warnings.append(f"no Redis at {redis_url}: rate limits kept in each worker's memory")
    else:
        clear_rate_limits(redis_url)

    servers: list[GunicornServer] = []
    monitor: MemoryMonitor | None = None
    # Two schemas: the main one (portal, floor, the small queue) and one for the large queue, served
    # by a second portal, so that queue rounds alternate between the sizes.
    with bench_schema(database_url) as schema_url, bench_schema(database_url) as large_url, \
            scratch_folder() as scratch_name:
        scratch = Path(scratch_name)
        try:
            env = portal_environment(schema_url, ratelimit_uri)
            large_env = {**env, "DATABASE_URL": large_url}
            log(f"Preparing: migrations and the floor's table in schemas of this run's own ({database_url})")
            account = create_staff_account(migrate_and_create_floor(env, schema_url))
            large_account = create_staff_account(migrate_and_create_floor(large_env, large_url))
            portal = GunicornServer("portal", "wsgi:app", env, workers, scratch)
            floor = GunicornServer("floor", "bench.floor_app:app", {**env, "BENCH_FLOOR_DATABASE_URL": schema_url},
                                   workers, scratch)
            portal_large = GunicornServer("portal-large-queue", "wsgi:app", large_env, workers, scratch)
            servers += [portal, floor, portal_large]
            for server in servers:
                server.start()
            log(f"Serving: portal {portal.base_url}, floor {floor.base_url}, portal on the large queue "
                f"{portal_large.base_url} ({workers} workers each)")
            monitor = MemoryMonitor(servers)
            monitor.start()
            ctx = Context(plan, portal, floor, schema_url, env["TWILIO_AUTH_TOKEN"], scratch, log, warnings)
            results["settings"] = {
                "workers": workers,
                "worker_class": "sync",
                "portal_env": env["PORTAL_ENV"],
                "sms_backend": env["SMS_BACKEND"],
                "trusted_proxy_count": int(env["TRUSTED_PROXY_COUNT"]),
                "rate_limit_storage": "redis" if ratelimit_uri.startswith("redis") else "memory",
                "postgresql": _postgres_version(database_url),
                "plan": plan.__dict__,
            }

            for key, title, measure in (
                ("tips", "Web tip submission", lambda: measure_tip_submission(ctx)),
                ("sms", "SMS webhook", lambda: measure_sms(ctx)),
                ("queue", "Staff queue", lambda: measure_queue(
                    ctx,
                    QueueSide(plan.small_queue, portal, schema_url, account),
                    QueueSide(plan.large_queue, portal_large, large_url, large_account),
                )),
            ):
                if only and key not in only:
                    continue
                log(f"{title}:")
                try:
                    results[key] = measure()
                except KeyboardInterrupt:
                    raise
                except Exception as exc:  # noqa: BLE001 - one broken measure must not hide the others
                    warnings.append(f"{title} could not be measured: {exc}")
                    log(f"  failed: {exc}")
                    traceback.print_exc()
                for server in servers:
                    server.check_running()
            for server in servers:
                if server.worker_boots() > workers:
                    warnings.append(f"{server.name}: {server.worker_boots() - workers} workers were replaced during the run "
                                    f"(crash or timeout; see its log):\n{server.log_tail(10)}")
            peaks = monitor.stop()
            monitor_polled = monitor.polled
            monitor = None
            results["memory"] = {
                "portal_worker_peak_bytes": max(peaks["portal"], peaks["portal-large-queue"]),
                "floor_worker_peak_bytes": peaks["floor"],
                "portal_worker_polled_bytes": max(monitor_polled["portal"], monitor_polled["portal-large-queue"]),
            }
        finally:
            if monitor is not None:
                monitor.stop()
            for server in servers:
                server.stop()
            if ratelimit_uri.startswith("redis"):
                clear_rate_limits(redis_url)

    results["load_average_at_end"] = round(os.getloadavg()[0], 1)
    results["warnings"] = warnings
    results["duration_seconds"] = round(time.monotonic() - started)
    results["summary"] = report.summary_rows(results)
    log("")
    log(report.text_table(results["summary"]))
    for warning in warnings:
        log(f"note: {warning}")
    if quick or only:
        log("(BENCH_QUICK or BENCH_ONLY: nothing written)")
    else:
        for problem in report.write(results):
            log(f"note: {problem}")
        log(f"Written: {report.RESULTS_JSON.relative_to(report.ROOT)} and the README's performance section")
    log(f"Done in {results['duration_seconds'] / 60:.1f} minutes.")
    return 0


def main() -> int:
    """Entry point: run, turning a failure of the harness itself into exit code 1 with its reason."""
    _stop_on_sigterm()
    try:
        return run()
    except KeyboardInterrupt:
        log("Interrupted; cleaned up.")
        return 1
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        log(f"The benchmark could not run: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
