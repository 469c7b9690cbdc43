"""Which registered store printed this receipt, from its OCR rows.

Names, aliases and English names are folded once (lower case, no punctuation, no
legal suffixes such as ``SDN BHD`` / ``有限公司``) and compared with rapidfuzz against
the top and bottom rows of the receipt and against each pair of adjacent rows (long
names wrap). A shop number or a payment merchant id printed on the receipt is
strong evidence on its own. The result names no store when nothing scores high
enough: an unknown store is a valid answer, never a forced guess.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from merchants.parsing.confidence import confidence
from merchants.parsing.normalize import CJK_CHARS, fold_words, normalize_text
from merchants.types import MerchantMatch, MerchantProfile
from ocr.types import Row

MIN_SCORE = 85.0  # below this no store is named, unless it is a probable one:
# OCR garbled the name (UAN HING for LIAN HING, MR.D.1.Y.) yet it leads every other store
# clearly. Named so the desk finds it pre-filled, never sure enough to approve alone.
PROBABLE_SCORE = 75.0
PROBABLE_MARGIN = 8.0
PROBABLE_CONFIDENCE_CAP = 0.8
PARTIAL_CUTOFF = 60.0  # fuzzy scores below this are not looked at
TOP_ROWS = 12  # store names are printed at the top …
BOTTOM_ROWS = 4  # … or in the closing line (谢谢光临 …)
# Rows below the first few weigh less: names further down are often another party's
# (the customer billed, the owning company).
ROW_WEIGHT_FLOOR = 0.85
ROW_WEIGHT_START = 2
ROW_WEIGHT_STEP = 0.02
SHORT_LATIN = 4  # names this short (KFC, MUJI) must be whole words
SHORT_CJK = 2  # names this short (喜茶) must start a word
COMMON_WORD_MIN_NAMES = 3  # a word in this many names (RESTAURANT, TRADING) identifies none
ID_SCORE = 100.0  # a shop number or payment merchant id printed on the receipt
MIN_ID_LENGTH = 4  # shorter ids are too easily found by chance
CONFIDENCE_SCORE_FLOOR = 75.0  # a score this low gives no confidence at all
CONFIDENCE_FULL_MARGIN = 20.0  # a lead this large over the runner-up counts in full
SIGNAL_MARGIN_CAP = 50.0
RIVAL_WEIGHT_STEP = 0.03
RIVAL_WEIGHT_FLOOR = 0.7

_LEGAL_WORDS = re.compile(
    r"\b(?:sdn|bhd|berhad|s b|m|malaysia|co|company|ltd|limited|inc|llc|plc|pte|corp)\b"
)
_LEGAL_CJK = re.compile(r"(?:股份)?有限(?:责任)?公司|分公司")
_LONG_NUMBERS = re.compile(r"\d{5,}")  # registration and phone numbers next to names
_INITIALS_GAP = re.compile(r"(?<=\b[a-z]) (?=[a-z]\b)")  # S&Y → sy, D.I.Y. → diy
_GREETINGS = re.compile(r"欢迎光临|欢迎惠顾|谢谢惠顾|谢谢光临|welcome to|thank you")
_CJK = re.compile(f"[{CJK_CHARS}]")
_ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]")
_PRICE = re.compile(r"\d\.\d{2}(?!\d)")


def name_key(text: str) -> str:
    """The folded form names are compared in: no punctuation, legal suffix or greeting."""
    return _name_words(text).replace(" ", "")


def _name_words(text: str) -> str:
    words = _GREETINGS.sub(" ", fold_words(text))
    words = _LEGAL_WORDS.sub(" ", _LEGAL_CJK.sub(" ", _LONG_NUMBERS.sub(" ", words)))
    return _INITIALS_GAP.sub("", " ".join(words.split()))


def id_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


@dataclass(frozen=True)
class _Text:
    """A row, or two adjacent rows, as compared with the names."""

    key: str
    words: str  # folded with word spaces kept, for whole-word checks
    raw: str
    ocr_score: float
    weight: float
    row: int  # the index of its (first) row on the receipt


@dataclass(frozen=True)
class _Hit:
    merchant: int
    score: float
    text: _Text
    by_id: bool = False  # a shop number or payment merchant id, not a name


class MerchantIndex:
    """Precomputed folded names of the registry; ``recognize`` is then cheap per receipt."""

    def __init__(self, merchants: Sequence[MerchantProfile], *, min_score: float = MIN_SCORE):
        self.merchants = tuple(merchants)
        self.min_score = min_score
        entries = sorted(
            {(_name_words(n), i) for i, m in enumerate(self.merchants) for n in _names(m)}
        )
        entries = [(words, i) for words, i in entries if words]
        self._keys = [words.replace(" ", "") for words, _ in entries]
        self._cores = _distinctive_cores([words for words, _ in entries])
        self._owner = np.array([i for _, i in entries], dtype=np.int64)
        self._lengths = np.array([len(k) for k in self._keys], dtype=np.float64)
        self._short = [_is_short(k) for k in self._keys]
        self._shadows = _shadows(self._keys, self._owner)
        self._ids = {
            id_key(code): i
            for i, m in enumerate(self.merchants)
            for code in (m.shop_no, *m.payment_merchant_ids)
            if code and len(id_key(code)) >= MIN_ID_LENGTH
        }

    def recognize(self, rows: Sequence[Row]) -> MerchantMatch:
        """The best store, its score (0..100), its lead over the best other store and a
        confidence in [0, 1] from score, lead and the OCR score of the matching row.

        Below ``min_score`` no store is named, except a probable one (see
        ``PROBABLE_SCORE``) whose confidence is capped; ``score`` and ``evidence`` then
        describe the nearest miss and ``confidence`` is how sure the receipt is from no
        registered store (1 − score / 100).
        """
        best = self._best_per_merchant(rows)
        if not best:
            return MerchantMatch(merchant_id=None, name=None, score=0.0, margin=0.0, confidence=1.0)
        ranked = sorted(best.values(), key=lambda h: -h.score)
        top, runner_up = ranked[0], (ranked[1] if len(ranked) > 1 else None)
        margin = top.score - (_rival_score(runner_up, top) if runner_up else 0.0)
        probable = top.score < self.min_score
        if probable and not (top.score >= PROBABLE_SCORE and margin >= PROBABLE_MARGIN):
            return MerchantMatch(
                merchant_id=None,
                name=None,
                score=round(top.score, 1),
                margin=round(margin, 1),
                confidence=round(1.0 - top.score / 100.0, 3),
                evidence=top.text.raw,
            )
        merchant = self.merchants[top.merchant]
        found = _signals(top, margin)
        sure = confidence(
            "merchant", found, _hand_set_confidence(top.score, margin, top.text.ocr_score)
        )
        return MerchantMatch(
            merchant_id=merchant.id,
            name=merchant.name,
            score=round(top.score, 1),
            margin=round(margin, 1),
            confidence=min(sure, PROBABLE_CONFIDENCE_CAP) if probable else sure,
            evidence=top.text.raw,
            signals=found,
        )

    def _best_per_merchant(self, rows: Sequence[Row]) -> dict[int, _Hit]:
        best: dict[int, _Hit] = {}
        for hit in [*self._name_hits(_texts(rows)), *self._id_hits(rows)]:
            if hit.merchant not in best or hit.score > best[hit.merchant].score:
                best[hit.merchant] = hit
        return best

    def _name_hits(self, texts: list[_Text]) -> list[_Hit]:
        if not texts or not self._keys:
            return []
        keys = [t.key for t in texts]
        ratio = process.cdist(keys, self._keys, scorer=fuzz.ratio, dtype=np.float64)
        partial = process.cdist(
            keys,
            self._keys,
            scorer=fuzz.partial_ratio,
            score_cutoff=PARTIAL_CUTOFF,
            dtype=np.float64,
        )
        text_lengths = np.array([[len(k)] for k in keys], dtype=np.float64)
        # A fragment shorter than the name may not score as a full match, and a long row
        # that merely contains the name scores a little below the name printed alone.
        coverage = 0.9 + 0.1 * np.minimum(1.0, self._lengths / text_lengths)
        partial = np.where(text_lengths >= self._lengths, partial * coverage, 0.0)
        scores = np.maximum(ratio, partial)
        hits: list[_Hit] = []
        rows_hit, names_hit = np.nonzero(scores >= PARTIAL_CUTOFF)
        for t, n in zip(rows_hit.tolist(), names_hit.tolist(), strict=True):
            text = texts[t]
            score = self._checked(text, n, float(scores[t, n]), float(ratio[t, n]))
            hits.append(_Hit(int(self._owner[n]), score * text.weight, text))
        return hits

    def _checked(self, text: _Text, name: int, score: float, ratio: float) -> float:
        """Cap partial matches of short names inside other words, of names whose
        distinctive words are missing (only ``RESTAURANT`` matched) and of names that are
        part of a longer registered name printed in full (太平鸟 inside 太平鸟童装)."""
        key = self._keys[name]
        if self._short[name] and not _stands_alone(key, text):
            score = ratio
        core = self._cores[name]
        if core:
            score = min(score, _core_score(core, text))
        for longer in self._shadows[name]:
            if self._keys[longer] in text.key:
                score = min(score, fuzz.ratio(key, self._keys[longer]))
        return score

    def _id_hits(self, rows: Sequence[Row]) -> list[_Hit]:
        hits: list[_Hit] = []
        for index, row in enumerate(rows):
            for token in _ID_TOKEN.findall(normalize_text(row.text)):
                merchant = self._ids.get(id_key(token))
                if merchant is not None:
                    text = _Text(id_key(token), token, row.text, row.score, 1.0, index)
                    hits.append(_Hit(merchant, ID_SCORE, text, by_id=True))
        return hits


def recognize(rows: Sequence[Row], merchants: Sequence[MerchantProfile]) -> MerchantMatch:
    """One-off recognition; build a :class:`MerchantIndex` once to recognise many receipts."""
    return MerchantIndex(merchants).recognize(rows)


def _names(merchant: MerchantProfile) -> list[str]:
    return [
        merchant.name,
        *merchant.aliases,
        *([merchant.english_name] if merchant.english_name else []),
    ]


def _distinctive_cores(names: list[str]) -> list[tuple[str, ...]]:
    """The words of each name that few registered names share; () when the name has
    no common word (then the whole name is its core) or only common words."""
    counts: dict[str, int] = {}
    for words in set(names):
        for word in set(words.split()):
            counts[word] = counts.get(word, 0) + 1
    cores: list[tuple[str, ...]] = []
    for words in names:
        rare = tuple(w for w in words.split() if counts[w] < COMMON_WORD_MIN_NAMES)
        cores.append(rare if len(rare) < len(words.split()) else ())
    return cores


def _core_score(core: tuple[str, ...], text: _Text) -> float:
    """How well the distinctive words are found in the text (weighted by length)."""
    found = sum(len(word) * fuzz.partial_ratio(word, text.key) for word in core)
    return found / sum(len(word) for word in core)


def _is_short(key: str) -> bool:
    return len(key) <= (SHORT_CJK if _CJK.search(key) else SHORT_LATIN)


def _stands_alone(key: str, text: _Text) -> bool:
    """A short name as a whole word (Latin), or starting a word of a row without prices
    (CJK: 小米 in 小米之家, not in 小米粥 8.00)."""
    if _CJK.search(key):
        position = text.key.find(key)
        starts_word = position == 0 or (position > 0 and not _CJK.match(text.key[position - 1]))
        return starts_word and not _PRICE.search(normalize_text(text.raw))
    return re.search(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])", text.words) is not None


def _shadows(keys: list[str], owner: np.ndarray) -> list[list[int]]:
    """For each name, the longer names of other merchants that contain it."""
    return [
        [
            j
            for j, longer in enumerate(keys)
            if len(longer) > len(key) and key in longer and owner[j] != owner[i]
        ]
        for i, key in enumerate(keys)
    ]


def _texts(rows: Sequence[Row]) -> list[_Text]:
    positions = sorted(
        set(range(min(TOP_ROWS, len(rows))))
        | set(range(max(0, len(rows) - BOTTOM_ROWS), len(rows)))
    )
    texts: list[_Text] = []
    for i in positions:
        texts.append(_text(rows, i, 1))
        if i + 1 < len(rows):
            texts.append(_text(rows, i, 2))
    return [t for t in texts if t.key]


def _text(rows: Sequence[Row], first: int, count: int) -> _Text:
    """Rows ``first`` .. ``first + count - 1`` read as one text."""
    joined = rows[first : first + count]
    raw = " ".join(r.text for r in joined)
    words = _GREETINGS.sub(" ", fold_words(raw))
    return _Text(
        name_key(raw), words, raw, min(r.score for r in joined), _row_weight(first), first
    )


def _row_weight(index: int) -> float:
    return max(ROW_WEIGHT_FLOOR, 1.0 - ROW_WEIGHT_STEP * max(0, index - ROW_WEIGHT_START))


def _rival_score(runner_up: _Hit, top: _Hit) -> float:
    """The runner-up's score as a rival of the top store: less the further below the top
    store's name it is printed (a customer billed, the owning company, the mall in an
    address), in full beside it (two names of one chain in the header)."""
    rows_below = max(0, runner_up.text.row - top.text.row - 1)
    return runner_up.score * max(RIVAL_WEIGHT_FLOOR, 1.0 - RIVAL_WEIGHT_STEP * rows_below)


def _signals(top: _Hit, margin: float) -> dict[str, float]:
    """Score and lead scaled to about [0, 1]; a printed shop number or payment id."""
    return {
        "score": round((top.score - MIN_SCORE) / (100.0 - MIN_SCORE), 4),
        "margin": round(min(margin, SIGNAL_MARGIN_CAP) / SIGNAL_MARGIN_CAP, 4),
        "ocr": round(top.text.ocr_score, 4),
        "by_id": float(top.by_id),
    }


def _hand_set_confidence(score: float, margin: float, ocr_score: float) -> float:
    strength = min(
        1.0, max(0.0, (score - CONFIDENCE_SCORE_FLOOR) / (100.0 - CONFIDENCE_SCORE_FLOOR))
    )
    distinct = min(1.0, max(0.0, margin / CONFIDENCE_FULL_MARGIN))
    return round(strength * (0.6 + 0.4 * distinct) * (0.7 + 0.3 * ocr_score), 3)
