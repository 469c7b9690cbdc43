"""``make run``'s demo, for real: the service serves on a port in demo mode, and
``python app.py channels wechat-pay simulate`` posts a payment to it as WeChat Pay would;
the credit shows in the shopper API, the in-process sender syncs it to the fake WeChat Pay
mounted in the service, and ``simulate-refund`` takes it back."""

import socket
import threading
import time

import httpx
import pytest
import uvicorn

from api.auth import issue_member_token
from core.db import session_scope
from merchants import service as merchant_service
from points import service as points_service


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def demo_service(db_url, monkeypatch):
    from database import reset_caches

    from app import create_app

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("RP_WECHATPAY_DEMO", "true")
    monkeypatch.setenv("RP_WECHATPAY_SERVICE_URL", url)
    monkeypatch.setenv("RP_WECHATPAY_SYNC_POLL_SECONDS", "0.5")
    reset_caches()
    with session_scope() as db_session:
        merchant_service.import_file(db_session=db_session, path=merchant_service.DEMO_MALL)
        member_id = points_service.get_or_create_by_code(db_session=db_session,
                                                         code="M000001").id
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the demo service did not start"
    yield url, member_id
    server.should_exit = True
    thread.join(timeout=20)


def test_a_simulated_payment_arrives_is_credited_synced_and_refunded(demo_service, capsys):
    from app import main

    url, member_id = demo_service
    code = main(["channels", "wechat-pay", "simulate", "--member", "M000001", "--store", "m001",
                 "--amount", "128.00", "--transaction-id", "4200000000202612060000000042"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "第 1 次通知 → HTTP 200" in out
    assert "积分成功" in out and "128 元 × 1 分/元 = 128 分" in out
    assert "积分同步已发送" in out
    token = issue_member_token(member_id)
    points = httpx.get(f"{url}/api/v1/members/me/points",
                       headers={"Authorization": f"Bearer {token}"}).json()
    assert points["balance"] == 128
    synced = httpx.get(f"{url}/_fake/wechatpay/syncs").json()
    assert [(s["transaction_id"], s["earn_points"], s["increased_points"]) for s in synced] == \
        [("4200000000202612060000000042", True, 128)]
    code = main(["channels", "wechat-pay", "simulate-refund", "--transaction-id",
                 "4200000000202612060000000042"])
    assert code == 0, capsys.readouterr().out
    points = httpx.get(f"{url}/api/v1/members/me/points",
                       headers={"Authorization": f"Bearer {token}"}).json()
    assert points["balance"] == 0
    assert points["history"][0]["kind"] == "reverse"


def test_simulate_says_so_when_the_service_is_not_there(db_url, capsys):
    from app import main

    with session_scope() as db_session:
        merchant_service.import_file(db_session=db_session, path=merchant_service.DEMO_MALL)
        points_service.get_or_create_by_code(db_session=db_session, code="M000001")
    code = main(["channels", "wechat-pay", "simulate", "--member", "M000001", "--store", "m001",
                 "--amount", "1.00", "--url", f"http://127.0.0.1:{_free_port()}",
                 "--speedup", "1000000"])  # 24h4m of resends in 0.09 s
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("无法连接") == 16 and "服务未确认收到" in out
