"""Command line of the WeChat Pay channel:

    python app.py channels wechat-pay simulate --member CODE --store ID --amount 128.00
    python app.py channels wechat-pay simulate-refund --transaction-id ID [--amount 50.00]
    python app.py channels wechat-pay send-syncs [--loop] [--limit N]

``simulate`` plays WeChat Pay against the running service (started with
RP_WECHATPAY_DEMO=true, as ``make run`` does): it signs and encrypts a notification with
the demo's test keys, POSTs it to RP_WECHATPAY_SERVICE_URL, resends on WeChat Pay's
schedule until answered 2xx, then shows what the service made of it.
"""

import argparse
import logging
import time
from datetime import datetime
from decimal import Decimal

import httpx

NOTIFY_PATH = "/api/v1/channels/wechat-pay/notify"


def add_commands(sub: argparse._SubParsersAction) -> None:
    channels = sub.add_parser("channels", help="earning channels: WeChat Pay 智慧商圈")
    kinds = channels.add_subparsers(dest="channel", required=True)
    wechat = kinds.add_parser("wechat-pay", help="WeChat Pay 智慧商圈 (无感积分)")
    commands = wechat.add_subparsers(dest="wechat_command", required=True)

    simulate = commands.add_parser("simulate", help="send a payment notification, as WeChat "
                                   "Pay would, to the running service (demo keys)")
    simulate.add_argument("--member", required=True, help="member code, e.g. M000001")
    simulate.add_argument("--store", required=True, help="store id, e.g. m001")
    simulate.add_argument("--amount", required=True, type=Decimal, help="yuan, e.g. 128.00")
    simulate.add_argument("--transaction-id", help="default: a new one")
    _delivery_options(simulate)
    simulate.set_defaults(func=cmd_simulate)

    refund = commands.add_parser("simulate-refund", help="send a refund notification for a "
                                 "simulated payment")
    refund.add_argument("--transaction-id", required=True)
    refund.add_argument("--amount", type=Decimal, help="yuan refunded; default: all of it")
    _delivery_options(refund)
    refund.set_defaults(func=cmd_simulate_refund)

    send = commands.add_parser("send-syncs", help="send the points syncs that are due")
    send.add_argument("--loop", action="store_true", help="keep sending until interrupted")
    send.add_argument("--limit", type=int)
    send.set_defaults(func=cmd_send_syncs)


def _delivery_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="service address; default RP_WECHATPAY_SERVICE_URL")
    parser.add_argument("--speedup", type=float, default=1.0,
                        help="compress WeChat Pay's resend schedule (15s/15s/30s/3m/…) by this")


def cmd_simulate(args: argparse.Namespace) -> int:
    from channels.wechatpay.fake import new_transaction_id
    from core.clock import local_zone
    from core.db import session_scope
    from core.errors import AppError
    from merchants import service as merchant_service
    from points import service as points_service

    with session_scope() as db_session:
        member = points_service.find(db_session=db_session, code=args.member)
        store = merchant_service.get_or_raise(db_session=db_session, merchant_id=args.store)
        if not store.payment_merchant_ids:
            raise AppError("store_without_payment_id", f"商户 {store.id} 未登记支付商户号")
        if member.openid is None:
            member.openid = f"oTEST_{member.code}"
            print(f"会员 {member.code} 尚未绑定微信，已为演示绑定 openid {member.openid}")
        openid, mchid, shop_number = member.openid, store.payment_merchant_ids[0], store.shop_no
    transaction_id = args.transaction_id or new_transaction_id()
    fake = _fake()
    paid = datetime.now(local_zone()).replace(microsecond=0)  # the mall's clock, as printed
    body = fake.payment(mchid=mchid, openid=openid, shop_number=shop_number, time_end=paid,
                        amount_fen=int(args.amount * 100), transaction_id=transaction_id)
    print(f"微信支付单号 {transaction_id}：{store.name} ¥{args.amount:.2f}，商户号 {mchid}，"
          f"支付时间 {paid:%Y-%m-%d %H:%M:%S}")
    if not _deliver(fake, body, args):
        return 1
    _show_payment(transaction_id)
    return 0


