"""Sections most receipts share: store header, date and time, numbers, payment, points, footer.

Each piece prints onto a ``Ticket`` and records in ``ticket.truth`` what it stated.
"""

import random
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from training_data.synth import catalog
from training_data.synth.receipt import ReceiptBuilder
from training_data.synth.traps import (
    DateStyle,
    Traps,
    dated_serial,
    no_traps,
    printed_day,
    second_date,
)

CENT = Decimal("0.01")
FIRST_DAY = date(2025, 11, 21)  # purchases fall in the year up to the fixed last day, so a
LAST_DAY = date(2026, 11, 20)  # seed always gives the same receipts
OPENING_MINUTES = (10 * 60, 21 * 60 + 30)

DATE_FORMATS: tuple[Callable[[date], str], ...] = (
    lambda d: f"{d:%Y-%m-%d}",
    lambda d: f"{d:%Y/%m/%d}",
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d:%d-%m-%Y}",
    lambda d: f"{d:%Y.%m.%d}",
)
DATE_FORMAT_WEIGHTS = (5, 4, 2, 1, 1, 1)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Item:
    name: str
    qty: Decimal
    price: Decimal
    detail: str | None = None  # printed below: colour and size, sugar level, weight
    barcode: str | None = None  # printed above, as supermarkets do

    @property
    def amount(self) -> Decimal:
        return money(self.qty * self.price)


@dataclass
class Ticket:
    """One receipt being composed."""

    merchant: Mapping[str, Any]
    rng: random.Random
    out: ReceiptBuilder
    moment: datetime
    currency: str  # printed before the decisive amounts: "", "¥", "￥", "RMB"
    date_format: Callable[[date], str]  # one POS prints every date alike
    seconds: bool  # whether its times show seconds
    truth: dict[str, str] = field(default_factory=dict)
    traps: Traps = field(default_factory=no_traps)
    date_style: DateStyle = field(default_factory=DateStyle)

    def amount(self, value: Decimal, *, currency: bool = False) -> str:
        return f"{self.currency if currency else ''}{value:.2f}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


def purchase_moment(rng: random.Random) -> datetime:
    day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    minute = rng.randrange(*OPENING_MINUTES)
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, rng.randrange(60))


def person_name(rng: random.Random) -> str:
    return rng.choice(catalog.SURNAMES) + rng.choice(catalog.GIVEN_NAMES)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def masked_card(rng: random.Random) -> str:
    return f"{rng.choice(catalog.CARD_PREFIXES)} **** **** {digits(rng, 4)}"


def masked_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{digits(rng, 1)}****{digits(rng, 4)}"


def store_title(t: Ticket) -> str:
    """The name as the store prints it: plain, an alias, with the branch, or bilingual."""
    m = t.merchant
    options = [
        m["name"],
        f"{m['name']}({catalog.MALL_NAME}店)",
        f"{m['name']} {catalog.MALL_NAME}店",
    ]
    options += list(m.get("aliases") or ())
    if m.get("english_name"):
        options.append(f"{m['english_name']} {m['name']}")
    return t.rng.choice(options)


