"""The hard cases of the synthetic photos: each comes on request and changes only its own
aspect of the photo, so a set with a hard case holds the same receipts as one without."""

import json
import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from training_data.loop.labels import load_labels
from training_data.synth import HARD_CASES, generate_receipt
from training_data.synth.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
MERCHANTS = json.loads((ROOT / "merchants/demo_mall.json").read_text())


def photo(*hard_cases: str) -> tuple[np.ndarray, dict[str, str]]:
    image, truth = generate_receipt(
        MERCHANTS[2], random.Random(4), strength=0.3, hard_cases=hard_cases
    )
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2GRAY).astype(np.float32), truth


@pytest.fixture(scope="module")
def photos() -> dict[str, tuple[np.ndarray, dict[str, str]]]:
    """The same receipt photographed plainly ("") and with each hard case."""
    return {case: photo(case) if case else photo() for case in ("", *HARD_CASES)}


def test_a_hard_case_keeps_the_receipt_and_the_framing(photos):
    plain, truth = photos[""]
    for image, case_truth in photos.values():
        assert case_truth == truth
        assert image.shape == plain.shape


def depth_below_surroundings(image: np.ndarray) -> np.ndarray:
    return cv2.blur(image, (25, 25)) - image


def test_faded_print_is_light_grey_and_the_rest_unchanged(photos):
    plain, faded = photos[""][0], photos["faded"][0]
    ink = depth_below_surroundings(plain) > 40  # print, much darker than the paper around it
    contrast = (
        depth_below_surroundings(faded)[ink].mean() / depth_below_surroundings(plain)[ink].mean()
    )
    assert contrast < 0.6
    assert np.median(np.abs(faded - plain)) < 3


def test_shadow_darkens_part_of_the_paper_only(photos):
    plain, shadowed = photos[""][0], photos["shadow"][0]
    light = cv2.blur(shadowed, (15, 15)) / np.maximum(cv2.blur(plain, (15, 15)), 1)
    paper = plain > np.percentile(plain, 75)
    assert np.percentile(light[paper], 10) < 0.5  # deep where it falls on the paper
    assert (light > 0.95).mean() > 0.3  # but it falls on part of the picture only


def test_blur_softens_the_print(photos):
    sharpness = {case: cv2.Laplacian(photos[case][0], cv2.CV_32F).var() for case in ("", "blur")}
    assert sharpness["blur"] < 0.5 * sharpness[""]


def test_cli_labels_the_hard_cases(tmp_path):
    args = ["--out", str(tmp_path), "--n", "1", "--seed", "4", "--traps", "none"]
    assert main([*args, "--hard-case", "shadow", "--hard-case", "blur"]) == 0
    (label,) = load_labels(tmp_path / "labels.jsonl")
    assert label["hard_cases"] == ["blur", "shadow"]
    assert (tmp_path / label["file"]).is_file()


@pytest.mark.parametrize(
    ("hard_cases", "distort"), [(("glare",), True), (("faded",), False)], ids=["unknown", "flat"]
)
def test_hard_cases_that_cannot_be_made_are_refused(hard_cases, distort):
    with pytest.raises(ValueError, match="hard case"):
        generate_receipt(MERCHANTS[0], random.Random(1), hard_cases=hard_cases, distort=distort)
