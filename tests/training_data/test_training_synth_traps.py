"""The generator's traps (issue 15): each prints what real tills print, the truth stays the
purchase, and a receipt without traps is the receipt made before traps existed."""

import json
import random
import re
from datetime import date
from pathlib import Path

import pytest

from training_data.loop.labels import load_labels, normalize_date
from training_data.synth import make_dataset, rates_for
from training_data.synth.layouts import compose_receipt
from training_data.synth.traps import REALISTIC, Traps

ROOT = Path(__file__).resolve().parents[2]
MERCHANTS = json.loads((ROOT / "merchants/demo_mall.json").read_text())
SUPERMARKET = next(m for m in MERCHANTS if m["category"] == "超市")


def _compose(i: int, **rates: float):
    traps = Traps(rates, random.Random(f"t{i}"))
    return compose_receipt(SUPERMARKET, random.Random(i), "supermarket", traps), traps


def _text(receipt) -> str:
    return "\n".join(line.text for line in receipt.lines if line.kind == "text")


def test_a_receipt_without_traps_is_the_receipt_made_before_traps():
    for i in range(20):
        plain = compose_receipt(SUPERMARKET, random.Random(i), "supermarket")
        trapped, traps = _compose(i, **REALISTIC)
        if not traps.hit_names:
            assert trapped.lines == plain.lines and trapped.truth == plain.truth
    for i in range(5):
        none, traps = _compose(i)
        assert none.lines == compose_receipt(SUPERMARKET, random.Random(i), "supermarket").lines
        assert traps.hit_names == []


def test_yearless_prints_month_and_day_only_and_the_truth_keeps_the_year():
    for i in range(10):
        receipt, _ = _compose(i, yearless=1 / 0.3)  # the supermarket share, made certain
        day = date.fromisoformat(receipt.truth["date"])
        text = _text(receipt).replace(receipt.truth["receipt_no"], "")
        text = re.sub(r"\d{20,}", "", text)  # WeChat Pay's and Alipay's numbers hold the day
        assert str(day.year) not in text.split("有效期")[0]
        assert re.search(rf"(?<!\d)0?{day.month}[-/月]0?{day.day}(?!\d)", text), text


def test_misread_year_is_one_year_off_on_the_purchase_line_only():
    receipt, _ = _compose(3, misread_year=1.0)
    day = date.fromisoformat(receipt.truth["date"])
    dates = re.findall(r"\d{4}[-/.年]\d+[-/.月]\d+日?|\d\d-\d\d-\d{4}", _text(receipt))
    printed = {normalize_date(m) for m in dates}
    assert day not in printed
    assert any(p and abs(p.year - day.year) == 1 and (p.month, p.day) == (day.month, day.day)
               for p in printed)


def test_stray_digit_is_glued_before_the_year():
    for i in range(30):
        receipt, _ = _compose(i, stray_digit=1.0)
        year = receipt.truth["date"][:4]
        if re.search(rf"(?<!\d)\d{year}[-/.年]", _text(receipt)):
            return
    pytest.fail("no receipt printed a digit glued before its year")


def test_dated_serial_holds_the_purchase_day():
    for i in range(10):
        receipt, _ = _compose(i, dated_serial=1.0)
        day = date.fromisoformat(receipt.truth["date"])
        number = receipt.truth["receipt_no"]
        assert f"{day:%y%m%d}" in number and number in _text(receipt)


def test_second_date_is_an_expiry_after_the_purchase():
    receipt, _ = _compose(1, second_date=1.0)
    [line] = [text for text in _text(receipt).splitlines() if "有效期至" in text]
    assert normalize_date(line.split(":", 1)[1]) > date.fromisoformat(receipt.truth["date"])


def test_dataset_reshoots_are_second_photos_of_the_same_receipt(tmp_path):
    labels = load_labels(make_dataset(tmp_path, 2, MERCHANTS, seed=9, strength=0.2,
                                      trap_rates=rates_for("none", ("reshoot", "faded"))))
    assert [label["file"] for label in labels] == [
        "synth-9-0000.jpg", "synth-9-0000-b.jpg", "synth-9-0001.jpg", "synth-9-0001-b.jpg"]
    first, again = labels[0], labels[1]
    assert again["reshoot_of"] == first["file"]
    facts = ("merchant", "date", "time", "total", "receipt_no")
    assert {k: again[k] for k in facts} == {k: first[k] for k in facts}
    assert first["hard_cases"] == again["hard_cases"] == ["faded"]
    assert (tmp_path / first["file"]).read_bytes() != (tmp_path / again["file"]).read_bytes()


def test_rates_for_refuses_unknown_traps():
    with pytest.raises(ValueError):
        rates_for("some")
    with pytest.raises(ValueError):
        rates_for("none", ("yearles",))
    assert rates_for("none") == {}
