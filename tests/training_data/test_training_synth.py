import json
import random
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from merchants.types import PAYMENT_METHODS
from training_data.loop.labels import load_labels, normalize_date, normalize_time, normalize_total
from training_data.synth import LAYOUTS, generate_receipt, make_dataset
from training_data.synth.layouts import compose_receipt

ROOT = Path(__file__).resolve().parents[2]
MERCHANTS = json.loads((ROOT / "merchants/demo_mall.json").read_text())
TOTAL_LABELS = ("实付", "实收", "应付", "应收", "应付金额", "实收金额", "RMB")
AMOUNT = re.compile(r"-?\d+\.\d{2}")


def merchant(category: str) -> dict:
    return next(m for m in MERCHANTS if m["category"] == category)


def printed(receipt) -> list[str]:
    return [line.text for line in receipt.lines if line.kind == "text"]


def amount_after(lines: list[str], label: str) -> Decimal | None:
    """The amount on the first line that starts with ``label``."""
    for line in lines:
        if line.startswith(label) and (found := AMOUNT.findall(line)):
            return Decimal(found[-1])
    return None


def receipts(n: int = 40):
    for i in range(n):
        rng = random.Random(i)
        yield compose_receipt(rng.choice(MERCHANTS), rng, list(LAYOUTS)[i % len(LAYOUTS)])


def test_same_seed_same_photo_and_truth():
    first = generate_receipt(MERCHANTS[0], random.Random(7), strength=0.5)
    again = generate_receipt(MERCHANTS[0], random.Random(7), strength=0.5)
    other = generate_receipt(MERCHANTS[0], random.Random(8), strength=0.5)
    assert first[1] == again[1]
    assert np.array_equal(np.asarray(first[0]), np.asarray(again[0]))
    assert first[1] != other[1]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_flat_print_is_a_receipt_on_thermal_paper(layout):
    image, truth = generate_receipt(
        merchant("餐饮"), random.Random(layout), layout=layout, distort=False
    )
    pixels = np.asarray(image.convert("L"))
    assert image.width in (640, 464)  # 576 or 384 printable dots plus the paper's margins
    assert image.height > 1.2 * image.width
    assert 0.02 < (pixels < 128).mean() < 0.4  # printed, not blank and not black
    assert set(truth) == {
        "merchant",
        "merchant_id",
        "date",
        "time",
        "total",
        "receipt_no",
        "payment_method",
    } | ({"transaction_id"} if "transaction_id" in truth else set())


def test_photo_is_phone_sized_with_the_paper_brighter_than_its_edges():
    image, _ = generate_receipt(MERCHANTS[3], random.Random(1))
    assert 1000 <= image.width <= 1500
    assert image.height == pytest.approx(image.width * 4 / 3, abs=1)
    pixels = np.asarray(image.convert("L"), np.float32)
    h, w = pixels.shape
    assert pixels[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3].std() > 10  # text and paper, not flat


def test_truth_parses_with_the_label_normalisers():
    for receipt in receipts():
        truth = receipt.truth
        assert normalize_date(truth["date"]) is not None
        assert normalize_time(truth["time"]) is not None
        assert normalize_total(truth["total"]) > 0
        assert truth["payment_method"] in PAYMENT_METHODS
        assert truth["merchant"] == next(
            m["name"] for m in MERCHANTS if m["id"] == truth["merchant_id"]
        )


def test_truth_is_what_the_receipt_prints():
    for receipt in receipts():
        lines, truth = printed(receipt), receipt.truth
        joined = "\n".join(lines)
        assert truth["receipt_no"] in joined
        assert any(normalize_date(line) == normalize_date(truth["date"]) for line in lines)
        assert re.search(rf"(?<!\d){truth['time']}(?!:\d)", joined), joined
        total_lines = [
            line for line in lines if truth["total"] in line and re.search(r"\d\.\d\d$", line)
        ]
        assert any(label in line for line in total_lines for label in TOTAL_LABELS), joined


def test_cash_change_and_discounts_add_up():
    checked = 0
    for i in range(60):
        rng = random.Random(i)
        receipt = compose_receipt(merchant("超市"), rng, "supermarket")
        lines, total = printed(receipt), Decimal(receipt.truth["total"])
        gross = amount_after(lines, "合计")
        discounts = (amount_after(lines, label) for label in ("优惠", "会员优惠", "促销优惠"))
        discount = next((d for d in discounts if d is not None), Decimal(0))
        assert gross + discount == total  # discounts print negative
        if receipt.truth["payment_method"] == "cash":
            tendered, change = amount_after(lines, "现金"), amount_after(lines, "找零")
            assert tendered > total
            assert tendered - change == total
            checked += 1
    assert checked > 5


