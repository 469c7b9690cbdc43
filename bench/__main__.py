"""`make bench`: seconds per receipt end to end (decode → decision), the OCR backend's share
of it, peak RSS of one worker and lines found, for onnxruntime and OpenVINO side by side, in
one run on the same generated phone photos; int8 too where ``make int8`` has built its
models.

Each configuration is a worker process (``bench.ocr_speed``); the workers take the receipts
in turn, one receipt at a time and in a rotating order, so that the load of other jobs on the
machine falls on all of them alike. The reference is the PP-OCRv6 small detector and
recogniser on onnxruntime, one thread: the issue's target is the shipping default, one thread,
at most a quarter of its time. The paddleocr backend runs where the ``paddle`` extra is
installed and RP_OCR_PADDLE_MODEL_DIR names its models (``python -m ocr.paddle_models``).
"""

import importlib.util
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

RECEIPTS = 16
INT8_PRECISIONS = ("int8_det", "int8")
SEED = 7
TARGET_VS_REFERENCE = 0.25
TARGET_PER_OCR = 1.15
TARGET_PEAK_MB = 600


@dataclass(frozen=True)
class Config:
    name: str
    env: dict[str, str]


@dataclass
class Worker:
    config: Config
    process: subprocess.Popen
    runtime: str = "?"
    seconds: list[float] = field(default_factory=list)
    read_seconds: list[float] = field(default_factory=list)
    lines: int = 0
    peak_mb: float = 0.0

    def ask(self, image: Path) -> dict:
        self.process.stdin.write(f"{image}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def read(self, image: Path) -> None:
        reply = self.ask(image)
        self.seconds.append(reply["seconds"])
        self.read_seconds.append(reply["read_seconds"])
        self.lines += reply["lines"]

    def finish(self) -> None:
        self.process.stdin.close()
        self.peak_mb = json.loads(self.process.stdout.readline())["peak_rss_mb"]
        self.process.wait()


def configs() -> list[Config]:
    """The reference and the same models on OpenVINO; the shipping default settings on
    onnxruntime and as shipped (``auto``), at one and two threads; at one thread with the
    int8 models where they are built; paddleocr where it runs."""
    found = [
        Config("small det+rec (reference)", runtime_env("onnxruntime", 1, "small")),
        Config("small det+rec", runtime_env("openvino", 1, "small")),
    ]
    for threads, runtime in itertools.product((1, 2), ("onnxruntime", "auto")):
        found.append(Config("default", runtime_env(runtime, threads)))
    if int8_missing() is None:
        for precision in INT8_PRECISIONS:
            env = runtime_env("openvino", 1) | {"RP_OCR_PRECISION": precision}
            found.append(Config(f"default {precision}", env))
    if paddle_missing() is None:
        found.append(Config("paddleocr", {"RP_OCR_BACKEND": "paddleocr", "RP_OCR_THREADS": "1"}))
    return found


def runtime_env(runtime: str, threads: int, rec_model: str | None = None) -> dict[str, str]:
    env = {"RP_OCR_BACKEND": "rapidocr", "RP_OCR_RUNTIME": runtime, "RP_OCR_THREADS": f"{threads}"}
    return env | ({"RP_OCR_REC_MODEL": rec_model} if rec_model else {})


def int8_missing() -> str | None:
    """Why the int8 models cannot be read here, or None."""
    from ocr.backends.models import INT8_MODELS, int8_file
    from ocr.settings import get_ocr_settings

    folder = get_ocr_settings().int8_model_dir
    missing = [name for name in INT8_MODELS["int8"] if not (folder / int8_file(name)).is_file()]
    return f"not built in {folder} (make int8)" if missing else None


def paddle_missing() -> str | None:
    """Why the paddleocr backend cannot run here, or None."""
    from ocr.settings import get_ocr_settings

    if importlib.util.find_spec("paddleocr") is None:
        return "not installed (pip install '.[paddle]' for it)"
    if get_ocr_settings().paddle_model_dir is None:
        return "no models: set RP_OCR_PADDLE_MODEL_DIR (python -m ocr.paddle_models)"
    return None


def start(config: Config, warm_up: Path) -> Worker:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.ocr_speed"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | config.env,
    )
    worker = Worker(config, process)
    worker.runtime = worker.ask(warm_up)["runtime"]
    return worker


