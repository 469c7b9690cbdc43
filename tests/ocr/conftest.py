import pytest
from ocr_receipt_images import Photo, photograph, render_receipt
from PIL import Image

from ocr.settings import OcrSettings


@pytest.fixture(scope="session")
def settings() -> OcrSettings:
    # Built explicitly so that RP_OCR_* variables of the machine cannot change the tests.
    return OcrSettings(_env_file=None)


@pytest.fixture(scope="session")
def paper() -> Image.Image:
    """The receipt as a clean scan: only the paper, upright."""
    return render_receipt()


@pytest.fixture(scope="session")
def photo(paper: Image.Image) -> Photo:
    """A phone-like photo of the receipt on a dark cluttered table, tilted 5 degrees."""
    return photograph(paper, size=(900, 1600), angle=5, seed=3)
