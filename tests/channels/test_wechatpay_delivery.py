"""WeChat Pay's side of delivery: resends on its schedule until answered 2xx, and the
service answers 2xx only for what it committed."""

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from wechatpay_setup import UNIQLO_MCHID

from channels.wechatpay import crypto
from channels.wechatpay.fake import RESEND_SCHEDULE, deliver
from core.db import session_scope
from points import service as points_service
from points.models import LedgerEntry
from receipts.models import Receipt


def test_resends_follow_wechat_pays_schedule_until_answered(fake, fake_keys):
    body = fake.payment(mchid=UNIQLO_MCHID, openid="o1", amount_fen=100)
    answers, waits, seen = iter([500, 0, 503, 204]), [], []

    def post(headers: dict, raw: bytes) -> int:
        message = crypto.signed_message(headers["Wechatpay-Timestamp"],
                                        headers["Wechatpay-Nonce"], raw)
        assert crypto.verify(fake_keys.platform_private.public_key(), message,
                             headers["Wechatpay-Signature"])
        seen.append(headers["Wechatpay-Nonce"])
        return next(answers)

    assert deliver(fake, body, post, sleep=waits.append) == [500, 0, 503, 204]
    assert waits == [0, 15, 15, 30]
    assert len(set(seen)) == 4  # each try signed anew


def test_a_mall_that_never_answers_is_tried_for_24_hours_4_minutes(fake):
    waits = []
    statuses = deliver(fake, b"{}", lambda headers, raw: 500, sleep=waits.append, speedup=60)
    assert len(statuses) == 16
    assert sum(waits) * 60 == sum(RESEND_SCHEDULE) == 24 * 3600 + 4 * 60


def test_a_failure_before_the_commit_is_no_2xx_and_the_resend_credits_once(
    wechatpay_env, demo_mall, fake, monkeypatch
):
    from app import create_app
    from channels.wechatpay import outbox

    with session_scope() as db_session:
        points_service.get_or_create_by_code(db_session=db_session, code="M400").openid = "oM400"
    real_enqueue, broken = outbox.enqueue_payment_outcome, {"left": 2}

    def flaky(*args, **kwargs):
        if broken["left"]:
            broken["left"] -= 1
            raise ConnectionError("database went away")
        return real_enqueue(*args, **kwargs)

    monkeypatch.setattr(outbox, "enqueue_payment_outcome", flaky)
    body = fake.payment(mchid=UNIQLO_MCHID, openid="oM400", amount_fen=5000,
                        transaction_id="T-flaky")
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        def post(headers: dict, raw: bytes) -> int:
            return client.post("/api/v1/channels/wechat-pay/notify", content=raw,
                               headers=headers).status_code

        statuses = deliver(fake, body, post, sleep=lambda seconds: None)
    assert statuses == [500, 500, 200]
    with session_scope() as db_session:
        receipts = db_session.scalar(select(func.count()).select_from(Receipt))
        earned = db_session.scalars(select(LedgerEntry.points)).all()
    assert (receipts, earned) == (1, [50])


def test_the_fake_refuses_syncs_not_signed_by_the_merchant(fake):
    with TestClient(fake.app) as client:
        answer = client.post("/v3/businesscircle/points/notify",
                             content=json.dumps({"transaction_id": "1"}),
                             headers={"Authorization": "WECHATPAY2-SHA256-RSA2048 mchid=\"1\""})
    assert answer.status_code == 401 and answer.json()["code"] == "SIGN_ERROR"
    assert fake.received == []
