"""The shopper's phone page in the real browser, phone-sized (390×844, touch, zh-CN): sign
in through the fake WeChat, photograph a generated receipt of a demo store, watch the
approval with its points arrive without a reload, send the same photo again and see it
refused as a repeat, open the history. Real OCR reads the photo; the expected points come
from the generated receipt's truth and the store's rate (the tests' plain rules: amount ×
rate). Then the same against the scale-out configuration: PostgreSQL, Redis and a
separate `python app.py worker` process. Screenshots: var/screenshots/ (or
$RP_SCREENSHOT_DIR)."""

import os
import random
import subprocess
import sys
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from training_data.synth import generate_receipt, load_registry

ROOT = Path(__file__).resolve().parents[2]
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
# A generated 星巴克 (m002) receipt the reader approves after the page shrinks it.
STORE, SEED = "m002", 21
DECISION_MS = 120_000

pytestmark = [
    pytest.mark.ocr,
    pytest.mark.skipif(not FONT.exists(), reason="fonts-noto-cjk missing: `make test` installs it"),
]


@pytest.fixture
def receipt_photo(tmp_path) -> tuple[Path, int]:
    merchant = next(m for m in load_registry() if m["id"] == STORE)
    image, truth = generate_receipt(merchant, random.Random(SEED), strength=0.3)
    path = tmp_path / "receipt.jpg"
    image.save(path, "JPEG", quality=92)
    earned = Decimal(truth["total"]) * Decimal(str(merchant["points_rate"]))
    return path, int(earned.to_integral_value(rounding=ROUND_FLOOR))


@pytest.fixture
def page(browser):
    """A phone instead of the desk's desktop page (the ``screenshot`` fixture shoots it)."""
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def _walk_through(phone, screenshot, base_url: str, photo: Path, points: int) -> None:
    streams, polls = [], []
    phone.on("request", lambda r: streams.append(r.url) if "/events?ticket=" in r.url else None)
    phone.on("request", lambda r: polls.append(r.url)
             if r.method == "GET" and "/api/v1/receipts/" in r.url and "/events" not in r.url
             else None)
    phone.goto(f"{base_url}/m/")
    phone.locator("#dev-signin").wait_for()
    screenshot("1-sign-in")
    phone.click("#dev-signin-button")
    phone.locator("#app").wait_for()
    # Locator waits, not wait_for_function: the page's CSP forbids eval, which that uses.
    expect(phone.locator("#balance")).to_have_text("0")
    assert phone.locator("#member-code").inner_text().startswith("会员号 M")
    screenshot("2-signed-in")
    phone.evaluate("window.stillTheSamePage = true")

    phone.set_input_files("#photo-camera", str(photo))
    phone.locator("#result.waiting").wait_for(timeout=30_000)
    screenshot("3-reading")
    phone.locator("#result[data-status=approved]").wait_for(timeout=DECISION_MS)
    assert phone.locator("#result-points").inner_text() == f"+{points} 积分"
    assert f"= {points} 分" in phone.locator("#result-explanation").inner_text()
    expect(phone.locator("#balance")).to_have_text(str(points))
    screenshot("4-approved")
    assert streams and not polls  # it arrived over the event stream, not by asking

    phone.set_input_files("#photo-album", str(photo))
    phone.locator("#result[data-status=duplicate]").wait_for(timeout=DECISION_MS)
    assert "重复小票" in phone.locator("#result-status").inner_text()
    assert phone.locator("#result-reasons li").first.inner_text()
    screenshot("5-repeat")

    rows = phone.locator("#receipts li")
    assert [rows.nth(i).get_attribute("data-status") for i in range(rows.count())] == [
        "duplicate", "approved"]
    phone.click(".tab[data-tab=history]")
    phone.locator("#history li").first.wait_for()
    assert f"+{points}" in phone.locator("#history li").first.inner_text()
    screenshot("6-history")
    assert phone.evaluate("window.stillTheSamePage") is True  # never reloaded


def test_web_phone_page_signs_in_uploads_and_sees_the_result_arrive(
    fake_wechat, live_server, demo_mall, page, screenshot, receipt_photo
):
    photo, points = receipt_photo
    _walk_through(page, screenshot, live_server, photo, points)


@pytest.fixture
def scale_out(fake_wechat, postgresql_url, redis_url, tmp_path, monkeypatch):
    """The app and a separate worker process on PostgreSQL + Redis (Dramatiq)."""
    from database import empty_all_tables, reset_caches

    env = {"RP_DATABASE_URL": postgresql_url, "RP_DATA_DIR": str(tmp_path / "data"),
           "RP_JOB_BACKEND": "dramatiq", "RP_REDIS_URL": redis_url}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    from core.db import session_scope
    from merchants import service as merchant_service

    with session_scope() as db_session:
        merchant_service.import_file(db_session=db_session, path=merchant_service.DEMO_MALL)
    worker = subprocess.Popen([sys.executable, "app.py", "worker", "--threads", "1"], cwd=ROOT,
                              env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        reset_caches()
        empty_all_tables(postgresql_url)


def test_web_phone_page_live_status_with_a_separate_worker(
    scale_out, page, screenshot, receipt_photo
):
    from accounts.wechat.fake.server import serve_in_thread
    from app import create_app

    photo, points = receipt_photo
    running = serve_in_thread(create_app(), lifespan="on")
    try:
        _walk_through(page, screenshot, running.url, photo, points)
    finally:
        running.stop()
    assert scale_out.poll() is None, scale_out.stderr.read().decode()[-2000:]
