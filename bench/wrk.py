"""Running wrk with one of the scripts in bench/lua/ and reading its one line of results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.browser import PUBLIC_HOST

LUA = Path(__file__).resolve().parent / "lua"


class WrkFailed(RuntimeError):
    """wrk is missing, failed, or printed no results line."""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run. `ok`: answers with the expected status; `bad`: any other answer; `wrapped`:
    prepared requests sent a second time (the file ran out). Latencies in milliseconds."""

    seconds: float
    requests: int
    ok: int
    bad: int
    wrapped: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float

    @property
    def ok_per_second(self) -> float:
        """Expected answers per second of the run."""
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        """The run's figures for the JSON results."""
        return {
            "ok_per_second": round(self.ok_per_second, 1),
            "ok": self.ok,
            "bad": self.bad,
            "wrapped": self.wrapped,
            "errors": self.errors,
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
        }


def wrk_path() -> str:
    """The wrk executable. Raises WrkFailed when it is not installed."""
    found = shutil.which("wrk")
    if not found:
        raise WrkFailed("wrk is not installed: apt-get install -y wrk (bench/ensure-wrk.sh does it as root)")
    return found


def run_wrk(
    url: str, script: str, args: list[str], *, seconds: float, threads: int, connections: int
) -> WrkResult:
    """Run wrk against `url` with bench/lua/`script` and its `args`; return its results.

    Raises WrkFailed when wrk fails or prints no BENCH_JSON line.
    """
    command = [
        wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", str(LUA / script), url, "--", *args,
    ]
    env = {**os.environ, "BENCH_PUBLIC_HOST": PUBLIC_HOST}
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, env=env)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line[len("BENCH_JSON "):])
            return WrkResult(
                seconds=data["duration_us"] / 1e6,
                requests=data["requests"],
                ok=data["ok"],
                bad=data["bad"],
                wrapped=data["wrapped"],
                errors=data["socket_errors"] + data["timeouts"],
                p50_ms=data["p50_us"] / 1000,
                p90_ms=data["p90_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                mean_ms=data["mean_us"] / 1000,
            )
    raise WrkFailed(f"wrk gave no results (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
