import json
import random

import pytest

from merchants.parsing.confidence import load_calibration
from training_data import calibrate
from training_data.loop.scores import approval_curve


def detail(ocr: float, right: bool, checked: float) -> dict:
    correct = {"merchant": True, "date": True, "total": right}
    found = {"merchant": {"score": 1.0}, "date": {"ocr": 1.0},
             "total": {"ocr": ocr, "agreements": checked}}
    return {"correct": correct, "signals": found}


def synthetic_details(n: int = 400) -> list[dict]:
    """Totals right far more often when a cross-check agreed; OCR score is noise."""
    rng = random.Random(5)
    rows = []
    for _ in range(n):
        checked = float(rng.random() < 0.5)
        right = rng.random() < (0.97 if checked else 0.6)
        rows.append(detail(rng.random(), right, checked))
    return rows


def test_fit_learns_which_signal_predicts_a_right_value():
    rows = synthetic_details()
    model = calibrate.fit(calibrate.examples(rows, "total"), l2=0.1)
    assert model.weights["agreements"] > 2.0
    assert abs(model.weights["ocr"]) < 0.7
    assert model.probability({"agreements": 1.0, "ocr": 0.5}) == pytest.approx(0.97, abs=0.04)
    assert model.probability({"agreements": 0.0, "ocr": 0.5}) == pytest.approx(0.6, abs=0.08)


def test_main_writes_a_calibration_the_engine_loads(tmp_path, capsys):
    rows = synthetic_details()
    details, more = tmp_path / "details.jsonl", tmp_path / "more.jsonl"
    details.write_text("\n".join(json.dumps(r) for r in rows[:300]))
    more.write_text("\n".join(json.dumps(r) for r in rows[300:]))
    out = tmp_path / "calibration.json"
    assert calibrate.main([str(details), str(more), "--out", str(out)]) == 0
    models = load_calibration(out)
    assert set(models) == {"merchant", "date", "total"}
    report = json.loads(capsys.readouterr().out)["cross_validated"]
    assert set(report) == {"all", str(details), str(more)}
    strict = next(r for r in report["all"] if r["threshold"] == 0.9)
    assert strict["precision"] > 0.93  # out-of-fold: mostly the cross-checked totals
    for i, row in enumerate(report["all"]):  # each file judged on its own receipts
        assert row["wrong"] == report[str(details)][i]["wrong"] + report[str(more)][i]["wrong"]


def test_approval_curve_counts_what_each_threshold_lets_through():
    judged = [(0.99, True), (0.96, True), (0.96, False), (0.5, False)]
    curve = {row["threshold"]: row for row in approval_curve(judged)}
    assert curve[0.95] == {"threshold": 0.95, "rate": 0.75, "precision": 0.6667, "wrong": 1}
    assert curve[0.98] == {"threshold": 0.98, "rate": 0.25, "precision": 1.0, "wrong": 0}
    assert curve[0.995]["rate"] == 0.0 and curve[0.995]["precision"] is None
