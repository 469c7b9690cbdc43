"""The POS layouts: what a supermarket, a restaurant, a fashion store, a café and a bank
card terminal print, each with the amounts that are not the total (找零, 优惠, counts, points).
"""

import random
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from training_data.synth import catalog
from training_data.synth.pieces import (
    Item,
    Ticket,
    date_time,
    digits,
    draw_items,
    footer,
    masked_card,
    member_points,
    money,
    payment_lines,
    person_name,
    pick_date_format,
    pick_payment,
    purchase_moment,
    receipt_number,
    store_header,
    store_title,
)
from training_data.synth.receipt import Receipt, ReceiptBuilder
from training_data.synth.traps import Traps, date_style, no_traps


def item_table(t: Ticket, items: list[Item], *, with_price: bool = True) -> None:
    """Items in columns on wide paper; name over ``qty x price  amount`` on narrow paper."""
    out = t.out
    wide = out.columns >= 40
    name_width = out.columns - (26 if with_price else 16)
    if wide:
        head = [("品名", name_width, "left"), ("数量", 6, "right")]
        head += [("单价", 10, "right")] if with_price else []
        out.row([*head, ("金额", 10, "right")])
    for item in items:
        if item.barcode:
            out.text(item.barcode)
        qty, price, amount = str(item.qty), f"{item.price:.2f}", f"{item.amount:.2f}"
        if wide:
            parts = [(item.name, name_width, "left"), (qty, 6, "right")]
            parts += [(price, 10, "right")] if with_price else []
            out.row([*parts, (amount, 10, "right")])
        else:
            out.text(item.name)
            out.row([(f"  {qty} x {price}", out.columns - 10, "left"), (amount, 10, "right")])
        if item.detail:
            out.text(f"  {item.detail}")


def subtotal(items: list[Item]) -> Decimal:
    return sum((item.amount for item in items), Decimal(0))


def piece_count(items: list[Item]) -> int:
    """What 件数 counts: goods sold by weight are one piece each."""
    return sum(int(i.qty) if i.qty == i.qty.to_integral_value() else 1 for i in items)


def record_total(t: Ticket, total: Decimal) -> Decimal:
    t.truth["total"] = f"{total:.2f}"
    return total


def supermarket(t: Ticket) -> None:
    out, rng = t.out, t.rng
    store_header(t)
    out.two_fields(("机号", f"{rng.randrange(1, 20):02d}"), ("收银员", digits(rng, 4)))
    receipt_number(t, ("流水号", "小票号", "单号"), rng.choice(["dated", "pos"]))
    date_time(t, rng.choice(["日期", "交易时间", "销售时间"]), t.moment)
    out.rule()
    items = draw_items(t, "超市", rng.randint(5, 16))
    for item in items:
        item.barcode = "69" + digits(rng, 11) if t.chance(0.4) else None  # EAN-13, China
    item_table(t, items)
    out.rule()
    gross = subtotal(items)
    discount = money(gross * Decimal(rng.choice(["0", "0", "0.02", "0.05"])))
    out.pair(rng.choice(["件数", "商品数量"]), str(piece_count(items)))
    out.pair("合计", t.amount(gross))
    if discount:
        out.pair(rng.choice(["优惠", "会员优惠", "促销优惠"]), f"-{discount:.2f}")
    total = record_total(t, gross - discount)
    out.pair(rng.choice(["实付", "应收", "应付金额"]), t.amount(total, currency=True), bold=True)
    weights = {"cash": 3, "wechat": 3, "alipay": 2, "unionpay": 1, "stored_value": 1}
    payment_lines(t, pick_payment(t, weights), total)
    if t.chance(0.6):
        out.rule()
        member_points(t, total)
    footer(t)


def restaurant(t: Ticket) -> None:
    out, rng = t.out, t.rng
    store_header(t)
    out.center(rng.choice(["结账单", "消费清单", "结账单(顾客联)"]), bold=True)
    guests = rng.randint(1, 8)
    out.two_fields(("桌号", f"{rng.choice('ABCV')}{rng.randint(1, 40):02d}"), ("人数", str(guests)))
    receipt_number(t, ("单号", "账单号", "流水号"), rng.choice(["dated", "letter"]))
    ordered = t.moment - timedelta(minutes=rng.randint(25, 110), seconds=rng.randrange(60))
    date_time(t, "下单时间", ordered, record=False, may_split=False)
    date_time(t, "结账时间", t.moment, may_split=False)
    out.field("收银员", person_name(rng))
    out.rule()
    items = draw_items(t, "正餐", rng.randint(4, 12))
    item_table(t, items)
    out.rule()
    food = subtotal(items)
    out.pair(rng.choice(["菜品合计", "消费金额"]), t.amount(food))
    extra = Decimal(0)
    if t.chance(0.5):
        extra = money(food * Decimal("0.1"))
        out.pair("服务费(10%)", t.amount(extra))
    elif t.chance(0.5):
        extra = Decimal(guests * rng.choice([2, 3, 5]))
        out.pair(f"茶位费({guests}位)", t.amount(extra))
    gross = food + extra
    out.pair(rng.choice(["合计", "应收"]), t.amount(gross))
    discount = money(gross * Decimal(rng.choice(["0", "0.05", "0.12"]))) + gross % 1
    if discount:
        out.pair(rng.choice(["会员折扣", "优惠券", "优惠"]), f"-{discount:.2f}")
    total = record_total(t, gross - discount)
    out.pair(rng.choice(["实付", "实收", "实收金额"]), t.amount(total, currency=True), bold=True)
    weights = {"wechat": 4, "alipay": 3, "bank_card": 1, "cash": 1, "unionpay": 1}
    payment_lines(t, pick_payment(t, weights), total)
    if t.chance(0.4):
        member_points(t, total)
    footer(t)


