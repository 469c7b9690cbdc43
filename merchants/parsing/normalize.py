"""Text normalisation shared by template extraction and merchant recognition.

OCR text arrives with full-width characters, stray spaces inside Chinese words and
letters misread for digits. Everything that reads receipt text goes through here so
that labels, values and merchant names are compared in one canonical form.
"""

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# Characters NFKC leaves alone but receipts use interchangeably with ASCII ones (OCR also
# reads a dash as a tilde: 05~05-17).
_EXTRA_FOLDS = str.maketrans(
    {"\u3002": ".", "\u3001": ",", "\u2014": "-", "\u2013": "-", "\u2212": "-", "~": "-",
     "\u301c": "-"}
)
_SPACES = re.compile(r"\s+")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_NOT_WORD = re.compile(rf"[^0-9a-z{_CJK}]+")

CJK_CHARS = _CJK


def normalize_text(text: str) -> str:
    """NFKC (full-width to half-width), unify dashes and stops, collapse spaces.

    Spaces between two CJK characters are removed: receipts space out labels
    (``合   计``) and OCR inserts spaces inside Chinese words.
    """
    text = unicodedata.normalize("NFKC", text).translate(_EXTRA_FOLDS)
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_BETWEEN_CJK.sub("", text)


def fold(text: str) -> str:
    """Lower-case letters, digits and CJK only: the form fuzzy name matching compares."""
    return _NOT_WORD.sub("", normalize_text(text).lower())


def fold_words(text: str) -> str:
    """Like :func:`fold` but keeps single spaces between words (for word-boundary checks)."""
    return _NOT_WORD.sub(" ", normalize_text(text).lower()).strip()


def fix_digit_confusions(text: str, confusions: Mapping[str, str]) -> str:
    """Replace letters misread for digits, only inside tokens that look like numbers.

    ``1O8.00`` becomes ``108.00`` while ``TOTAL`` and ``O.C. WHITE`` stay as printed.
    """
    if not confusions:
        return text
    table = str.maketrans(dict(confusions))
    return _numeric_token("".join(sorted(confusions))).sub(
        lambda m: m.group(0).translate(table), text
    )


@lru_cache(maxsize=8)
def _numeric_token(confusable: str) -> re.Pattern[str]:
    """A number as OCR may print it: digits, a decimal part, and letters misread for digits."""
    chars = "0-9" + re.escape(confusable)
    return re.compile(rf"(?<![A-Za-z])[{chars}]*[0-9][{chars}]*(?:[.,][{chars}]+)+(?![A-Za-z])")
