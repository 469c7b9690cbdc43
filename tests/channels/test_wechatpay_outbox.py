"""The points-sync outbox against the fake WeChat Pay: signed requests, retries with
backoff after a failure, refusals kept for ops, several senders at once, a sender that
dies mid-way; each sync reaches WeChat Pay once and none is lost."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select
from wechatpay_setup import UNIQLO_MCHID

from channels.wechatpay import outbox
from channels.wechatpay.client import WechatPayClient
from channels.wechatpay.fake import FakeWechatPay
from channels.wechatpay.keys import FakeKeys, get_keyring
from channels.wechatpay.models import PointsSync
from core.db import session_scope, utcnow
from points import service as points_service


@pytest.fixture
def paid(wechatpay_env, demo_mall, fake):
    """``paid(n)``: n settled payments of a bound member, their syncs owed."""
    from channels.wechatpay import notification
    from channels.wechatpay import service as wechatpay

    with session_scope() as db_session:
        points_service.get_or_create_by_code(db_session=db_session, code="M300").openid = "oM300"

    def pay(n: int) -> list[str]:
        ids = [f"T-sync-{i}" for i in range(n)]
        with session_scope() as db_session:
            for transaction_id in ids:
                body = fake.payment(mchid=UNIQLO_MCHID, openid="oM300", amount_fen=1000,
                                    transaction_id=transaction_id)
                read = notification.read(fake.signed_headers(body), body, get_keyring(),
                                         now=utcnow(), tolerance_seconds=300, max_bytes=65536)
                wechatpay.receive(db_session, read)
        return ids

    return pay


def _syncs() -> dict[str, PointsSync]:
    with session_scope() as db_session:
        return {row.transaction_id: row for row in db_session.scalars(select(PointsSync))}


def test_a_due_sync_reaches_wechat_pay_signed_and_is_marked_sent(paid, fake, sync_client):
    [transaction_id] = paid(1)
    report = outbox.send_due(client=sync_client)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert [s["transaction_id"] for s in fake.received] == [transaction_id]
    assert fake.received[0]["increased_points"] == 10
    row = _syncs()[transaction_id]
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert outbox.send_due(client=sync_client).tried == 0
    assert len(fake.received) == 1


def test_a_failed_sync_is_retried_after_a_backoff_and_sent_once(paid, fake, sync_client):
    [transaction_id] = paid(1)
    fake.fail_next(1, status=500)
    first = outbox.send_due(client=sync_client)
    assert (first.sent, first.retrying) == (0, 1)
    row = _syncs()[transaction_id]
    assert (row.status, row.attempts) == ("pending", 1)
    assert "HTTP 500" in row.last_error and row.next_attempt_at > utcnow()
    assert outbox.send_due(client=sync_client).tried == 0  # not due yet
    later = utcnow() + timedelta(seconds=16)
    assert outbox.send_due(client=sync_client, now=later).sent == 1
    assert [s["transaction_id"] for s in fake.received] == [transaction_id]
    assert _syncs()[transaction_id].status == "sent"


def test_backoff_doubles_and_a_refusal_waits_for_ops(paid, fake, sync_client):
    from channels.wechatpay.models import SyncStatus

    [transaction_id] = paid(1)
    fake.fail_next(2, status=503)
    now = utcnow()
    outbox.send_due(client=sync_client, now=now)
    first_wait = _syncs()[transaction_id].next_attempt_at - utcnow()
    outbox.send_due(client=sync_client, now=now + timedelta(seconds=16))
    second_wait = _syncs()[transaction_id].next_attempt_at - utcnow()
    assert timedelta(seconds=13) < first_wait <= timedelta(seconds=15)
    assert timedelta(seconds=27) < second_wait <= timedelta(seconds=30)
    fake.fail_next(1, status=400)
    assert outbox.send_due(client=sync_client, now=now + timedelta(minutes=5)).failed == 1
    row = _syncs()[transaction_id]
    assert (row.status, row.attempts) == (SyncStatus.FAILED, 3)
    assert outbox.send_due(client=sync_client, now=now + timedelta(days=1)).tried == 0
    with session_scope() as db_session:
        outbox.resend(db_session, sync_id=row.id)
    assert outbox.send_due(client=sync_client).sent == 1
    assert len(fake.received) == 1


def test_an_answer_not_signed_by_wechat_pay_is_not_taken_as_sent(paid, wechatpay_env):
    from fastapi.testclient import TestClient

    [transaction_id] = paid(1)
    impostor = FakeWechatPay(FakeKeys(FakeKeys.generate().platform_private,
                                      get_keyring().merchant_key, get_keyring().apiv3_key),
                             mchid=get_keyring().mchid)
    with TestClient(impostor.app, base_url="https://api.mch.weixin.qq.com") as http:
        client = WechatPayClient(get_keyring(), "https://api.mch.weixin.qq.com", http=http)
        assert outbox.send_due(client=client).retrying == 1
    assert len(impostor.received) == 1  # it got there, but the "204" proves nothing
    row = _syncs()[transaction_id]
    assert row.status == "pending" and "not signed by WeChat Pay" in row.last_error


def test_several_senders_at_once_send_each_sync_once(paid, fake, sync_client):
    ids = paid(12)
    start = threading.Barrier(3)

    def sender(_):
        start.wait()
        return outbox.send_due(client=sync_client, limit=50).sent

    with ThreadPoolExecutor(3) as pool:
        sent = sum(pool.map(sender, range(3)))
    received = [s["transaction_id"] for s in fake.received]
    assert sent == 12 and sorted(received) == sorted(ids)
    assert {row.status for row in _syncs().values()} == {"sent"}


def test_a_sender_that_dies_mid_way_leaves_the_sync_to_another(paid, fake, sync_client):
    from channels.wechatpay.settings import get_wechatpay_settings

    [transaction_id] = paid(1)
    claimed = outbox._claim_next(utcnow(), get_wechatpay_settings())  # then it died
    assert claimed is not None and claimed.attempts == 1
    assert outbox.send_due(client=sync_client).tried == 0  # held by the dead sender's lease
    after_lease = utcnow() + timedelta(seconds=get_wechatpay_settings().sync_lease_seconds + 1)
    assert outbox.send_due(client=sync_client, now=after_lease).sent == 1
    assert [s["transaction_id"] for s in fake.received] == [transaction_id]
    outbox._finish(claimed, status="pending", last_error="late")  # its late word is ignored
    assert _syncs()[transaction_id].status == "sent"