def run(images: list[Path]) -> list[Worker]:
    """Every configuration reads every image but the first (the warm-up), interleaved."""
    workers = [start(config, images[0]) for config in configs()]
    for i, image in enumerate(images[1:]):
        for worker in workers[i % len(workers) :] + workers[: i % len(workers)]:
            worker.read(image)
    for worker in workers:
        worker.finish()
    return workers


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.9 * (len(ordered) - 1))]


def row(worker: Worker, reference: Worker) -> str:
    median = statistics.median(worker.seconds)
    share = sum(worker.read_seconds) / sum(worker.seconds)
    label = f"{worker.config.name} [{worker.config.env.get('RP_OCR_RUNTIME', '-')}]"
    return (
        f"{label:<40} {worker.runtime:<11} {worker.config.env['RP_OCR_THREADS']:>3} "
        f"{median:>8.3f} {p90(worker.seconds):>7.3f} {share:>6.0%} {1 / share:>7.2f} "
        f"{worker.peak_mb:>8.0f} {worker.lines:>6} "
        f"{ratio(worker, reference):>7.2f}"
    )


def runtime_ratios(workers: list[Worker]) -> list[str]:
    """OpenVINO / onnxruntime median seconds for each configuration run on both, and int8 /
    fp32 on OpenVINO for the default one."""
    by_key = {(w.config.name, w.config.env["RP_OCR_THREADS"], w.runtime): w for w in workers}
    lines = []
    for (name, threads, runtime), ov in by_key.items():
        ort = by_key.get((name, threads, "onnxruntime"))
        if runtime == "openvino" and ort:
            lines.append(f"OpenVINO / onnxruntime, {name}, {threads} thread(s): {ratio(ov, ort):.2f}")
    fp32 = by_key.get(("default", "1", "openvino"))
    for precision in INT8_PRECISIONS:
        if fp32 and (int8 := by_key.get((f"default {precision}", "1", "openvino"))):
            lines.append(f"{precision} / fp32 on OpenVINO, default, 1 thread: {ratio(int8, fp32):.2f}")
    return lines


def ratio(worker: Worker, other: Worker) -> float:
    return statistics.median(worker.seconds) / statistics.median(other.seconds)


def verdicts(workers: list[Worker]) -> list[str]:
    reference = workers[0]
    shipping = next(w for w in workers if w.config.env.get("RP_OCR_RUNTIME") == "auto")  # 1 thread
    vs_reference = ratio(shipping, reference)
    per_ocr = sum(shipping.seconds) / sum(shipping.read_seconds)
    return [
        f"shipping default / reference, 1 thread: {vs_reference:.2f} (<= {TARGET_VS_REFERENCE})",
        f"shipping default, end to end / OCR: {per_ocr:.2f} (<= {TARGET_PER_OCR})",
        f"shipping default, worker peak RSS: {shipping.peak_mb:.0f} MB (<= {TARGET_PEAK_MB})",
    ]


def report(workers: list[Worker]) -> None:
    print(
        f"{'configuration [RP_OCR_RUNTIME]':<40} {'runs on':<11} {'thr':>3} {'median s':>8} "
        f"{'p90 s':>7} {'OCR':>6} {'e2e/OCR':>7} {'peak MB':>8} {'lines':>6} {'vs ref':>7}"
    )
    for worker in workers:
        print(row(worker, workers[0]))
    if reason := int8_missing():
        print(f"int8: {reason}")
    if reason := paddle_missing():
        print(f"paddleocr: {reason}")
    print("\n".join(["", *runtime_ratios(workers), *verdicts(workers)]))


def main() -> None:
    from training_data.synth import make_dataset

    with tempfile.TemporaryDirectory() as tmp:
        make_dataset(Path(tmp), RECEIPTS + 1, seed=SEED)
        images = sorted(Path(tmp).glob("*.jpg"))
        print(f"{len(images) - 1} generated phone photos (seed {SEED}), decode → decision\n")
        report(run(images))


if __name__ == "__main__":
    main()