def retail(t: Ticket) -> None:
    out, rng = t.out, t.rng
    store_header(t)
    out.center(rng.choice(["销售小票", "购物凭证", "销售单"]), bold=True)
    receipt_number(t, ("小票号", "单号", "销售单号"), rng.choice(["pos", "letter"]))
    date_time(t, rng.choice(["日期", "销售时间"]), t.moment)
    out.two_fields(("导购", digits(rng, 4)), ("收银", person_name(rng)))
    out.rule()
    category = t.merchant.get("category") or catalog.DEFAULT_CATALOG
    items = draw_items(t, category, rng.randint(1, 4))
    for item in items:
        item.name = f"{digits(rng, 6)} {item.name}" if t.chance(0.5) else item.name
        item.detail = retail_detail(rng, category)
    item_table(t, items, with_price=False)
    out.rule()
    gross = subtotal(items)
    out.pair(rng.choice(["总件数", "数量合计"]), str(piece_count(items)))
    out.pair(rng.choice(["商品金额", "原价合计"]), t.amount(gross))
    rate = Decimal(rng.choice(["1", "0.95", "0.9", "0.88", "0.8", "0.7"]))
    discount = money(gross * (1 - rate))
    if discount:
        out.pair(f"折扣({(rate * 10).normalize()}折)", f"-{discount:.2f}")
    total = record_total(t, gross - discount)
    out.pair("应付", t.amount(total, currency=True), bold=True)
    out.pair(rng.choice(["支付金额", "实付金额"]), t.amount(total))
    weights = {
        "bank_card": 7,
        "wechat": 6,
        "alipay": 4,
        "unionpay": 1,
        "other": 1,
        "stored_value": 1,
    }
    payment_lines(t, pick_payment(t, weights), total)
    if t.chance(0.7):
        out.rule()
        member_points(t, total)
    footer(t)


def retail_detail(rng: random.Random, category: str) -> str | None:
    if category in ("服装", "运动"):
        return f"颜色:{rng.choice(catalog.COLORS)} 尺码:{rng.choice(catalog.SIZES)}"
    if category == "珠宝":
        return f"克重:{rng.randrange(80, 1500) / 100:.2f}g 证书号:{digits(rng, 10)}"
    return None


def cafe(t: Ticket) -> None:
    out, rng = t.out, t.rng
    store_header(t)
    out.center(f"取餐号 {rng.choice('ABM')}{rng.randint(1, 999)}", scale=2, bold=True)
    receipt_number(t, ("订单号", "单号", "流水号"), "dated")
    date_time(t, rng.choice(["下单时间", "时间", "日期"]), t.moment)
    out.rule()
    menu = "茶饮甜品" if t.merchant.get("category") == "茶饮甜品" else "咖啡"
    items = draw_items(t, menu, rng.randint(1, 4))
    for item in items:
        item.detail = rng.choice(catalog.DRINK_OPTIONS) if t.chance(0.6) else None
    item_table(t, items)
    out.rule()
    gross = subtotal(items)
    out.pair(rng.choice(["合计", "商品总额"]), t.amount(gross))
    discount = Decimal(rng.choice([0, 0, 3, 5, 10])).min(gross - 1)
    if discount:
        out.pair(rng.choice(["优惠券", "会员优惠"]), f"-{discount:.2f}")
    total = record_total(t, gross - discount)
    out.pair("实收", t.amount(total, currency=True), bold=True)
    payment_lines(t, pick_payment(t, {"wechat": 6, "alipay": 3, "stored_value": 2}), total)
    footer(t)