def cmd_simulate_refund(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from channels.wechatpay.models import WechatPayment
    from core.db import session_scope
    from core.errors import NotFound

    with session_scope() as db_session:
        payment = db_session.scalar(select(WechatPayment).where(
            WechatPayment.transaction_id == args.transaction_id))
        if payment is None:
            raise NotFound("payment_not_found", f"没有微信支付单号 {args.transaction_id} 的支付")
        mchid, openid, paid = payment.mchid, payment.openid, payment.amount_fen
    refunded = int(args.amount * 100) if args.amount is not None else paid
    fake = _fake()
    body = fake.refund(mchid=mchid, openid=openid, transaction_id=args.transaction_id,
                       pay_amount_fen=paid, refund_amount_fen=refunded)
    print(f"退款 ¥{refunded / 100:.2f}（支付 ¥{paid / 100:.2f}），"
          f"微信支付单号 {args.transaction_id}")
    return 0 if _deliver(fake, body, args) else 1


def cmd_send_syncs(args: argparse.Namespace) -> int:
    from channels.wechatpay import outbox
    from channels.wechatpay.settings import get_wechatpay_settings

    while True:
        report = outbox.send_due(limit=args.limit)
        print(f"积分同步：发送成功 {report.sent}，稍后重试 {report.retrying}，"
              f"被拒绝 {report.failed}")
        if not args.loop:
            return 0
        time.sleep(get_wechatpay_settings().sync_poll_seconds)


def _fake():
    from channels.wechatpay.fake import FakeWechatPay
    from channels.wechatpay.keys import DEMO_APPID, DEMO_MCHID, demo_keys
    from channels.wechatpay.settings import get_wechatpay_settings

    settings = get_wechatpay_settings()
    return FakeWechatPay(demo_keys(), mchid=settings.mchid or DEMO_MCHID,
                         appid=settings.appid or DEMO_APPID)


def _deliver(fake, body: bytes, args: argparse.Namespace) -> bool:
    from channels.wechatpay.fake import deliver
    from channels.wechatpay.settings import get_wechatpay_settings

    url = (args.url or get_wechatpay_settings().service_url).rstrip("/") + NOTIFY_PATH
    logging.getLogger("httpx").setLevel(logging.WARNING)  # each try is printed below
    with httpx.Client(timeout=10) as http:
        def post(headers: dict, raw: bytes) -> int:
            try:
                answer = http.post(url, content=raw, headers=headers)
            except httpx.HTTPError as exc:
                print(f"  无法连接 {url}：{exc}")
                return 0
            if not answer.is_success:
                print(f"  服务应答 {answer.status_code}：{answer.text[:300]}")
            return answer.status_code

        statuses = deliver(fake, body, post, speedup=args.speedup,
                           on_try=lambda n, status: print(f"  第 {n} 次通知 → HTTP {status}"))
    if not 200 <= statuses[-1] < 300:
        print("服务未确认收到（演示需以 RP_WECHATPAY_DEMO=true 启动服务，make run 已设置）")
        return False
    return True


def _show_payment(transaction_id: str, wait_seconds: float = 10.0) -> None:
    """What the service decided, and whether its points sync reached (the fake) WeChat Pay."""
    from sqlalchemy import select

    from channels.wechatpay.models import PointsSync, SyncStatus, WechatPayment
    from core.db import session_scope
    from points import ledger
    from points.explain import explain
    from receipts.messages import STATUS_TEXT, reason_text
    from receipts.models import Receipt

    with session_scope() as db_session:
        payment = db_session.scalar(select(WechatPayment).where(
            WechatPayment.transaction_id == transaction_id))
        receipt = db_session.get(Receipt, payment.receipt_id) if payment.receipt_id else None
        if receipt is None:
            print(f"未积分：{payment.reason}（已列入运营页面 /ops/payments）")
            return
        entry = ledger.earning_of(db_session, receipt.id)
        reasons = "；".join(reason_text(code) for code in receipt.reasons or [])
        print(f"小票 {receipt.id}：{STATUS_TEXT[receipt.status]} {reasons}".rstrip())
        if entry is not None:
            print(f"  {explain(entry)}")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        with session_scope() as db_session:
            sync = db_session.scalar(select(PointsSync).where(
                PointsSync.transaction_id == transaction_id))
        if sync is not None and sync.status != SyncStatus.PENDING:
            break
        time.sleep(0.5)
    if sync is None:
        return
    state = {"sent": "已发送", "failed": "被拒绝", "pending": "待发送"}[sync.status]
    print(f"积分同步{state}：{sync.body}" + (f"（{sync.last_error}）" if sync.last_error else ""))
