import json
import subprocess
import sys
from pathlib import Path

import pytest
from ocr_receipt_images import jpeg_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ocr", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.ocr
def test_read_json_prints_lines_with_scores_and_boxes(paper, tmp_path):
    image = tmp_path / "receipt.jpg"
    image.write_bytes(jpeg_bytes(paper))
    done = run_cli("read", str(image), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {"lines", "ms"}
    assert out["ms"] > 0
    for line in out["lines"]:
        assert set(line) == {"text", "score", "box"}
        assert 0 <= line["score"] <= 1
        assert len(line["box"]) == 4 and all(len(point) == 2 for point in line["box"])
    assert "星巴克咖啡万达广场店" in [line["text"] for line in out["lines"]]


def test_read_rejects_a_text_file_with_exit_code_2(tmp_path):
    bogus = tmp_path / "receipt.jpg"
    bogus.write_text("不是图片")
    done = run_cli("read", str(bogus))
    assert done.returncode == 2
    assert done.stderr.startswith("image_unsupported_type: ")
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_read_reports_a_missing_file_with_exit_code_2(tmp_path):
    done = run_cli("read", str(tmp_path / "missing.jpg"))
    assert done.returncode == 2
    assert done.stderr.startswith("image_unreadable: ")
