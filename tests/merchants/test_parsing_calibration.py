import json

import pytest

from merchants.parsing import confidence as conf
from merchants.parsing.confidence import LogisticModel, combine, load_calibration, signals


def test_logistic_model_gives_the_probability_of_its_weighted_signals():
    model = LogisticModel(bias=-1.0, weights={"ocr": 2.0, "how:label": 1.0})
    assert model.probability({"ocr": 0.5, "how:label": 1.0}) == pytest.approx(0.7311, abs=1e-4)
    assert model.probability({"unknown": 5.0}) == pytest.approx(0.2689, abs=1e-4)


def test_calibration_file_is_read_per_field(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"fields": {"total": {"bias": 0.5, "weights": {"ocr": 1}}}}))
    models = load_calibration(path)
    assert set(models) == {"total"}
    assert models["total"].weights == {"ocr": 1.0}
    assert load_calibration(tmp_path / "absent.json") == {}


def test_fields_without_a_model_keep_the_hand_set_rule(monkeypatch):
    monkeypatch.setattr(conf, "calibration", lambda: {"total": LogisticModel(3.0, {})})
    found = signals("label", 0.9, agreements=1)
    assert conf.field_confidence("time", found) == combine(0.9, 0.9, 1)
    assert conf.field_confidence("total", found) == pytest.approx(0.9526, abs=1e-4)


def test_signals_name_how_the_value_was_found():
    found = signals("derived", 0.8, agreements=2, conflicts=1, rivals=3)
    assert found == {"how:derived": 1.0, "ocr": 0.8, "agreements": 2.0, "conflicts": 1.0,
                     "rivals": 3.0}


def test_bundled_calibration_ranks_a_cross_checked_total_above_a_guess():
    checked = signals("label", 0.98, agreements=2, rivals=0)
    guessed = signals("guess", 0.7, rivals=2, below_largest=1)
    assert conf.field_confidence("total", checked) > 0.9 > conf.field_confidence("total", guessed)


@pytest.mark.parametrize(
    ("field", "found", "cap"),
    [
        ("total", signals("guess", 0.99, agreements=2, items_sum=1), 0.75),
        ("total", signals("label", 0.99, agreements=1, repaired=1), 0.9),
        ("date", signals("label", 0.99, agreements=1, future=1), 0.5),
        ("date", signals("label", 0.99, agreements=1, year_doubt=1), 0.5),
        ("date", signals("label", 0.99, agreements=1, too_old=1), 0.5),
        ("date", signals("label", 0.99, rivals=1, disputed=1), 0.9),
        ("date", signals("serial", 0.99), 0.9),
    ],
)
def test_signals_too_rare_to_fit_cap_the_confidence(monkeypatch, field, found, cap):
    monkeypatch.setattr(conf, "calibration", lambda: {field: LogisticModel(20.0, {})})
    assert conf.field_confidence(field, found) == cap
    uncapped = {name: value for name, value in found.items() if name not in conf.CAPS[field]}
    assert conf.field_confidence(field, {"how:label": 1.0, **uncapped}) == 1.0
