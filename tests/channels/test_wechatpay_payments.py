"""Payment notifications over HTTP on both databases: credited under the photo rules as a
receipt of the payment channel, once however often and however concurrently delivered,
with one points sync; unknown stores and members wait for ops; hostile ones leave only
an audit line."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select
from wechatpay_setup import APPID, OPENID, UNIQLO_MCHID

from accounts.models import AuditEntry
from api.auth import issue_member_token
from channels.wechatpay.models import PointsSync, WechatPayment, WechatRefund
from core.db import session_scope
from dedupe.models import CreditClaim
from points.models import LedgerEntry, Member
from receipts.models import Receipt


def _count(model, *where) -> int:
    with session_scope() as db_session:
        return db_session.scalar(select(func.count()).select_from(model).where(*where))


def _nothing_stored() -> None:
    for model in (WechatPayment, WechatRefund, PointsSync, Receipt, LedgerEntry):
        assert _count(model) == 0, model.__name__


def test_a_payment_is_credited_like_a_photo_and_owes_one_sync(client, notify, fake, shopper):
    transaction_id = "4200000001202612060000000001"
    paid = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    answer = notify(fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=12850,
                                 shop_number="L1-101", transaction_id=transaction_id,
                                 time_end=paid))
    assert answer.status_code == 200 and answer.json() == {"code": "SUCCESS", "message": "成功"}
    local = paid.astimezone(ZoneInfo("Asia/Shanghai"))
    with session_scope() as db_session:
        receipt = db_session.scalar(select(Receipt).where(Receipt.transaction_id == transaction_id))
        claims = db_session.scalars(select(CreditClaim.key)
                                    .where(CreditClaim.receipt_id == receipt.id)).all()
        sync = db_session.scalars(select(PointsSync)).one()
    assert (receipt.channel, receipt.status, receipt.member_id, receipt.merchant_id) == \
        ("payment", "approved", shopper, "m001")
    assert (receipt.total, receipt.points, receipt.payment_method) == \
        (Decimal("128.50"), 128, "wechat")
    assert (receipt.purchase_date, receipt.purchase_time) == (local.date(), local.time())
    window = f"win:{shopper}:m001:128.50"
    buckets = sorted(int(key.rsplit(":", 1)[1]) for key in claims if key.startswith(f"{window}:w10:"))
    assert sorted(set(claims) - {f"{window}:w10:{b}" for b in buckets}) == \
        [f"tx:{transaction_id}", f"{window}:d{local:%Y%m%d}"]
    assert len(buckets) == 3 and buckets[2] - buckets[0] == 2  # its time's and both neighbours
    assert sync.key == f"payment:{transaction_id}" and sync.status == "pending"
    body = sync.body
    assert {k: body[k] for k in ("transaction_id", "appid", "openid", "earn_points",
                                 "increased_points", "total_points")} == {
        "transaction_id": transaction_id, "appid": APPID, "openid": OPENID,
        "earn_points": True, "increased_points": 128, "total_points": 128}
    assert "no_points_remarks" not in body
    assert datetime.fromisoformat(body["points_update_time"]).utcoffset() == timedelta(hours=8)
    token = issue_member_token(shopper)
    points = client.get("/api/v1/members/me/points",
                        headers={"Authorization": f"Bearer {token}"}).json()
    assert points["balance"] == 128
    explanation = points["history"][0]["explanation"]
    assert explanation.startswith("优衣库 ¥128.50：128 元 × 1 分/元 = 128 分")


def test_the_store_rate_applies_and_a_chain_is_told_apart_by_shop_number(
    client, notify, fake, shopper
):
    from merchants import service as merchant_service

    with session_scope() as db_session:  # 周大福 (rate 0.5) and 优衣库 share one account
        merchant_service.update(db_session=db_session, merchant_id="m006",
                                changes={"payment_merchant_ids": [UNIQLO_MCHID]})
    for shop_number, transaction_id in (("L1-118", "T-jewel"), ("l1-101", "T-clothes"),
                                        (None, "T-unclear")):
        assert notify(fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=100000,
                                   shop_number=shop_number,
                                   transaction_id=transaction_id)).status_code == 200
    with session_scope() as db_session:
        found = {row.transaction_id: (row.merchant_id, row.status, row.reason)
                 for row in db_session.scalars(select(WechatPayment))}
        points = dict(db_session.execute(select(Receipt.transaction_id, Receipt.points)).all())
    assert found == {"T-jewel": ("m006", "settled", None), "T-clothes": ("m001", "settled", None),
                     "T-unclear": (None, "unmatched", "store_unknown")}
    assert points == {"T-jewel": 500, "T-clothes": 1000}


@pytest.mark.parametrize("trial", range(3))
def test_five_deliveries_two_at_once_credit_once_with_one_sync(notify, fake, shopper, trial):
    body = fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=12800,
                        transaction_id=f"42000000012026120600000000{trial}")
    together = threading.Barrier(2)

    def deliver() -> int:
        together.wait()
        return notify(body).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda _: deliver(), range(2)))
    statuses += [notify(body).status_code for _ in range(3)]
    assert statuses == [200] * 5
    assert _count(WechatPayment) == 1
    assert _count(Receipt) == 1
    assert _count(LedgerEntry, LedgerEntry.kind == "earn") == 1
    assert _count(PointsSync) == 1
    with session_scope() as db_session:
        assert db_session.get(Member, shopper).points_balance == 128


def test_an_unknown_store_waits_for_ops_with_nothing_credited(client, notify, fake, shopper):
    from channels.wechatpay import service as wechatpay
    from merchants import service as merchant_service

    body = fake.payment(mchid="1999999999", openid=OPENID, amount_fen=8800,
                        transaction_id="T-new-store")
    assert notify(body).status_code == 200
    assert notify(body).status_code == 200
    with session_scope() as db_session:
        row = db_session.scalars(select(WechatPayment)).one()
    assert (row.status, row.reason, row.member_id, row.receipt_id) == \
        ("unmatched", "store_unknown", shopper, None)
    assert _count(Receipt) == _count(LedgerEntry) == _count(PointsSync) == 0
    with session_scope() as db_session:  # ops register the store's merchant number
        merchant_service.update(db_session=db_session, merchant_id="m002",
                                changes={"payment_merchant_ids": ["1900000102", "1999999999"]})
        wechatpay.rematch(db_session, payment_id=row.id, actor="staff:ops")
    with session_scope() as db_session:
        row = db_session.get(WechatPayment, row.id)
        receipt = db_session.get(Receipt, row.receipt_id)
    assert (row.status, receipt.merchant_id, receipt.points) == ("settled", "m002", 88)
    assert _count(PointsSync) == 1


def test_an_openid_of_another_app_is_no_member(notify, fake, shopper):
    body = fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=8800, appid="wxOTHERAPP",
                        transaction_id="T-other-app")
    assert notify(body).status_code == 200
    with session_scope() as db_session:
        row = db_session.scalars(select(WechatPayment)).one()
    assert (row.status, row.reason, row.member_id) == ("unmatched", "member_unknown", None)
    assert _count(Receipt) == _count(LedgerEntry) == 0


def test_a_first_payment_binds_a_new_member_unless_switched_off(notify, fake, monkeypatch):
    from database import reset_caches

    assert notify(fake.payment(mchid=UNIQLO_MCHID, openid="oNEW1", amount_fen=1000,
                               transaction_id="T-new-1")).status_code == 200
    with session_scope() as db_session:
        member = db_session.scalar(select(Member).where(Member.openid == "oNEW1"))
        assert member.code.startswith("WX") and member.points_balance == 10
    monkeypatch.setenv("RP_WECHATPAY_CREATE_MEMBERS", "false")
    reset_caches()
    assert notify(fake.payment(mchid=UNIQLO_MCHID, openid="oNEW2", amount_fen=1000,
                               transaction_id="T-new-2")).status_code == 200
    with session_scope() as db_session:
        row = db_session.scalar(select(WechatPayment)
                                .where(WechatPayment.transaction_id == "T-new-2"))
        assert (row.status, row.reason) == ("unmatched", "member_unknown")
        assert db_session.scalar(select(Member).where(Member.openid == "oNEW2")) is None


def test_a_rule_that_refuses_wechat_pay_rejects_and_the_sync_says_why(
    notify, fake, shopper, plain_rules, tmp_path, monkeypatch
):
    from database import reset_caches

    rules = yaml.safe_load(plain_rules.read_text(encoding="utf-8"))
    rules["excluded_payment_methods"] = ["stored_value", "wechat"]
    path = tmp_path / "no-wechat.yaml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("RP_POINTS_RULES_FILE", str(path))
    reset_caches()
    assert notify(fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=12800,
                               transaction_id="T-excluded")).status_code == 200
    with session_scope() as db_session:
        receipt = db_session.scalars(select(Receipt)).one()
        sync = db_session.scalars(select(PointsSync)).one()
    assert (receipt.status, receipt.reasons, receipt.points) == \
        ("rejected", ["payment_excluded"], 0)
    assert (sync.body["earn_points"], sync.body["increased_points"]) == (False, 0)
    assert sync.body["no_points_remarks"] == "该支付方式不参与积分"
    assert _count(LedgerEntry) == 0


def _refund(fake, notify, transaction_id: str, fen: int, refund_id: str, paid: int = 12800):
    body = fake.refund(mchid=UNIQLO_MCHID, openid=OPENID, transaction_id=transaction_id,
                       pay_amount_fen=paid, refund_amount_fen=fen, refund_id=refund_id)
    return notify(body)


def test_a_refund_reverses_the_points_once(notify, fake, shopper):
    notify(fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=12800,
                        transaction_id="T-refund"))
    body = fake.refund(mchid=UNIQLO_MCHID, openid=OPENID, transaction_id="T-refund",
                       pay_amount_fen=12800, refund_amount_fen=12800, refund_id="R-1")
    together = threading.Barrier(2)

    def deliver() -> int:
        together.wait()
        return notify(body).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda _: deliver(), range(2)))
    statuses.append(notify(body).status_code)
    assert statuses == [200] * 3
    with session_scope() as db_session:
        receipt = db_session.scalars(select(Receipt)).one()
        refund = db_session.scalars(select(WechatRefund)).one()
        balance = db_session.get(Member, shopper).points_balance
    assert (receipt.status, receipt.points, refund.outcome, balance) == \
        ("reversed", 0, "reversed", 0)
    assert _count(LedgerEntry, LedgerEntry.kind == "reverse") == 1
    assert _count(PointsSync) == 1  # the payment's; a refund owes WeChat Pay no sync


def test_partial_refunds_reverse_once_they_cover_the_payment(notify, fake, shopper):
    notify(fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=12800,
                        transaction_id="T-partial"))
    assert _refund(fake, notify, "T-partial", 5000, "R-a").status_code == 200
    with session_scope() as db_session:
        assert db_session.get(Member, shopper).points_balance == 128
        assert db_session.scalars(select(WechatRefund.outcome)).one() == "partial"
    assert _refund(fake, notify, "T-partial", 7800, "R-b").status_code == 200
    with session_scope() as db_session:
        outcomes = dict(db_session.execute(select(WechatRefund.refund_id,
                                                  WechatRefund.outcome)).all())
        assert db_session.get(Member, shopper).points_balance == 0
    assert outcomes == {"R-a": "partial", "R-b": "reversed"}


def test_refunds_of_payments_that_earned_nothing_or_are_unknown_are_recorded(
    notify, fake, shopper
):
    notify(fake.payment(mchid="1999999999", openid=OPENID, amount_fen=800,
                        transaction_id="T-unmatched"))
    assert _refund(fake, notify, "T-unmatched", 800, "R-x", paid=800).status_code == 200
    assert _refund(fake, notify, "T-nowhere", 800, "R-y", paid=800).status_code == 200
    with session_scope() as db_session:
        outcomes = dict(db_session.execute(select(WechatRefund.refund_id,
                                                  WechatRefund.outcome)).all())
    assert outcomes == {"R-x": "not_credited", "R-y": "payment_unknown"}
    assert _count(LedgerEntry) == 0


def test_hostile_notifications_get_4xx_and_leave_only_an_audit_line(
    client, notify, fake, shopper, fake_keys
):
    from channels.wechatpay.fake import FakeWechatPay
    from channels.wechatpay.keys import FakeKeys

    body = fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=12800,
                        transaction_id="T-hostile")
    signed = fake.signed_headers(body)
    altered = body.replace(b'"summary": "', b'"summary": "!')
    assert altered != body
    stale = fake.signed_headers(body, timestamp=int(datetime.now(UTC).timestamp()) - 301)
    impostor = FakeWechatPay(FakeKeys.generate())
    wrong_key = FakeWechatPay(FakeKeys(fake_keys.platform_private, fake_keys.merchant_private,
                                       b"k" * 32))
    undecryptable = wrong_key.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=1)
    url = "/api/v1/channels/wechat-pay/notify"
    cases = {
        "signature_invalid": (body, impostor.signed_headers(body)),
        "serial_unknown": (body, fake.signed_headers(body, serial="PUB_KEY_ID_UNKNOWN")),
        "timestamp_out_of_range": (body, stale),
        "signature_invalid ": (altered, signed),
        "body_invalid": (b"not json at all", fake.signed_headers(b"not json at all")),
        "body_too_large": (b"{" + b" " * 70_000 + b"}", {}),
        "resource_undecryptable": (undecryptable, fake.signed_headers(undecryptable)),
        "signature_headers_missing": (body, {"Content-Type": "application/json"}),
    }
    for code, (raw, headers) in cases.items():
        answer = client.post(url, content=raw, headers=headers)
        assert 400 <= answer.status_code < 500, code
        assert answer.json()["error"]["code"] == code.strip(), code
        assert answer.json()["error"]["message"]
    _nothing_stored()
    with session_scope() as db_session:
        audited = db_session.scalars(select(AuditEntry).where(
            AuditEntry.action == "wechatpay_rejected")).all()
    assert sorted(entry.after["code"] for entry in audited) == \
        sorted(code.strip() for code in cases)
    assert notify(body).status_code == 200  # the genuine one still goes through


def test_the_endpoint_is_closed_until_configured(client, notify, fake, monkeypatch):
    from database import reset_caches

    monkeypatch.setenv("RP_WECHATPAY_ENABLED", "false")
    reset_caches()
    answer = notify(fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=100))
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "wechatpay_disabled"
    _nothing_stored()


def test_two_receipts_of_one_transaction_at_once_credit_once(demo_mall, shopper):
    """The tx: claim key is the database's: whichever evidence of a payment (a photo that
    reads its 微信支付单号, in phase 2) comes second or at the same moment is a duplicate."""
    from receipts import payment as payment_receipts

    together = threading.Barrier(2)

    def enter(_) -> tuple[str, str, str | None]:
        together.wait()
        with session_scope() as db_session:
            receipt = payment_receipts.enter_payment(
                db_session=db_session, member_id=shopper, merchant_id="m001",
                paid_at=datetime.now(UTC), total=Decimal("99.00"), transaction_id="T-twice",
                actor="test")
            return receipt.id, receipt.status, receipt.duplicate_of

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(enter, range(2)), key=lambda o: o[1])
    (first, approved, _), (_, duplicate, original) = outcomes
    assert (approved, duplicate, original) == ("approved", "duplicate", first)
    assert _count(LedgerEntry) == 1


@pytest.mark.parametrize("trial", range(3))
def test_two_payments_of_one_member_at_once_are_both_credited(notify, fake, shopper, trial):
    bodies = [fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=fen,
                           transaction_id=f"T-both-{trial}-{fen}") for fen in (1000, 2000)]
    together = threading.Barrier(2)

    def deliver(body: bytes) -> int:
        together.wait()
        return notify(body).status_code

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(deliver, bodies)) == [200, 200]
    with session_scope() as db_session:
        assert db_session.get(Member, shopper).points_balance == 30
    assert _count(PointsSync) == 2
