"""The scale-out configuration as real processes on 127.0.0.1: the API under uvicorn and
Dramatiq workers (`python app.py worker`), each in its own process group so that a test
can kill one with SIGKILL, children included. Used by bench/load.py and by the scale-out
acceptance tests."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scale_out_env(database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict:
    return {**os.environ, "RP_DATABASE_URL": database_url, "RP_REDIS_URL": redis_url,
            "RP_JOB_BACKEND": "dramatiq", "RP_DATA_DIR": str(data_dir), **extra}


def start_api(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    handle = log.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"],
        cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, process, log)
    return process, base


def wait_healthy(base: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"API exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"API not healthy in {timeout} s")


def start_worker(env: dict, log: Path, threads: int = 1) -> subprocess.Popen:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "app.py", "worker", "--threads", str(threads)], cwd=ROOT, env=env,
        stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the process and everything it started (dramatiq forks its worker)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (a clean shutdown), SIGKILL if it does not end in time."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        kill(process)
