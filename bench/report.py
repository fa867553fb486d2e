"""The summary: one table of measures against their goals, printed, written as JSON, copied into the README."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_JSON = ROOT / "bench" / "results" / "latest.json"
README = ROOT / "README.md"
START_MARK = "<!-- bench:results:start -->"
END_MARK = "<!-- bench:results:end -->"
MB = 1_000_000  # memory is reported in megabytes of 10^6 bytes (stricter than MiB)


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model, and the versions that shape the figures."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        kib = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal:"))
    except (OSError, StopIteration, ValueError):
        kib = 0
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(kib * 1024 / 1e9, 1),
        "cpu": model,
        "python": platform.python_version(),
    }


def commit() -> str:
    """The short commit hash, with "+changes" when the work tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!README.md", ":!bench/results")
    return f"{head}+changes" if dirty else head


def _met(value: float, goal: float, at_most: bool) -> str:
    return "yes" if (value <= goal if at_most else value >= goal) else "no"


def summary_rows(results: dict[str, Any]) -> list[dict[str, str]]:
    """The table's rows: measure, result, goal, met (yes/no/—), and the figures behind the result."""
    rows: list[dict[str, str]] = []
    tips = results.get("tips")
    if tips:
        rows.append({
            "measure": "web tip submission throughput ÷ floor",
            "result": f"{tips['send_ratio']:.2f}",
            "goal": "≥ 0.5",
            "met": _met(tips["send_ratio"], 0.5, at_most=False),
            "detail": f"\"Send report\" POST {tips['portal_send_per_second']:.0f}/s, floor INSERT {tips['floor_per_second']:.0f}/s",
        })
        if tips.get("journeys_per_second"):
            rows.append({
                "measure": "whole tip journey (every page, then send), for information",
                "result": f"{tips['journeys_per_second']:.1f}/s",
                "goal": "—",
                "met": "—",
                "detail": f"{tips['journey_pages']} pages, GET and POST each; {2 * tips['journey_pages'] * tips['journeys_per_second']:.0f} requests/s",
            })
    sms = results.get("sms")
    if sms:
        latency = sms["portal_latency_ms"]
        floor = sms["floor_latency_ms"]
        rate = sms["fixed_rate_per_second"]
        rows.append({
            "measure": f"SMS webhook p99 at {rate:.0f} requests/s",
            "result": f"{latency['p99']:.1f} ms",
            "goal": "≤ 50 ms",
            "met": _met(latency["p99"], 50.0, at_most=True),
            "detail": f"p50 {latency['p50']:.1f} ms; floor p50 {floor['p50']:.1f} ms, p99 {floor['p99']:.1f} ms",
        })
        rows.append({
            "measure": "SMS webhook maximum throughput ÷ floor",
            "result": f"{sms['max_ratio']:.2f}",
            "goal": "—",
            "met": "—",
            "detail": f"webhook {sms['portal_max_per_second']:.0f}/s, floor {sms['floor_max_per_second']:.0f}/s",
        })
    queue = results.get("queue")
    if queue:
        small, large = queue["small_size"], queue["large_size"]
        for key, name in (("first_page", "first page"), ("filtered_page", "filtered page")):
            rows.append({
                "measure": f"queue {name} time, {large:,} items ÷ {small:,} items",
                "result": f"{queue[f'{key}_ratio']:.2f}",
                "goal": "≤ 1.5",
                "met": _met(queue[f"{key}_ratio"], 1.5, at_most=True),
                "detail": f"{queue[f'{key}_small_ms']:.1f} ms → {queue[f'{key}_large_ms']:.1f} ms (medians of p50)",
            })
    memory = results.get("memory")
    if memory:
        peak = memory["portal_worker_peak_bytes"] / MB
        rows.append({
            "measure": "peak worker memory (resident)",
            "result": f"{peak:.0f} MB",
            "goal": "≤ 150 MB",
            "met": _met(peak, 150.0, at_most=True),
            "detail": (
                f"largest seen at a poll (every 0.5 s) {memory.get('portal_worker_polled_bytes', 0) / MB:.0f} MB; "
                f"floor worker peak {memory['floor_worker_peak_bytes'] / MB:.0f} MB"
            ),
        })
    return rows


def text_table(rows: list[dict[str, str]]) -> str:
    """The rows as an aligned plain-text table for the terminal."""
    headers = ["measure", "result", "goal", "met", "detail"]
    widths = [max(len(h), *(len(r[h]) for r in rows)) for h in headers] if rows else [len(h) for h in headers]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(r[h].ljust(w) for h, w in zip(headers, widths)) for r in rows]
    return "\n".join(out)


def markdown(results: dict[str, Any]) -> str:
    """The README's copy: where and when, then the table."""
    m = results["machine"]
    lines = [
        f"Measured {results['date']} on {m['cores']} cores, {m['memory_gb']} GB memory ({m['cpu']}), "
        f"commit `{results['commit']}`, {results['settings']['workers']} gunicorn {results['settings']['worker_class']} "
        f"workers, PostgreSQL {results['settings']['postgresql']}, Python {m['python']}; "
        f"the run took {results['duration_seconds'] / 60:.1f} minutes. Load average {results.get('load_average_at_start', '?')} "
        f"when it started (other work) and {results.get('load_average_at_end', '?')} when it ended (the benchmark's "
        f"own included); {m['cores']} would keep every core busy.",
        "",
        "| measure | result | goal | met | figures behind it |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r['measure']} | {r['result']} | {r['goal']} | {r['met']} | {r['detail']} |" for r in results["summary"]]
    if results.get("warnings"):
        lines += ["", "Notes from the run:", ""] + [f"- {w}" for w in results["warnings"]]
    return "\n".join(lines)


def write(results: dict[str, Any]) -> list[str]:
    """Write latest.json and the README copy; return what could not be written (empty when all was)."""
    problems = []
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    readme = README.read_text()
    start, end = readme.find(START_MARK), readme.find(END_MARK)
    if start == -1 or end < start:
        problems.append(f"README.md has no {START_MARK} … {END_MARK} section: the table was not copied there")
    else:
        README.write_text(readme[: start + len(START_MARK)] + "\n" + markdown(results) + "\n" + readme[end:])
    return problems


def now_utc() -> str:
    """The current time in UTC, to the minute, ISO 8601."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
