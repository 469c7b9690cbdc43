"""Build int8 versions of the OCR models (``make int8``), calibrated on generated receipts.

``python -m training_data.quantize [--out DIR] [--receipts N] [--seed S]``

The fp32 models read generated phone photos through the real pipeline (decode → prepare →
detect → recognise) on OpenVINO while every input tensor of the detector and of both
recognisers is recorded: the detector's are the full prepared images, the recognisers' the
line crops the fp32 detector found. NNCF's post-training quantization turns each model's
OpenVINO form into int8 from those tensors, and the result is written as OpenVINO IR under
``RP_OCR_INT8_MODEL_DIR`` (``ocr.backends.models``). Nothing is downloaded.
"""

import argparse
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import nncf
import numpy as np
import openvino

from ocr.backends import models
from ocr.settings import OcrSettings, get_ocr_settings

# Seeds 7 (make bench) and 202 (the evaluator's generated set) are kept out of calibration.
CALIBRATION_SEED = 1717
CALIBRATION_RECEIPTS = 48
# Tensors each model is calibrated on, drawn at random from those recorded.
SUBSET = 300
# NNCF's transformer scheme for the recognisers (SVTR blocks: MatMul, GELU, LayerNorm): measured
# on 200 recorded lines, small's int8 reads 94.5 % of them as its fp32 model does against 42 %
# with the default scheme (tiny: 87.5 % either way).
OPTIONS = {
    models.DET: {},
    models.REC_SMALL: {"model_type": nncf.ModelType.TRANSFORMER},
    models.REC_TINY: {"model_type": nncf.ModelType.TRANSFORMER},
}


class Recorder:
    """Stands in for a RapidOCR inference session, keeping a copy of every input."""

    def __init__(self, session: Callable[[np.ndarray], np.ndarray]):
        self.session = session
        self.inputs: list[np.ndarray] = []

    def __call__(self, tensor: np.ndarray) -> np.ndarray:
        self.inputs.append(np.array(tensor, copy=True))
        return self.session(tensor)

    def __getattr__(self, name: str):
        return getattr(self.session, name)


def recorded_inputs(images: list[Path]) -> dict[str, list[np.ndarray]]:
    """Each model's input tensors while the fp32 pipeline reads ``images``: the cascade with
    every line read again by the small recogniser, so that both recognisers see every line."""
    from ocr.backends import get_backend
    from ocr.pipeline import read_image

    settings = OcrSettings(
        runtime="openvino", precision="fp32", rec_model="cascade", refine_below=1.0, threads=1
    )
    backend = get_backend(settings)
    stages = {
        models.DET: backend._engine.text_det,
        models.REC_TINY: backend._engine.text_rec,
        models.REC_SMALL: backend._accurate.text_rec,
    }
    recorders = {name: Recorder(stage.session) for name, stage in stages.items()}
    for name, stage in stages.items():
        stage.session = recorders[name]
    try:
        for image in images:
            read_image(image.read_bytes(), settings)
    finally:
        for name, stage in stages.items():
            stage.session = recorders[name].session
    return {name: recorder.inputs for name, recorder in recorders.items()}


def quantize(source: Path, tensors: list[np.ndarray], out: Path, options: dict) -> None:
    subset = random.Random(CALIBRATION_SEED).sample(tensors, min(SUBSET, len(tensors)))
    model = openvino.Core().read_model(source)
    quantized = nncf.quantize(model, nncf.Dataset(subset), subset_size=len(subset), **options)
    openvino.save_model(quantized, out)


def build(out_dir: Path, receipts: int, seed: int) -> None:
    from training_data.synth import make_dataset

    with tempfile.TemporaryDirectory() as tmp:
        make_dataset(Path(tmp), receipts, seed=seed)
        inputs = recorded_inputs(sorted(Path(tmp).glob("*.jpg")))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, source in models.fp32_models().items():
        print(f"{name}: {len(inputs[name])} tensors recorded, quantizing {source.name}")
        quantize(source, inputs[name], out_dir / models.int8_file(name), OPTIONS[name])
    print(f"int8 models written to {out_dir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=get_ocr_settings().int8_model_dir)
    parser.add_argument("--receipts", type=int, default=CALIBRATION_RECEIPTS)
    parser.add_argument("--seed", type=int, default=CALIBRATION_SEED)
    args = parser.parse_args()
    build(args.out, args.receipts, args.seed)


if __name__ == "__main__":
    main()
