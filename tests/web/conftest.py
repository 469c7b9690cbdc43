"""Browser tests: the app served by uvicorn on a free local port, driven by Playwright
with Debian's chromium (headless). Nothing is downloaded: ``make browser`` installs
chromium; without it (or without playwright) the browser tests skip, saying why.

Browser tests run on SQLite only: PostgreSQL adds nothing to what a page shows and
would double the time.
"""

import os
import re
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}
STARTUP_TIMEOUT_S = 20.0


def pytest_collection_modifyitems(items):
    """Skip the PostgreSQL run of live-server tests before its database is even made."""
    skip_pg = pytest.mark.skip(reason="browser tests run on SQLite only (PostgreSQL adds "
                                      "nothing to the pages and doubles the time)")
    for item in items:
        callspec = getattr(item, "callspec", None)
        if ("live_server" in getattr(item, "fixturenames", ())
                and callspec is not None and callspec.params.get("db_url") == "postgresql"):
            item.add_marker(skip_pg)


def _bound_socket() -> socket.socket:
    """A socket already bound to a free port, handed to uvicorn (no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _wait_until_healthy(base_url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped during start-up (see the log above)")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError as exc:  # refused while starting, or an HTTP error status
            last_error = exc
        time.sleep(0.05)
    raise RuntimeError(f"{base_url}/healthz did not answer within {STARTUP_TIMEOUT_S} s "
                       f"(last error: {last_error!r})")


@pytest.fixture
def live_server(db_url):
    """The whole app (``app:create_app``) served by uvicorn in a background thread on the
    test database; yields its base URL, e.g. ``http://127.0.0.1:40123``."""
    import uvicorn

    sock = _bound_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config("app:create_app", factory=True, host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, thread)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium under Playwright, shared by the whole session."""
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed: .venv/bin/pip install -e '.[test]'")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: run `make browser` as root "
                    "(installs Debian's chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page in its own context: zh-CN, desk PC screen size."""
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def screenshot_dir() -> Path:
    return Path(os.environ.get("RP_SCREENSHOT_DIR") or ROOT / "var" / "screenshots")


@pytest.fixture
def screenshot(page, request):
    """``screenshot(name)``: a full-page PNG of ``page`` saved as
    ``<dir>/<test name>-<name>.png`` (dir: $RP_SCREENSHOT_DIR or var/screenshots);
    returns its path."""

    def take(name: str) -> Path:
        stem = re.sub(r"[^\w.-]+", "_", f"{request.node.name}-{name}").strip("_")
        path = screenshot_dir() / f"{stem}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(live_server, page):
    """``log_in(username, role, display_name)``: create the staff account (password
    "correct-horse") and log in through the login page."""
    from accounts import service as accounts
    from core.db import session_scope

    def go(username: str, role: str, display_name: str) -> None:
        with session_scope() as db_session:
            accounts.create_staff(db_session, username=username, display_name=display_name,
                                  role=role, password="correct-horse")
        page.goto(f"{live_server}/desk/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "correct-horse")
        page.click("button[type=submit]")

    return go
