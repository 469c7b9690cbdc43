"""WeChat Pay transaction ids (微信支付单号) read from receipts and card slips: only after a
transaction-id label and only in their shape; never taken for the receipt number, and the
store's own order number never taken for them."""

import datetime as dt

import pytest

from merchants.parsing import BUNDLED_DIR, TemplateSet, extract
from ocr.types import Row

TX = "4200001234202612061234567890"
TODAY = dt.date(2026, 12, 7)


@pytest.fixture(scope="module")
def generic():
    return TemplateSet.from_dir(BUNDLED_DIR).generic


def read(template, *texts: str) -> dict:
    found = extract([Row(t, 0.96) for t in texts], template, today=TODAY).fields
    return {name: found[name].value for name in ("receipt_no", "transaction_id") if name in found}


@pytest.mark.parametrize("line", [
    f"微信支付单号：{TX}", f"微信支付单号: {TX}", f"交易单号:{TX}", f"支付单号 {TX}",
    f"微信订单号：{TX}", "支付单号 4200 0012 3420 2612 0612 3456 7890",
])
def test_a_labelled_transaction_id_is_read_and_the_receipt_number_stays_apart(generic, line):
    assert read(generic, "小票号：20261206001", line, "实付 128.00") == {
        "receipt_no": "20261206001", "transaction_id": TX}


def test_the_label_on_its_own_line_names_the_id_below(generic):
    assert read(generic, "交易单号：", TX, "合计 128.00") == {"transaction_id": TX}


def test_the_receipt_number_never_takes_the_transaction_id(generic):
    """交易单号 names a POS's own number on some receipts and WeChat Pay's on others."""
    assert read(generic, f"交易单号：{TX}", "合计 128.00") == {"transaction_id": TX}
    assert read(generic, "交易单号：20261206001", "合计 128.00") == {"receipt_no": "20261206001"}


@pytest.mark.parametrize("lines", [
    (f"商户单号：{TX}",),  # the store's own order number, whatever its shape
    (f"参考号：{TX}",),
    (TX,),  # no label
    ("微信支付单号：4200001234202612061234567",),  # too short
    ("微信支付单号：2026120622001412345678901234",),  # Alipay's shape
])
def test_no_transaction_id_without_its_label_and_shape(generic, lines):
    assert "transaction_id" not in read(generic, *lines, "合计 128.00")


def test_a_merchant_template_may_add_its_own_label(generic):
    from merchants.parsing import load_template

    store = load_template({"id": "m999", "fields": {"transaction_id": {"labels": ["WX No"]}}})
    merged = store.merged_over(generic)
    assert read(merged, f"WX No {TX}", "合计 1.00") == {"transaction_id": TX}
    assert "transaction_id" not in read(generic, f"WX No {TX}", "合计 1.00")