def card_slip(t: Ticket) -> None:
    """A UnionPay terminal's 签购单: the store name under 商户名称, the amount as RMB."""
    out, rng = t.out, t.rng
    out.center(rng.choice(["银联POS签购单", "中国银联 签购单", "银联商务 POS签购单"]), bold=True)
    out.center("持卡人存根 CARDHOLDER COPY")
    out.rule()
    out.text("商户名称(MERCHANT NAME):")
    out.text(f"  {store_title(t)}")
    ids = t.merchant.get("payment_merchant_ids") or [digits(rng, 15)]
    out.text("商户编号(MERCHANT NO.):")
    out.text(f"  {ids[0]}")
    out.field("终端编号(TERMINAL NO.)", digits(rng, 8))
    out.text("卡号(CARD NO.):")
    out.text(f"  {masked_card(rng)} /{rng.choice('SCI')}")
    out.field("发卡行(ISSUER)", rng.choice(catalog.BANKS))
    out.field("交易类型(TXN. TYPE)", "消费/SALE")
    out.field("批次号(BATCH NO.)", digits(rng, 6))
    out.field("凭证号(VOUCHER NO.)", digits(rng, 6))
    out.field("授权码(AUTH NO.)", digits(rng, 6))
    receipt_number(t, ("参考号(REFER NO.)",), "plain")
    date_time(t, "日期/时间(DATE/TIME)", t.moment, may_split=False)
    total = record_total(
        t, subtotal(draw_items(t, t.merchant.get("category") or "", rng.randint(1, 3)))
    )
    t.truth["payment_method"] = "bank_card"
    out.text("金额(AMOUNT):")
    out.text(f"RMB {total:.2f}", align="right", bold=True)
    out.text("备注(REFERENCE):")
    out.text("持卡人签名(SIGNATURE):")
    out.blank()
    out.blank()
    out.rule()
    out.text("本人确认以上交易,同意将其记入本卡账户")
    out.text("I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES")


def counter(t: Ticket) -> None:
    """A department-store counter ticket (专柜销售单), paid later at the central cashier.
    Its wording is one the generic rules do not know: the listed price sum comes under
    标价合计 and what is paid under 会员折后价, so only a store template reads it right.
    In UNTUNED_LAYOUTS: tests of store tuning ask for it by name."""
    out, rng = t.out, t.rng
    store_header(t)
    out.center("专柜销售单", bold=True)
    out.two_fields(("柜号", t.merchant.get("shop_no") or digits(rng, 3)),
                   ("营业员", person_name(rng)))
    receipt_number(t, ("凭证号",), "pos")
    date_time(t, "开单时间", t.moment)
    out.rule()
    items = draw_items(t, t.merchant.get("category") or "", rng.randint(1, 3))
    item_table(t, items)
    out.rule()
    gross = subtotal(items)
    out.pair("标价合计", t.amount(gross))
    rate = Decimal(rng.choice(["0.95", "0.9", "0.88", "0.85", "0.8"]))
    total = record_total(t, money(gross * rate))
    out.pair("会员折后价", t.amount(total), bold=True)
    out.pair("本单积分", str(int(total)))
    out.center("请持此单到收银台付款")
    footer(t)


LAYOUTS: dict[str, Callable[[Ticket], None]] = {
    "supermarket": supermarket,
    "restaurant": restaurant,
    "retail": retail,
    "cafe": cafe,
    "card_slip": card_slip,
}
# Asked for by name only, never drawn at random: wording the generic rules do not know, so
# that tests of store tuning have a store to tune.
UNTUNED_LAYOUTS: dict[str, Callable[[Ticket], None]] = {"counter": counter}
LAYOUTS_BY_CATEGORY: dict[str, dict[str, float]] = {
    "超市": {"supermarket": 1},
    "餐饮": {"restaurant": 0.55, "cafe": 0.35, "card_slip": 0.1},
    "茶饮甜品": {"cafe": 1},
}
OTHER_LAYOUTS = {"retail": 0.65, "supermarket": 0.15, "card_slip": 0.2}
NARROW_PAPER_SHARE = {
    "supermarket": 0.3,
    "restaurant": 0.3,
    "retail": 0.3,
    "cafe": 0.6,
    "card_slip": 0.5,
    "counter": 0.3,
}


def choose_layout(merchant: Mapping[str, Any], rng: random.Random) -> str:
    weights = LAYOUTS_BY_CATEGORY.get(merchant.get("category") or "", OTHER_LAYOUTS)
    return rng.choices(list(weights), list(weights.values()))[0]


def compose_receipt(
    merchant: Mapping[str, Any], rng: random.Random, layout: str | None = None,
    traps: Traps | None = None,
) -> Receipt:
    """The lines one store's POS prints for one random purchase, and the facts they state;
    ``traps`` (none by default) may make it print what trips readers (see ``traps``)."""
    layout = layout or choose_layout(merchant, rng)
    layouts = LAYOUTS | UNTUNED_LAYOUTS
    if layout not in layouts:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(layouts)}")
    columns = 32 if rng.random() < NARROW_PAPER_SHARE[layout] else 48
    t = Ticket(
        merchant=merchant,
        rng=rng,
        out=ReceiptBuilder(columns, colon=rng.choice([":", "：", ": "])),
        moment=purchase_moment(rng),
        currency=rng.choice(["", "", "¥", "￥", "RMB", "RMB "]),
        date_format=pick_date_format(rng),
        seconds=rng.random() < 0.6,
        traps=traps or no_traps(),
    )
    t.date_style = date_style(t.traps, layout)
    layouts[layout](t)
    truth = {"merchant": merchant["name"], "merchant_id": merchant["id"], **t.truth}
    return Receipt(tuple(t.out.lines), truth, layout, columns)
