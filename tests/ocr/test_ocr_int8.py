"""The int8 precision setting: each precision reads the model files it names, missing int8
models stop start-up with a clear reason (never a fallback, never a download), and int8
models built here from a few generated receipts read a generated receipt's key fields."""

import importlib.util
from pathlib import Path

import openvino
import pytest
from ocr_receipt_images import jpeg_bytes

from ocr.backends import create_backend, models
from ocr.errors import OcrBackendUnavailable
from ocr.layout import group_rows
from ocr.pipeline import read_image

ALL = (models.DET, models.REC_SMALL, models.REC_TINY)
# Calibration the tests can afford: the models read worse than `make int8`'s, and still well.
TEST_CALIBRATION_RECEIPTS = 3
TEST_CALIBRATION_SEED = 31


def placeholder_int8_models(folder: Path) -> Path:
    for name in ALL:
        (folder / models.int8_file(name)).write_text("<net/>")
    return folder


@pytest.mark.parametrize(
    ("precision", "int8"),
    [("fp32", ()), ("int8_det", (models.DET,)), ("int8", ALL)],
)
def test_precision_names_which_models_are_int8(settings, tmp_path, precision, int8):
    folder = placeholder_int8_models(tmp_path)
    chosen = settings.model_copy(update={"precision": precision, "int8_model_dir": folder})
    for name in ALL:
        path = models.model_file(chosen, name).path
        expected = folder / models.int8_file(name) if name in int8 else models.fp32_model(name).path
        assert path == expected, name
    # The tiny recogniser keeps its dictionary file at either precision.
    assert models.model_file(chosen, models.REC_TINY).keys == models.tiny_recogniser().keys


@pytest.mark.parametrize("precision", ["int8_det", "int8"])
@pytest.mark.parametrize("runtime", ["auto", "openvino"])
def test_missing_int8_models_stop_start_up_naming_the_folder(
    settings, tmp_path, precision, runtime
):
    missing = tmp_path / "not-built"
    with pytest.raises(OcrBackendUnavailable) as caught:
        create_backend(
            settings.model_copy(
                update={"precision": precision, "runtime": runtime, "int8_model_dir": missing}
            )
        )
    assert caught.value.code == "ocr_backend_unavailable"
    assert str(missing / models.int8_file(models.DET)) in caught.value.message
    assert "make int8" in caught.value.message


def test_int8_on_onnxruntime_is_refused(settings, tmp_path):
    chosen = settings.model_copy(
        update={
            "precision": "int8",
            "runtime": "onnxruntime",
            "int8_model_dir": placeholder_int8_models(tmp_path),
        }
    )
    with pytest.raises(OcrBackendUnavailable) as caught:
        create_backend(chosen)
    assert "OpenVINO" in caught.value.message


@pytest.fixture(scope="session")
def built_int8(tmp_path_factory) -> Path:
    """int8 models quantized here from a few generated receipts (about a minute)."""
    if importlib.util.find_spec("nncf") is None:
        pytest.skip("nncf not installed (pip install '.[int8]'): int8 models cannot be built")
    from training_data.quantize import build

    folder = tmp_path_factory.mktemp("int8")
    build(folder, TEST_CALIBRATION_RECEIPTS, TEST_CALIBRATION_SEED)
    return folder


@pytest.mark.ocr
@pytest.mark.parametrize("precision", ["int8_det", "int8"])
def test_int8_models_are_loaded_and_read_a_generated_receipt(
    settings, built_int8, monkeypatch, precision
):
    from receipts.reading import Reader
    from training_data.loop.judge import judge
    from training_data.registry import load_merchants, load_registry
    from training_data.synth import dataset_receipt

    read_paths = []
    original = openvino.Core.read_model

    def recorded(core, model, *args, **kwargs):
        read_paths.append(Path(model))
        return original(core, model, *args, **kwargs)

    monkeypatch.setattr(openvino.Core, "read_model", recorded)
    chosen = settings.model_copy(
        update={"precision": precision, "runtime": "auto", "int8_model_dir": built_int8}
    )
    image, label = dataset_receipt(load_registry(), 7, 0)
    _, result = read_image(jpeg_bytes(image), chosen)

    int8 = models.INT8_MODELS[precision]
    assert {built_int8 / models.int8_file(name) for name in int8} <= set(read_paths)
    assert all(path.parent == built_int8 for path in read_paths if path.suffix == ".xml")
    merchants = load_merchants()
    outcome = judge(
        label,
        Reader(merchants).interpret(group_rows(result.lines)),
        {m.id: m.name for m in merchants},
    )
    key_fields = {name: outcome.correct[name] for name in ("merchant", "date", "total")}
    assert all(key_fields.values()), f"{precision} read {outcome.got}; labelled {label}"
