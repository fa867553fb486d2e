"""Gunicorn servers for the benchmark, and the peak memory of their workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"


class ServerFailed(RuntimeError):
    """A server did not start, or stopped while it was being measured (its log says why)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class GunicornServer:
    """One gunicorn master serving `app` (a WSGI "module:variable") with the production config."""

    def __init__(self, name: str, app: str, env: dict[str, str], workers: int, log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        self._command = [
            sys.executable, "-m", "gunicorn",
            "-c", str(GUNICORN_CONFIG), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}", app,
        ]
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_seconds: float = 60.0) -> None:
        """Start the server and wait until it accepts connections. Raises ServerFailed."""
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            self._command, cwd=ROOT, env=self._env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerFailed(f"{self.name} exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                if len(self.worker_pids()) > 0:
                    time.sleep(1.0)  # let every worker finish importing the app
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise ServerFailed(f"{self.name} did not start within {timeout_seconds:.0f} s:\n{self.log_tail()}")

    def check_running(self) -> None:
        """Raise ServerFailed if the master has exited."""
        if self._process is None or self._process.poll() is not None:
            raise ServerFailed(f"{self.name} is not running:\n{self.log_tail()}")

    @property
    def pid(self) -> int | None:
        """The master's process id, while it runs."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def worker_pids(self) -> list[int]:
        """Process ids of the master's current workers (its children)."""
        master = self.pid
        if master is None:
            return []
        children: list[int] = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # The command name, in parentheses, may hold spaces: fields follow the last ")".
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                children.append(int(entry))
        return children

    def stop(self) -> None:
        """Stop gracefully (SIGTERM to the master), then kill its process group if it lingers."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)

    def worker_boots(self) -> int:
        """How many workers the master has started so far (more than --workers: some were replaced)."""
        try:
            return self.log_path.read_text(errors="replace").count("Booting worker with pid")
        except OSError:
            return 0

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _resident_bytes(pid: int, field: str = "VmHWM") -> int:
    """A memory field of /proc/PID/status in bytes (0 if the process is gone): VmHWM, the most
    resident memory the process has held so far, or VmRSS, what it holds now."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class MemoryMonitor:
    """Polls the servers' workers and keeps each server's largest worker peak (VmHWM), in bytes.

    VmHWM is the kernel's own high-water mark, so a spike between two polls still counts; the
    polling only has to see each worker before it exits (workers are not recycled here).
    """

    def __init__(self, servers: list[GunicornServer], interval_seconds: float = 0.5) -> None:
        self.peaks: dict[str, int] = {server.name: 0 for server in servers}
        # The largest resident memory seen at a poll: what a worker holds between brief peaks.
        self.polled: dict[str, int] = {server.name: 0 for server in servers}
        self._servers = servers
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-monitor", daemon=True)

    def _poll(self) -> None:
        for server in self._servers:
            for pid in server.worker_pids():
                self.peaks[server.name] = max(self.peaks[server.name], _resident_bytes(pid, "VmHWM"))
                self.polled[server.name] = max(self.polled[server.name], _resident_bytes(pid, "VmRSS"))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._poll()
            self._stop.wait(self._interval)

    def start(self) -> None:
        """Start polling in a background thread."""
        self._thread.start()

    def stop(self) -> dict[str, int]:
        """Poll once more, stop, and return the peaks by server name (bytes)."""
        self._poll()
        self._stop.set()
        self._thread.join(timeout=5)
        return dict(self.peaks)
