"""The ops page of the 智慧商圈 channel over HTTP: unmatched payments listed and matched
again, failed syncs resent, roles and CSRF."""

import re

import pytest
from sqlalchemy import select
from staff_pages import open_as
from wechatpay_setup import UNIQLO_MCHID

from accounts import service as accounts
from channels.wechatpay import outbox
from channels.wechatpay.models import PointsSync, WechatPayment
from core.db import session_scope
from merchants import service as merchant_service
from points import service as points_service


@pytest.fixture
def staff(db_url):
    with session_scope() as db_session:
        for username, role in (("li", "desk"), ("chen", "ops")):
            accounts.create_staff(db_session, username=username, display_name=username,
                                  role=role, password="correct-horse")
        points_service.get_or_create_by_code(db_session=db_session, code="M500").openid = "oM500"


def test_desk_accounts_are_turned_away(client, staff):
    client.post("/desk/login", data={"username": "li", "password": "correct-horse"})
    assert client.get("/ops/payments").status_code == 403


def test_an_unknown_store_is_listed_and_matched_again(client, staff, notify, fake):
    notify(fake.payment(mchid="1988888888", openid="oM500", amount_fen=6600,
                        shop_number="L7-707", transaction_id="T-ops-1"))
    token = open_as(client, "chen", "/ops/payments")
    page = client.get("/ops/payments").text
    row = re.search(r'<tr data-transaction="T-ops-1">.*?</tr>', page, re.S).group(0)
    assert "1988888888" in row and "L7-707" in row and "¥66.00" in row
    assert "商户号未登记" in row and "oM500" in row  # short openids are shown whole
    with session_scope() as db_session:
        payment_id = db_session.scalars(select(WechatPayment.id)).one()
    forged = client.post(f"/ops/payments/{payment_id}/rematch", data={"csrf_token": "x"})
    assert forged.status_code == 403
    still = client.post(f"/ops/payments/{payment_id}/rematch", data={"csrf_token": token})
    assert still.status_code == 200 and "仍未能对应商户或会员" in still.text
    with session_scope() as db_session:
        merchant_service.update(db_session=db_session, merchant_id="m015",
                                changes={"payment_merchant_ids": ["1900000115", "1988888888"]})
    done = client.post(f"/ops/payments/{payment_id}/rematch", data={"csrf_token": token})
    assert done.status_code == 200 and "已重新匹配并按积分规则处理" in done.text
    assert 'id="unmatched-count">0<' in done.text
    assert re.search(r'data-transaction="T-ops-1" data-status="approved"', done.text)
    again = client.post(f"/ops/payments/{payment_id}/rematch", data={"csrf_token": token})
    assert again.status_code == 409 and "无需重新匹配" in again.text
    with session_scope() as db_session:
        lines = accounts.audit_log(db_session, action="wechatpay_rematch")
    assert [(e.actor, e.after["status"]) for e in lines] == \
        [("staff:chen", "settled"), ("staff:chen", "unmatched")]


def test_a_refused_sync_is_shown_and_sent_again(client, staff, notify, fake, sync_client):
    notify(fake.payment(mchid=UNIQLO_MCHID, openid="oM500", amount_fen=1000,
                        transaction_id="T-ops-2"))
    fake.fail_next(1, status=400)
    assert outbox.send_due(client=sync_client).failed == 1
    token = open_as(client, "chen", "/ops/payments")
    page = client.get("/ops/payments").text
    assert re.search(r'data-sync="\d+" data-status="failed"', page) and "HTTP 400" in page
    with session_scope() as db_session:
        sync_id = db_session.scalars(select(PointsSync.id)).one()
    answer = client.post(f"/ops/payments/syncs/{sync_id}/resend", data={"csrf_token": token})
    assert answer.status_code == 200 and "已重新排队发送积分同步" in answer.text
    assert outbox.send_due(client=sync_client).sent == 1
    assert [s["transaction_id"] for s in fake.received] == ["T-ops-2"]
