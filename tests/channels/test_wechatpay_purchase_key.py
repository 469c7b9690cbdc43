"""One purchase, one credit across channels, on both databases: a WeChat Pay payment and a
photo or desk entry of the same purchase (same member, store and amount, the till's clock a
minute off WeChat Pay's time_end) earn once whichever comes first, also when both arrive at
the same moment; two payments, or two members' purchases, are never taken for one."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fakes import TODAY, reading, submit_and_process
from sqlalchemy import func, select
from wechatpay_setup import OPENID, UNIQLO_MCHID

from api.auth import issue_member_token, issue_staff_token
from channels.wechatpay.models import PointsSync, WechatPayment
from core.db import session_scope
from core.errors import Conflict
from points import service as points_service
from points.models import LedgerEntry, Member
from receipts import review
from receipts.models import Receipt

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAID = datetime(2026, 11, 20, 14, 33, 40, tzinfo=SHANGHAI)  # WeChat Pay's time_end
PRINTED = time(14, 32)  # the till's clock, a minute and a half behind
FEN = 27900  # the photo reading's ¥279.00 (fakes.reading)
DESK = {"Authorization": f"Bearer {issue_staff_token('zhang', 'desk')}"}


def pay(notify, fake, *, transaction_id: str, fen: int = FEN, when: datetime = PAID,
        openid: str = OPENID) -> Receipt:
    body = fake.payment(mchid=UNIQLO_MCHID, openid=openid, amount_fen=fen, time_end=when,
                        shop_number="L1-101", transaction_id=transaction_id)
    assert notify(body).status_code == 200
    with session_scope() as db_session:
        return db_session.scalar(select(Receipt).where(Receipt.transaction_id == transaction_id,
                                                       Receipt.channel == "payment"))


def photo(member: int, seed: int) -> Receipt:
    receipt_id = submit_and_process(member, seed)
    with session_scope() as db_session:
        return db_session.get(Receipt, receipt_id)


def balance(member: int) -> int:
    with session_scope() as db_session:
        return db_session.get(Member, member).points_balance


def earned(member: int) -> int:
    with session_scope() as db_session:
        return db_session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.member_id == member, LedgerEntry.kind == "earn"))


def sync_of(transaction_id: str) -> dict:
    with session_scope() as db_session:
        return db_session.scalar(select(PointsSync.body).where(
            PointsSync.transaction_id == transaction_id))


def other_member(code: str, openid: str | None = None) -> int:
    with session_scope() as db_session:
        member = points_service.get_or_create_by_code(db_session=db_session, code=code)
        member.openid = openid
        return member.id


def test_payment_then_photo_the_photo_is_a_duplicate_and_the_shopper_is_told_why(
    client, notify, fake, shopper, reads
):
    paid = pay(notify, fake, transaction_id="4200000001202611200000000001")
    reads(reading(at=PRINTED))
    later = photo(shopper, 1)
    assert (paid.status, later.status, later.duplicate_of) == ("approved", "duplicate", paid.id)
    assert later.reasons == ["duplicate_paid"]
    shown = client.get(f"/api/v1/receipts/{later.id}",
                       headers={"Authorization": f"Bearer {issue_member_token(shopper)}"}).json()
    assert [r["message"] for r in shown["reasons"]] == ["已通过微信支付自动积分"]
    assert (balance(shopper), earned(shopper)) == (279, 1)


def test_photo_then_payment_the_payment_earns_nothing_and_the_sync_says_why(
    notify, fake, shopper, reads
):
    reads(reading(at=PRINTED))
    first = photo(shopper, 1)
    paid = pay(notify, fake, transaction_id="4200000001202611200000000002")
    assert (first.status, paid.status, paid.duplicate_of) == ("approved", "duplicate", first.id)
    assert paid.reasons == ["duplicate_receipt_credited"]
    body = sync_of(paid.transaction_id)
    assert (body["earn_points"], body["increased_points"], body["total_points"]) == (False, 0, 279)
    assert body["no_points_remarks"] == "该笔消费已通过小票积分"
    assert (balance(shopper), earned(shopper)) == (279, 1)


def test_a_photo_whose_transaction_id_was_read_meets_its_payment_by_it(
    notify, fake, shopper, reads
):
    """Printed an hour off WeChat Pay's time (a till's clock set wrong): the window cannot
    tell, the 微信支付单号 read from the receipt can."""
    paid = pay(notify, fake, transaction_id="4200000001202611200000000003")
    reads(reading(at=time(15, 40), transaction_id="4200000001202611200000000003"))
    later = photo(shopper, 1)
    assert (later.status, later.duplicate_of, later.reasons) == \
        ("duplicate", paid.id, ["duplicate_paid"])
    assert balance(shopper) == 279


def test_a_refund_of_a_payment_a_photo_earned_for_takes_back_the_photos_points(
    notify, fake, shopper, reads
):
    reads(reading(at=PRINTED))
    first = photo(shopper, 1)
    paid = pay(notify, fake, transaction_id="4200000001202611200000000010")
    assert (first.status, paid.status) == ("approved", "duplicate")
    body = fake.refund(mchid=UNIQLO_MCHID, openid=OPENID, transaction_id=paid.transaction_id,
                       pay_amount_fen=FEN, refund_amount_fen=FEN, refund_id="R-photo")
    assert notify(body).status_code == 200
    with session_scope() as db_session:
        assert db_session.get(Receipt, first.id).status == "reversed"
    assert balance(shopper) == 0


def test_payment_then_desk_entry_gets_a_clear_409(client, notify, fake, shopper):
    paid = pay(notify, fake, transaction_id="4200000001202611200000000004")
    entry = {"member_code": "M200", "merchant_id": "m001", "date": "2026-11-20",
             "time": "14:31:00", "total": "279.00", "receipt_no": "D-77"}
    refused = client.post("/api/v1/desk/manual-receipts", json=entry, headers=DESK)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "duplicate_receipt"
    assert error["message"].startswith("已通过微信支付自动积分") and paid.id in error["message"]
    by_id = {**entry, "time": "18:00:00",
             "transaction_id": "4200000001202611200000000004"}  # time off, 单号 typed in
    assert client.post("/api/v1/desk/manual-receipts", json=by_id,
                       headers=DESK).status_code == 409
    with session_scope() as db_session:
        assert db_session.scalar(select(func.count()).select_from(Receipt)) == 1
    assert balance(shopper) == 279


def test_a_photo_in_review_when_the_payment_arrives_is_refused_at_the_desk(
    notify, fake, shopper, reads
):
    reads(reading(at=PRINTED, conf=0.5))
    waiting = photo(shopper, 1)
    assert waiting.status == "needs_review"
    paid = pay(notify, fake, transaction_id="4200000001202611200000000005")
    assert paid.status == "approved"
    with pytest.raises(Conflict) as refused, session_scope() as db_session:
        review.approve_review(db_session=db_session, receipt_id=waiting.id, actor="staff:li")
    assert refused.value.code == "duplicate_receipt"
    assert refused.value.message.startswith("已通过微信支付自动积分")
    assert (balance(shopper), earned(shopper)) == (279, 1)


def test_two_payments_of_one_member_with_one_amount_in_the_window_are_both_credited(
    notify, fake, shopper, reads
):
    first = pay(notify, fake, transaction_id="4200000001202611200000000006")
    second = pay(notify, fake, transaction_id="4200000001202611200000000007",
                 when=PAID.replace(minute=36))
    assert (first.status, second.status) == ("approved", "approved")
    assert balance(shopper) == 558
    reads(reading(at=PRINTED))  # a photo of either is still one of them
    assert photo(shopper, 1).status == "duplicate"
    assert balance(shopper) == 558


@pytest.mark.parametrize("payment_first", [True, False], ids=["payment-first", "photo-first"])
def test_two_members_buying_the_same_at_one_store_and_minute_are_both_credited(
    notify, fake, shopper, reads, payment_first
):
    neighbour = other_member("M300")
    reads(reading(at=PRINTED))
    if payment_first:
        paid = pay(notify, fake, transaction_id="4200000001202611200000000008")
    shot = photo(neighbour, 1)
    if not payment_first:
        paid = pay(notify, fake, transaction_id="4200000001202611200000000008")
    assert (paid.status, shot.status, shot.reasons) == ("approved", "approved", [])
    assert (balance(shopper), balance(neighbour)) == (279, 279)


def test_a_payment_outside_the_window_is_another_purchase(notify, fake, shopper, reads):
    reads(reading(at=time(11, 5)))
    assert photo(shopper, 1).status == "approved"
    assert pay(notify, fake, transaction_id="4200000001202611200000000009").status == "approved"
    assert balance(shopper) == 558


TRIALS = 20


def test_photo_and_payment_arriving_at_the_same_moment_credit_once(
    client, notify, fake, shopper, reads
):
    """20 purchases, each photographed and paid at once: exactly one credit each time."""
    for trial in range(TRIALS):
        fen, transaction_id = _photo_and_payment_at_once(notify, fake, shopper, reads, trial)
        with session_scope() as db_session:
            statuses = sorted(db_session.scalars(select(Receipt.status).where(
                Receipt.total == Decimal(fen) / 100)))
            credited = db_session.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.kind == "earn", LedgerEntry.points == fen // 100))
            settled = db_session.scalar(select(WechatPayment.status).where(
                WechatPayment.transaction_id == transaction_id))
        assert (statuses, credited, settled) == (["approved", "duplicate"], 1, "settled"), trial
    assert earned(shopper) == TRIALS


def _photo_and_payment_at_once(notify, fake, shopper: int, reads, trial: int) -> tuple[int, str]:
    """A photo processed and its payment notified at once (threads with their own sessions
    released together); returns the purchase's amount in fen and its transaction id.

    Each trial is its own purchase: another amount and day (the photos' random pixels are
    alike to a perceptual hash, and a close one of the same day is a look-alike)."""
    from fakes import photo_bytes

    from receipts import flow

    fen, paid = FEN + trial * 100, PAID - timedelta(days=trial)
    reads(reading(total=f"{fen / 100:.2f}", day=paid.date(), at=PRINTED, receipt_no=f"A-{trial}"))
    with session_scope() as db_session:
        photo_id = flow.submit_photo(db_session=db_session, member_id=shopper,
                                     data=photo_bytes(1000 + trial), actor="test").id
    transaction_id = f"42000000012026112000000001{trial:02d}"
    body = fake.payment(mchid=UNIQLO_MCHID, openid=OPENID, amount_fen=fen, time_end=paid,
                        shop_number="L1-101", transaction_id=transaction_id)
    together = threading.Barrier(2)

    def process_photo() -> None:
        together.wait()
        flow.process(photo_id, today=TODAY)

    def deliver() -> None:
        together.wait()
        assert notify(body).status_code == 200

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(process_photo), pool.submit(deliver)]:
            done.result()
    return fen, transaction_id


FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


@pytest.mark.ocr
@pytest.mark.skipif(not Path(FONT).exists(), reason="fonts-noto-cjk missing: `make test` "
                    "installs it")
def test_generated_photos_of_a_paid_purchase_are_refused_by_transaction_id_and_by_window(
    notify, fake, shopper, tmp_path
):
    """The real reader on generated photos: one printing the 微信支付单号 an hour off the
    payment's time (only the id can tell), one without it a minute off (the window can)."""
    from training_data.synth import load_registry
    from training_data.synth.purchase import purchase_photo

    paid_at = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(hours=2)
    transaction_id = "4200000123" + f"{paid_at:%Y%m%d}" + "1234567890"
    paid = pay(notify, fake, transaction_id=transaction_id, fen=12800, when=paid_at)
    store = next(m for m in load_registry() if m["id"] == "m001")
    shots = {
        "by_id": purchase_photo(store, (paid_at + timedelta(hours=1)).replace(tzinfo=None),
                                Decimal("128.00"), transaction_id, seed=1),
        "by_window": purchase_photo(store, (paid_at - timedelta(minutes=1)).replace(tzinfo=None),
                                    Decimal("128.00"), seed=2),
    }
    for name, (image, truth) in shots.items():
        path = tmp_path / f"{name}.jpg"
        image.save(path, "JPEG", quality=92)
        receipt_id = _upload(shopper, path.read_bytes())
        with session_scope() as db_session:
            receipt = db_session.get(Receipt, receipt_id)
        assert (receipt.transaction_id, receipt.total) == \
            (truth.get("transaction_id"), Decimal("128.00")), name
        assert (receipt.status, receipt.duplicate_of, receipt.reasons) == \
            ("duplicate", paid.id, ["duplicate_paid"]), name
    assert balance(shopper) == 128


def _upload(member: int, data: bytes) -> str:
    from receipts import flow

    with session_scope() as db_session:
        receipt_id = flow.submit_photo(db_session=db_session, member_id=member, data=data,
                                       actor="test").id
    flow.process(receipt_id)
    return receipt_id
