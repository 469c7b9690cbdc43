"""Hypothesis: extraction and recognition never raise, whatever OCR sends."""

import datetime as dt
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from merchants.parsing import BUNDLED_DIR, TemplateSet, extract
from merchants.parsing.normalize import normalize_text
from merchants.recognize import MerchantIndex
from merchants.types import PAYMENT_METHODS, MerchantProfile
from ocr.types import Row

TEMPLATES = TemplateSet.from_dir(BUNDLED_DIR)
INDEX = MerchantIndex(
    [
        MerchantProfile(
            "a",
            "喜茶",
            english_name="HEYTEA",
            shop_no="B1-012",
            payment_merchant_ids=("1900000104",),
        ),
        MerchantProfile("b", "GARDENIA BAKERIES (KL) SDN BHD"),
        MerchantProfile("c", "KFC"),
    ]
)

# Receipt-like fragments make the engine take its deeper paths, not only "nothing found".
FRAGMENTS = st.sampled_from(
    [
        "实付",
        "合计",
        "优惠",
        "找零",
        "现金",
        "件数",
        "Total",
        "Cash",
        "Change",
        "Qty",
        "GST Summary",
        "日期",
        "时间",
        "单号",
        "No.",
        "微信支付",
        "VISA",
        "¥",
        "RM",
        "-",
        ":",
        "/",
        ".",
        " ",
        "年",
        "月",
        "日",
        "PM",
        "O",
        "l",
        "2026-11-20",
        "14:32",
        "128.00",
        "1,234.5",
        "0",
        "9",
        "喜茶",
        "L1-101",
    ]
)
TEXT = st.one_of(st.text(max_size=60), st.lists(FRAGMENTS, max_size=12).map("".join))
ROWS = st.lists(st.builds(Row, TEXT, st.floats(min_value=0.0, max_value=1.0)), max_size=25)
FIELD_TYPES = {
    "date": dt.date,
    "time": dt.time,
    "total": Decimal,
    "receipt_no": str,
    "payment_method": str,
}


@settings(max_examples=150, deadline=None)
@given(ROWS, st.sampled_from(["_generic", "m001", "m003"]), st.dates())
@example([Row("2026-11-20", 1.0)], "_generic", dt.date.max)
@example([Row("2026-11-20", 1.0)], "_generic", dt.date.min)
def test_extract_never_raises_and_returns_typed_values(
    rows: list[Row], template_id: str, today: dt.date
) -> None:
    extraction = extract(rows, TEMPLATES.for_merchant(template_id), today=today)
    for name, field in extraction.fields.items():
        assert isinstance(field.value, FIELD_TYPES[name])
        assert 0.0 <= field.confidence <= 1.0
    if "total" in extraction.fields:
        assert extraction.value("total") > 0
        assert extraction.value("total").as_tuple().exponent == -2
    if "payment_method" in extraction.fields:
        assert extraction.value("payment_method") in PAYMENT_METHODS


@settings(max_examples=100, deadline=None)
@given(ROWS)
def test_recognize_never_raises(rows: list[Row]) -> None:
    match = INDEX.recognize(rows)
    assert 0.0 <= match.confidence <= 1.0
    assert (match.merchant_id is None) == (match.name is None)


@given(st.text(max_size=80))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
