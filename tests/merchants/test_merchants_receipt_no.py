"""Receipt numbers whose letter prefix OCR read as digits, repaired from the purchase day
the serial holds; numbers that do not hold it are left as read."""

import datetime as dt

import pytest

from merchants.parsing import BUNDLED_DIR, TemplateSet, extract
from ocr.types import Row

DAY = "日期:2026-10-18 14:22"


@pytest.mark.parametrize(("printed", "read"), [
    ("A5261018398920", "AS261018398920"),
    ("P0261018028230", "PO261018028230"),  # SO / PO: a 0 after a letter is an O
    ("8T26101840372", "BT26101840372"),
    ("XS261018024155", "XS261018024155"),  # read right: unchanged
    ("50261018028230", "50261018028230"),  # no letter left: could be digits
    ("A5260623398920", "A5260623398920"),  # another day: nothing to go by
    ("20261018142233", "20261018142233"),
])
def test_prefix_letters_come_back_when_the_serial_holds_the_purchase_day(printed, read):
    generic = TemplateSet.from_dir(BUNDLED_DIR).generic
    rows = [Row(f"单号:{printed}", 0.98), Row(DAY, 0.98), Row("实付 29.00", 0.98)]
    found = extract(rows, generic, today=dt.date(2026, 10, 19))
    assert found.value("receipt_no") == read


def test_a_colon_read_as_a_dash_keeps_the_number_and_a_date_is_never_one():
    generic = TemplateSet.from_dir(BUNDLED_DIR).generic
    rows = [Row("小票号-10472026012912315926", 0.95), Row("日期：2026/01/29 时间：12:31", 0.96)]
    found = extract(rows, generic, today=dt.date(2026, 1, 30))
    assert found.value("receipt_no") == "10472026012912315926"
    lost = [Row("小票号：", 0.95), Row("日期：2026/01/29 时间：12:31", 0.96)]
    assert extract(lost, generic, today=dt.date(2026, 1, 30)).value("receipt_no") is None
