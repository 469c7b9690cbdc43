"""Value grammars and normalisation: money, dates, times, labels."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from merchants.parsing import BUNDLED_DIR, TemplateSet
from merchants.parsing.labels import label_regex
from merchants.parsing.normalize import fix_digit_confusions, fold, normalize_text
from merchants.parsing.values import (
    bare_amount_after_label,
    find_dates,
    find_money,
    find_times,
    money_regex,
    parse_money,
)

TEMPLATES = BUNDLED_DIR


@pytest.fixture(scope="module")
def generic():
    return TemplateSet.from_dir(TEMPLATES).generic


def money(text: str) -> list[str]:
    return [str(f.value) for f in find_money(normalize_text(text), money_regex("."), ".")]


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("实付：￥１７８．００", ["178.00"]),
        ("合计:¥1,234.50", ["1234.50"]),
        ("Total RM 9.00", ["9.00"]),
        ("SUBTOTAL RM96.20", ["96.20"]),
        ("Grand TotalRM21.85", ["21.85"]),
        ("¥128", ["128.00"]),
        ("128.00元", ["128.00"]),
        ("Cash -11.80", ["-11.80"]),
        ("PUP121096057 2.07-", ["-2.07"]),
        ("Discount RM-0.20", ["-0.20"]),
        ("CHANGE RM .20", ["0.20"]),
        ("Total Sales Inclusive GST@ 0.00% 52.40", ["52.40"]),
        ("2026.11.20 14:32", []),
        ("Tel: 03-42601064", []),
        ("件数 3", []),
        ("COLANDER RM20202# 1X 2.30", ["2.30"]),
        ("FORM 12", []),
        ("实付： IMB527.95", ["527.95"]),  # OCR read RMB as IMB
        ("实收金额： RB100.67", ["100.67"]),  # OCR dropped the M of RMB
        ("CLIMB 527", []),
    ],
)
def test_money_grammar(text: str, amounts: list[str]) -> None:
    assert money(text) == amounts


def test_comma_decimal_separator() -> None:
    assert parse_money("1.234,5", ",") == Decimal("1234.50")
    assert [f.value for f in find_money("Summe 1.234,50", money_regex(","), ",")] == [
        Decimal("1234.50")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", dt.date(2026, 11, 20)),
        ("2026/11/20", dt.date(2026, 11, 20)),
        ("2026.11.20", dt.date(2026, 11, 20)),
        ("20-11-2026", dt.date(2026, 11, 20)),
        ("11/02/18 19:21", dt.date(2018, 2, 11)),
        ("2026年11月20日", dt.date(2026, 11, 20)),
        ("２０２６年１１月２０日", dt.date(2026, 11, 20)),
        ("15 JAN 2018", dt.date(2018, 1, 15)),
        ("24-Mar-2018", dt.date(2018, 3, 24)),
        ("Thursday, 14 December, 2017", dt.date(2017, 12, 14)),
        ("Jan 15, 2018", dt.date(2018, 1, 15)),
        ("0ct 3, 2016", dt.date(2016, 10, 3)),
        ("2026-11-2014:32:05", dt.date(2026, 11, 20)),
        ("Date:29-10-201718:31:45", dt.date(2017, 10, 29)),
        ("Date 27/06/185:02:32 PM", dt.date(2018, 6, 27)),
        ("18:1524/05/18", dt.date(2018, 5, 24)),
        ("02:49PM 565287 05~05-17", dt.date(2017, 5, 5)),  # OCR read a dash as a tilde
        ("Date/Time 20180428/191204", dt.date(2018, 4, 28)),
        ("00440010036 25032018 13;11:54", dt.date(2018, 3, 25)),
    ],
)
def test_dates(generic, text: str, expected: dt.date) -> None:
    assert [f.value for f in find_dates(normalize_text(text), generic.fields["date"].patterns)] == [
        expected
    ]


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2018", "2026-13-01", "MI11/3-21- 12/480", "Tel 03-4260 1064", "12/144",
        # Digit runs are compact dates only whole and valid: not inside a receipt number, a
        # barcode or an amount.
        "20260808180541514", "6901234567890", "51190030", "20181328", "20180428.50",
    ],
)
def test_not_dates(generic, text: str) -> None:
    assert find_dates(normalize_text(text), generic.fields["date"].patterns) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:32", dt.time(14, 32)),
        ("14:32:05", dt.time(14, 32, 5)),
        ("２：３２ PM", dt.time(14, 32)),
        ("10:25:49 PM RM", dt.time(22, 25, 49)),
        ("12:05 AM", dt.time(0, 5)),
        ("14时32分", dt.time(14, 32)),
        ("14点32分05秒", dt.time(14, 32, 5)),
        ("下午2:32", dt.time(14, 32)),
    ],
)
def test_times(generic, text: str, expected: dt.time) -> None:
    assert [f.value for f in find_times(normalize_text(text), generic.fields["time"].patterns)] == [
        expected
    ]


@pytest.mark.parametrize("text", ["25:00", "14:61", "Cashier:465", "13:05 PM", "1:1"])
def test_not_times(generic, text: str) -> None:
    assert find_times(text, generic.fields["time"].patterns) == []


def test_normalize_full_width_and_spaced_chinese_labels() -> None:
    assert normalize_text("合　　计：￥１２８．００") == "合计:¥128.00"
    assert normalize_text("  Total   RM  9.00 ") == "Total RM 9.00"


def test_fold_keeps_letters_digits_and_chinese_only() -> None:
    assert fold("MR. D.I.Y. (KUCHAI) SDN BHD") == "mrdiykuchaisdnbhd"
    assert fold("喜茶（天河城店）") == "喜茶天河城店"


def test_digit_confusions_only_inside_numbers() -> None:
    confusions = {"O": "0", "o": "0", "l": "1", "I": "1"}
    assert fix_digit_confusions("TOTAL 1O8.0O", confusions) == "TOTAL 108.00"
    assert fix_digit_confusions("O.C. WHITE 2.l3", confusions) == "O.C. WHITE 2.13"
    assert fix_digit_confusions("Olio Chicken", confusions) == "Olio Chicken"


@pytest.mark.parametrize(
    ("label", "text", "found"),
    [
        ("Cash", "CASH RM 6.00", "CASH"),
        ("Cash", "Cashier: 1", None),
        ("Cash", "CASHIER", None),
        ("Total", "SUBTOTAL 9.00", None),
        ("Rounding Adj", "RoundingAdj. 0.00", "RoundingAdj"),
        ("GST Summary", "GST SummaryAmount(RM)", "GST Summary"),
        ("Sub Total", "Sub-Total : 21.00", "Sub-Total"),
        ("实付", "实 付:12", None),  # spaces inside Chinese words are removed before matching
        ("实付", normalize_text("实 付:12"), "实付"),
    ],
)
def test_labels_match_leniently_but_as_whole_words(
    label: str, text: str, found: str | None
) -> None:
    match = re.search(label_regex(label), text, re.IGNORECASE)
    assert (match.group(0) if match else None) == found


@pytest.mark.parametrize(
    ("text", "expected"),
    [(":128", Decimal("128.00")), (" 52-00", Decimal("52.00")), (" RM 12:50", Decimal("12.50")),
     ("128元", Decimal("128.00"))],
)
def test_amount_printed_without_its_point_after_a_label(text: str, expected: Decimal) -> None:
    found = bare_amount_after_label(text)
    assert found is not None and found.value == expected


@pytest.mark.parametrize("text", [" 12-05-18", " 52-0", " 1234567", " 52.00"])
def test_dates_and_other_numbers_are_no_bare_amount(text: str) -> None:
    assert bare_amount_after_label(text) is None
