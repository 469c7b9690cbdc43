"""Typed results of the OCR stage. Coordinates are in the prepared image's pixels."""

from dataclasses import dataclass, field

Box = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class OcrLine:
    """One detected text box: its text, the recogniser's score in [0,1] and its corners."""

    text: str
    score: float
    box: Box

    @property
    def top(self) -> float:
        return min(p[1] for p in self.box)

    @property
    def bottom(self) -> float:
        return max(p[1] for p in self.box)

    @property
    def left(self) -> float:
        return min(p[0] for p in self.box)


@dataclass(frozen=True)
class Row:
    """One visual line of the receipt: boxes on the same baseline joined left to right.

    ``score`` is the lowest score of the joined boxes (a row is as trustworthy as its
    weakest part).
    """

    text: str
    score: float = 1.0


@dataclass
class OcrResult:
    """``ms``: the whole time to these lines. ``read_ms``: the part of it the backend spent
    reading the image (detection and recognition, each read of a turned page included); the
    rest is decoding, preparing and orientation probes."""

    lines: list[OcrLine] = field(default_factory=list)
    ms: float = 0.0
    read_ms: float = 0.0

    def __len__(self) -> int:
        return len(self.lines)

    def to_dict(self) -> dict:
        return {
            "lines": [
                {"text": ln.text, "score": round(ln.score, 4), "box": [list(p) for p in ln.box]}
                for ln in self.lines
            ],
            "ms": round(self.ms, 1),
        }
