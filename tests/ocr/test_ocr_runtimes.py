"""The inference runtime setting: each runtime loads the models it names, ``auto`` falls back
to onnxruntime when OpenVINO cannot load (and says why), and both read a receipt alike."""

import logging
import sys

import onnxruntime
import openvino
import pytest
from ocr_receipt_images import jpeg_bytes

from ocr.backends import create_backend
from ocr.errors import OcrBackendUnavailable
from ocr.layout import group_rows
from ocr.pipeline import read_image

pytestmark = pytest.mark.ocr

RUNTIMES = ("openvino", "onnxruntime")
SIMULATED_FAULT = "simulated: the CPU plugin cannot compile this model"


@pytest.fixture
def loaded(monkeypatch) -> list[str]:
    """The runtime of each model loaded during the test, in order."""
    loads: list[str] = []
    spy(monkeypatch, openvino.Core, "compile_model", "openvino", loads)
    spy(monkeypatch, onnxruntime.InferenceSession, "__init__", "onnxruntime", loads)
    return loads


def spy(monkeypatch, owner: type, name: str, runtime: str, loads: list[str]) -> None:
    original = getattr(owner, name)

    def recorded(*args, **kwargs):
        loads.append(runtime)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, recorded)


@pytest.fixture
def small(settings):
    """One recogniser instead of the cascade's two: quicker to load, same runtime choice."""
    return settings.model_copy(update={"rec_model": "small"})


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("openvino", "openvino"), ("onnxruntime", "onnxruntime"), ("auto", "openvino")],
)
def test_runtime_setting_loads_every_model_on_that_runtime(small, loaded, setting, expected):
    backend = create_backend(small.model_copy(update={"runtime": setting}))
    assert backend.runtime == expected
    assert loaded and set(loaded) == {expected}


def openvino_not_installed(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # its import raises ImportError


def openvino_cannot_compile(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise RuntimeError(SIMULATED_FAULT)

    monkeypatch.setattr(openvino.Core, "compile_model", refuse)


OPENVINO_FAULTS = pytest.mark.parametrize(
    ("break_openvino", "reason"),
    [
        (openvino_not_installed, "未安装推理运行时 openvino"),
        (openvino_cannot_compile, SIMULATED_FAULT),
    ],
    ids=["not-installed", "cannot-compile"],
)


@OPENVINO_FAULTS
def test_auto_falls_back_to_onnxruntime_and_logs_why(
    small, monkeypatch, caplog, break_openvino, reason
):
    break_openvino(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="ocr.backends.rapid"):
        backend = create_backend(small.model_copy(update={"runtime": "auto"}))
    assert backend.runtime == "onnxruntime"
    assert any("openvino" in r.message and reason in r.message for r in caplog.records)


@OPENVINO_FAULTS
def test_openvino_asked_for_fails_with_the_reason(small, monkeypatch, break_openvino, reason):
    break_openvino(monkeypatch)
    with pytest.raises(OcrBackendUnavailable) as caught:
        create_backend(small.model_copy(update={"runtime": "openvino"}))
    assert caught.value.code == "ocr_backend_unavailable"
    assert reason in caught.value.message


def test_both_runtimes_read_a_generated_receipt_to_the_same_key_fields(settings):
    from receipts.reading import Reader
    from training_data.loop.judge import judge
    from training_data.registry import load_merchants, load_registry
    from training_data.synth import dataset_receipt

    image, label = dataset_receipt(load_registry(), 7, 0)
    merchants = load_merchants()
    reader = Reader(merchants)
    names = {m.id: m.name for m in merchants}
    outcomes = {}
    for runtime in RUNTIMES:
        _, result = read_image(jpeg_bytes(image), settings.model_copy(update={"runtime": runtime}))
        outcomes[runtime] = judge(label, reader.interpret(group_rows(result.lines)), names)
    for runtime, outcome in outcomes.items():  # both right: the same values
        key_fields = {name: outcome.correct[name] for name in ("merchant", "date", "total")}
        assert all(key_fields.values()), f"{runtime} read {outcome.got}; labelled {label}"
