import json
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from training_data.loop.labels import (
    LabelFileInvalid,
    load_labels,
    normalize_date,
    normalize_merchant,
    normalize_time,
    normalize_total,
)
from training_data.synth.pieces import DATE_FORMATS

SROIE_LABELS = Path(__file__).resolve().parents[3] / "shared/datasets/sroie-train/labels.jsonl"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("2026/11/20 14:32:05", date(2026, 11, 20)),
        ("2026-11-2014:32:05", date(2026, 11, 20)),
        ("2018.03.24", date(2018, 3, 24)),
        ("2026年11月20日", date(2026, 11, 20)),
        ("2026年1月5日 09:03", date(2026, 1, 5)),
        ("日期：2026-11-20", date(2026, 11, 20)),
        ("25/12/2018", date(2018, 12, 25)),
        ("11/02/18", date(2018, 2, 11)),
        ("24-03-2018", date(2018, 3, 24)),
        ("16-03-18", date(2018, 3, 16)),
        ("9/2/2017", date(2017, 2, 9)),
        ("11.02.18", date(2018, 2, 11)),
        ("20-11-2026 14:32", date(2026, 11, 20)),
        ("15 JAN 2018", date(2018, 1, 15)),
        ("24 MAR 18", date(2018, 3, 24)),
        ("24-MAR-2018", date(2018, 3, 24)),
        ("14/JUN/2017", date(2017, 6, 14)),
        ("OCT 3, 2016", date(2016, 10, 3)),
        ("(06/12/2016)", date(2016, 12, 6)),
        ("25032018", date(2018, 3, 25)),
        ("20180325", date(2018, 3, 25)),
        ("03/25/2018", date(2018, 3, 25)),  # month first only when day first is impossible
        ("２０２６－１１－２０", date(2026, 11, 20)),
    ],
)
def test_normalize_date_reads_printed_forms(text, expected):
    assert normalize_date(text) == expected


@pytest.mark.parametrize(
    "text", ["", None, "TOTAL 9.00", "31/02/2018", "2026-13-01", "会员积分 3560"]
)
def test_normalize_date_rejects_what_is_not_a_date(text):
    assert normalize_date(text) is None


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(DATE_FORMATS),
)
def test_every_date_format_the_generator_prints_normalises_back(day, fmt):
    assert normalize_date(fmt(day)) == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:32:05", time(14, 32, 5)),
        ("14:32", time(14, 32)),
        ("2026-11-20 09:05", time(9, 5)),
        ("14：32：05", time(14, 32, 5)),
        ("14时32分", time(14, 32)),
        ("", None),
        ("25:00", None),
    ],
)
def test_normalize_time(text, expected):
    assert normalize_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.00", Decimal("9.00")),
        ("RM 9.00", Decimal("9")),
        ("RM20.40", Decimal("20.40")),
        ("$8.20", Decimal("8.2")),
        ("1,007.50", Decimal("1007.5")),
        ("¥128.00", Decimal("128")),
        ("￥ 1,280.00", Decimal("1280")),
        ("128元", Decimal("128")),
        ("MYR 12.50", Decimal("12.5")),
        ("RMB 62.00", Decimal("62")),
        ("-1.73", Decimal("-1.73")),
        ("１２８．００", Decimal("128")),
        ("", None),
        (None, None),
        ("12.34.56", None),
        ("TOTAL", None),
    ],
)
def test_normalize_total(text, expected):
    assert normalize_total(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("MR. D. I. Y. (KUCHAI) SDN BHD", "mr d.i.y. (kuchai) sdn. bhd"),
        ("星巴克（天河城店）", "星巴克(天河城店)"),
        ("ＵＮＩＱＬＯ 优衣库", "uniqlo优衣库"),
        ("McDonald's", "MCDONALDS"),
    ],
)
def test_normalize_merchant_ignores_case_space_and_punctuation(a, b):
    assert normalize_merchant(a) == normalize_merchant(b)


def test_normalize_merchant_keeps_the_words_apart():
    assert normalize_merchant("优衣库") != normalize_merchant("无印良品")
    assert normalize_merchant(None) == ""


def test_load_labels_skips_blank_lines(tmp_path):
    path = tmp_path / "labels.jsonl"
    rows = [{"file": "a.jpg", "total": "1.00"}, {"file": "b.jpg", "merchant": "喜茶"}]
    path.write_text(json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1], ensure_ascii=False) + "\n")
    assert load_labels(path) == rows


@pytest.mark.parametrize("bad_line", ["{not json", "[1, 2]", '{"merchant": "no file key"}'])
def test_load_labels_names_the_bad_line(tmp_path, bad_line):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"file": "a.jpg"}\n' + bad_line + "\n")
    with pytest.raises(LabelFileInvalid, match=r":2:"):
        load_labels(path)


@pytest.mark.skipif(not SROIE_LABELS.is_file(), reason=f"SROIE labels not at {SROIE_LABELS}")
def test_every_sroie_label_normalises():
    labels = load_labels(SROIE_LABELS)
    bad_dates = [lb["date"] for lb in labels if not normalize_date(lb["date"])]
    bad_totals = [
        lb["total"] for lb in labels if lb["total"] and normalize_total(lb["total"]) is None
    ]
    years = {normalize_date(lb["date"]).year for lb in labels if normalize_date(lb["date"])}
    assert bad_dates == []
    assert bad_totals == []
    assert years <= set(range(2010, 2021))
