"""A photo of one given purchase: a plain store receipt of ``total`` at ``moment``, paid by
WeChat Pay, optionally printing its 微信支付单号. The demo photographs the purchase it just
paid through WeChat Pay's 智慧商圈 (``app.py channels wechat-pay simulate``) to watch the
photo be refused as already credited; tests read the transaction id back from it.
"""

import json
import random
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from PIL import Image

from training_data.synth import picture
from training_data.synth.layouts import item_table
from training_data.synth.pieces import (
    DATE_FORMATS,
    Item,
    Ticket,
    date_time,
    footer,
    receipt_number,
    store_header,
)
from training_data.synth.receipt import Receipt, ReceiptBuilder

LAYOUT = "purchase"
COLUMNS = 48
STRENGTH = 0.15  # a careful photo: the demo is about dedupe, not about hard photos


def purchase_receipt(
    merchant: Mapping[str, Any], moment: datetime, total: Decimal,
    transaction_id: str | None, rng: random.Random,
) -> Receipt:
    """What the store's till prints for this purchase, and the facts it states."""
    t = Ticket(merchant=merchant, rng=rng, out=ReceiptBuilder(COLUMNS, colon="："),
               moment=moment, currency="¥", date_format=DATE_FORMATS[0], seconds=True)
    out = t.out
    store_header(t)
    out.center("销售小票", bold=True)
    receipt_number(t, ("小票号",), "dated")
    date_time(t, "交易时间", moment, may_split=False)
    out.rule()
    item_table(t, [Item("商品", Decimal(1), total)])
    out.rule()
    t.truth["total"] = f"{total:.2f}"
    out.pair("合计", t.amount(total))
    out.pair("实付", t.amount(total, currency=True), bold=True)
    t.truth["payment_method"] = "wechat"
    out.pair("微信支付", t.amount(total))
    if transaction_id:
        out.field("微信支付单号", transaction_id)
        t.truth["transaction_id"] = transaction_id
    footer(t)
    truth = {"merchant": merchant["name"], "merchant_id": merchant["id"], **t.truth}
    return Receipt(tuple(out.lines), truth, LAYOUT, COLUMNS)


def purchase_photo(
    merchant: Mapping[str, Any], moment: datetime, total: Decimal,
    transaction_id: str | None = None, seed: int = 1,
) -> tuple[Image.Image, dict[str, str]]:
    """A phone photo of the purchase's receipt and its truth; ``seed`` draws the rest."""
    rng = random.Random(f"purchase-{seed}")
    receipt = purchase_receipt(merchant, moment, total, transaction_id, rng)
    return picture(receipt, rng, strength=STRENGTH)


def write_purchase(
    out_dir: Path, merchant: Mapping[str, Any], moment: datetime, total: Decimal,
    transaction_id: str | None = None, seed: int = 1,
) -> Path:
    """``purchase.jpg`` and its ``labels.jsonl`` line in ``out_dir``; returns the photo's path."""
    from training_data.synth import JPEG_QUALITY

    out_dir.mkdir(parents=True, exist_ok=True)
    photo, truth = purchase_photo(merchant, moment, total, transaction_id, seed)
    path = out_dir / "purchase.jpg"
    photo.save(path, "JPEG", quality=JPEG_QUALITY)
    label = {"file": path.name, **truth, "layout": LAYOUT, "source": "synthetic"}
    (out_dir / "labels.jsonl").write_text(json.dumps(label, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    return path