def store_header(t: Ticket) -> None:
    title = store_title(t)
    t.out.center(title, scale=2 if len(title) <= t.out.columns // 4 else 1, bold=t.chance(0.6))
    m = t.merchant
    if m.get("english_name") and m["english_name"] not in title and t.chance(0.4):
        t.out.center(m["english_name"].upper())
    if m.get("shop_no") and t.chance(0.6):
        t.out.center(f"{catalog.MALL_NAME} 铺位号{t.out.colon}{m['shop_no']}")
    if m.get("payment_merchant_ids") and t.chance(0.35):
        t.out.center(f"商户号{t.out.colon}{m['payment_merchant_ids'][0]}")
    if t.chance(0.3):
        t.out.center(f"地址{t.out.colon}{catalog.MALL_ADDRESS}{m.get('floor') or ''}层")
    if t.chance(0.3):
        t.out.center(f"电话{t.out.colon}020-{t.rng.randrange(3, 9)}{digits(t.rng, 7)}")


def pick_date_format(rng: random.Random) -> Callable[[date], str]:
    return rng.choices(DATE_FORMATS, DATE_FORMAT_WEIGHTS)[0]


def printed_date_time(t: Ticket, when: datetime, purchase: bool = True) -> tuple[str, str]:
    day = printed_day(t.date_style, when.date(), t.date_format, purchase)
    return day, f"{when:%H:%M:%S}" if t.seconds else f"{when:%H:%M}"


def date_time(
    t: Ticket, label: str, when: datetime, *, record: bool = True, may_split: bool = True
) -> None:
    """Print a date and time, on one line or two; the truth keeps the time as printed."""
    day, clock = printed_date_time(t, when, purchase=record)
    if may_split and t.chance(0.25):
        t.out.two_fields(("日期", day), ("时间", clock))
    else:
        t.out.field(label, f"{day} {clock}")
    if record:
        t.truth["date"] = f"{when:%Y-%m-%d}"
        t.truth["time"] = clock


def serial_number(t: Ticket, style: str) -> str:
    when, rng = t.moment, t.rng
    if style != "plain" and (dated := dated_serial(t.traps, when, lambda n: digits(rng, n))):
        return dated
    if style == "dated":
        return f"{when:%Y%m%d%H%M%S}{digits(rng, 3)}"
    if style == "pos":
        return (
            f"{rng.randrange(1, 20):02d}{rng.randrange(1, 9):02d}-{digits(rng, 6)}-{digits(rng, 2)}"
        )
    if style == "letter":
        return f"{rng.choice('ABCDX')}{rng.choice(['S', 'T', ''])}{when:%y%m%d}{digits(rng, 5)}"
    return digits(rng, 12)


def receipt_number(t: Ticket, labels: tuple[str, ...], style: str) -> None:
    number = serial_number(t, style)
    t.out.field(t.rng.choice(labels), number)
    t.truth["receipt_no"] = number


def draw_items(t: Ticket, catalog_key: str, count: int) -> list[Item]:
    goods = catalog.CATALOG.get(catalog_key, catalog.CATALOG[catalog.DEFAULT_CATALOG])
    items = []
    for name, low, high in t.rng.sample(goods, min(count, len(goods))):
        cents = t.rng.randrange(low * 10, high * 10 + 1) * 10
        if name in catalog.WEIGHED:
            qty = Decimal(t.rng.randrange(250, 2500)) / 1000
        else:
            qty = Decimal(t.rng.choice([1, 1, 1, 1, 2, 2, 3]))
        items.append(Item(name, qty, Decimal(cents) / 100))
    return items


def pick_payment(t: Ticket, weights: Mapping[str, float]) -> str:
    return t.rng.choices(list(weights), list(weights.values()))[0]


def payment_name(t: Ticket, method: str) -> str:
    return t.rng.choice(catalog.PAYMENT_NAMES[method])


def cash_tendered(t: Ticket, total: Decimal) -> Decimal:
    """What the shopper handed over: a round sum above the total."""
    unit = Decimal(t.rng.choice([10, 50, 100]))
    return (total // unit + 1) * unit


def payment_lines(t: Ticket, method: str, total: Decimal) -> None:
    """The tender lines; cash adds what was handed over and the change (both traps)."""
    t.truth["payment_method"] = method
    name = payment_name(t, method)
    if method == "cash":
        tendered = cash_tendered(t, total)
        t.out.pair(name, t.amount(tendered))
        t.out.pair("找零", t.amount(tendered - total))
        return
    t.out.pair(name, t.amount(total))
    if method == "bank_card":
        t.out.field("卡号", masked_card(t.rng))
    elif method == "stored_value":
        t.out.pair("卡内余额", t.amount(money(Decimal(t.rng.randrange(0, 200000)) / 100)))
    elif method in ("wechat", "alipay", "unionpay") and t.chance(0.5):
        payment_number(t, method, digits(t.rng, 24))


# How a POS names WeChat Pay's transaction id; one store's till always prints the same one.
TRANSACTION_ID_LABELS = ("微信支付单号", "交易单号", "微信单号", "支付单号", "微信订单号")


def payment_number(t: Ticket, method: str, drawn: str) -> None:
    """The payment's own number under the tender line, in its provider's shape (``drawn``:
    24 random digits): WeChat Pay's 28-digit transaction id (42000 + 5 digits + the day +
    10 digits), recorded as the truth; Alipay's trade number (the day + 2200 + 16 digits);
    a UnionPay order number."""
    if method == "wechat":
        number = f"42000{drawn[:5]}{t.moment:%Y%m%d}{drawn[5:15]}"
        label = TRANSACTION_ID_LABELS[zlib.crc32(t.merchant["id"].encode()) %
                                      len(TRANSACTION_ID_LABELS)]
        t.out.field(label, number)
        t.truth["transaction_id"] = number
    elif method == "alipay":
        t.out.field("支付宝交易号", f"{t.moment:%Y%m%d}2200{drawn[:16]}")
    else:
        t.out.field("支付单号", drawn)


def member_points(t: Ticket, total: Decimal) -> None:
    """Member card and points lines: numbers near the total that are not the total."""
    rate = Decimal(str(t.merchant.get("points_rate") or "1"))
    earned = int(total * rate)
    t.out.field("会员", masked_phone(t.rng))
    t.out.two_fields(
        ("本次积分", str(earned)), ("累计积分", str(earned + t.rng.randrange(0, 9000)))
    )


def footer(t: Ticket) -> None:
    if expiry := second_date(t.traps, t.moment, t.date_format):
        t.out.text(expiry)
    t.out.rule()
    if t.chance(0.6):
        t.out.center(t.rng.choice(catalog.NOTICES))
    t.out.center(t.rng.choice(catalog.GOODBYES))
    if t.chance(0.5):
        t.out.qr(t.truth.get("receipt_no", ""))
    elif t.chance(0.5) and "receipt_no" in t.truth:
        t.out.barcode(t.truth["receipt_no"])
