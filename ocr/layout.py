"""Join OCR boxes into the visual rows of the receipt."""

from dataclasses import dataclass, field

from ocr.types import OcrLine, Row

# Two boxes sit on one row when their vertical spans overlap by at least this share of the
# lower box's height. Half tolerates a little residual skew without merging adjacent rows.
MIN_ROW_OVERLAP = 0.5


@dataclass
class _RowBuilder:
    lines: list[OcrLine] = field(default_factory=list)

    @property
    def top(self) -> float:
        return sum(ln.top for ln in self.lines) / len(self.lines)

    @property
    def bottom(self) -> float:
        return sum(ln.bottom for ln in self.lines) / len(self.lines)

    def takes(self, line: OcrLine) -> bool:
        overlap = min(self.bottom, line.bottom) - max(self.top, line.top)
        shorter = min(self.bottom - self.top, line.bottom - line.top)
        return overlap >= MIN_ROW_OVERLAP * shorter

    def build(self) -> Row:
        ordered = sorted(self.lines, key=lambda ln: ln.left)
        return Row(
            text=" ".join(ln.text for ln in ordered),
            score=min(ln.score for ln in ordered),
        )


def group_rows(lines: list[OcrLine]) -> list[Row]:
    """Rows top to bottom; within a row, boxes left to right joined by one space. A row's
    score is the lowest of its boxes' scores."""
    rows: list[_RowBuilder] = []
    for line in sorted(lines, key=lambda ln: (ln.top + ln.bottom) / 2):
        if rows and rows[-1].takes(line):
            rows[-1].lines.append(line)
        else:
            rows.append(_RowBuilder([line]))
    return [row.build() for row in rows]