def test_every_layout_appears_for_the_demo_mall():
    rng = random.Random(0)
    seen = {compose_receipt(rng.choice(MERCHANTS), rng).layout for _ in range(200)}
    assert seen == set(LAYOUTS)


def test_dataset_is_deterministic_and_labelled(tmp_path):
    first = make_dataset(tmp_path / "a", 1, MERCHANTS, seed=5, strength=0.3)
    again = make_dataset(tmp_path / "b", 2, MERCHANTS, seed=5, strength=0.3)
    labels = load_labels(first)
    assert [lb["file"] for lb in labels] == ["synth-5-0000.jpg"]
    assert load_labels(again)[:1] == labels  # a larger n extends the smaller set
    for label in labels:
        assert (first.parent / label["file"]).read_bytes() == (
            again.parent / label["file"]
        ).read_bytes()
        assert {
            "merchant",
            "date",
            "time",
            "total",
            "receipt_no",
            "payment_method",
            "layout",
        } <= set(label)


def test_cli_writes_the_requested_receipts(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "training_data.synth",
            "--out",
            str(tmp_path),
            "--n",
            "2",
            "--seed",
            "9",
            "--flat",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    labels = load_labels(tmp_path / "labels.jsonl")
    assert len(labels) == 2
    assert all((tmp_path / label["file"]).is_file() for label in labels)


def test_strength_outside_its_range_is_refused():
    with pytest.raises(ValueError, match="strength"):
        generate_receipt(MERCHANTS[0], random.Random(1), strength=1.5)


@pytest.fixture(scope="session")
def ocr_engine():
    from ocr.backends import get_backend

    return get_backend()


def ocr_text(engine, image) -> str:
    result = engine.read(np.asarray(image)[:, :, ::-1].copy())
    return "".join("".join(line.text for line in result.lines).split())


@pytest.mark.ocr
def test_default_photo_reads_and_unreadable_photo_does_not(ocr_engine):
    shop = merchant("超市")
    readable, truth = generate_receipt(shop, random.Random(11), layout="cafe")
    blurred, blurred_truth = generate_receipt(
        shop, random.Random(11), layout="cafe", unreadable=True
    )
    text = ocr_text(ocr_engine, readable)
    assert truth["total"] in text and truth["receipt_no"] in text
    smeared = ocr_text(ocr_engine, blurred)
    assert blurred_truth["total"] not in smeared and blurred_truth["receipt_no"] not in smeared


def test_counter_ticket_states_its_truth_in_words_the_generic_rules_do_not_know():
    for seed in range(20):
        receipt = compose_receipt(merchant("服装"), random.Random(seed), "counter")
        lines, truth = printed(receipt), receipt.truth
        total_line = next(line for line in lines if line.startswith("会员折后价"))
        assert total_line.endswith(truth["total"])
        listed = amount_after(lines, "标价合计")
        assert listed > Decimal(truth["total"])  # the decoy is larger than what was paid
        assert not any(label in total_line for label in TOTAL_LABELS)
        assert truth["receipt_no"] in "\n".join(lines) and "payment_method" not in truth


def test_some_wechat_receipts_print_the_transaction_id_and_its_truth():
    """WeChat Pay's 微信支付单号 (28 digits: 42000, 5 digits, the day, 10 digits) on a
    realistic share of WeChat-paid receipts, never on others; the truth is what is printed."""
    made = list(receipts(400))
    wechat = [r for r in made if r.truth.get("payment_method") == "wechat"]
    with_id = [r for r in wechat if "transaction_id" in r.truth]
    assert 0.2 < len(with_id) / len(wechat) < 0.6
    for receipt in with_id:
        number, day = receipt.truth["transaction_id"], receipt.truth["date"].replace("-", "")
        assert re.fullmatch(r"42000\d{23}", number) and number[10:18] == day
        assert any(number in line for line in printed(receipt))
    assert not [r for r in made if r.truth.get("payment_method") != "wechat"
                and "transaction_id" in r.truth]
