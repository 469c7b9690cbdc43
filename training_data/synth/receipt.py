"""A receipt as the POS sends it to the printer: lines of text on a grid of character cells.

Thermal printers print in a fixed grid: a half-width character (digits, Latin) takes one
cell, a full-width one (Han, full-width punctuation) two. Labels and values are aligned with
spaces on that grid, which is why receipts look monospaced.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Align = Literal["left", "center", "right"]
Kind = Literal["text", "barcode", "qr"]


@dataclass(frozen=True)
class PrintLine:
    text: str = ""
    align: Align = "left"
    scale: int = 1  # 2 = the printer's double-width, double-height font
    bold: bool = False
    kind: Kind = "text"


@dataclass(frozen=True)
class Receipt:
    """The printed lines, the facts they state, and the paper they go on."""

    lines: tuple[PrintLine, ...]
    truth: dict[str, str]
    layout: str
    columns: int  # half-width cells per line: 48 on 80 mm paper, 32 on 58 mm


def char_cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def cells(text: str) -> int:
    return sum(char_cells(ch) for ch in text)


def fit(text: str, width: int) -> str:
    """Cut ``text`` to at most ``width`` cells."""
    out, used = [], 0
    for ch in text:
        used += char_cells(ch)
        if used > width:
            break
        out.append(ch)
    return "".join(out)


def pad(text: str, width: int, align: Align = "left") -> str:
    text = fit(text, width)
    room = width - cells(text)
    if align == "right":
        return " " * room + text
    if align == "center":
        return " " * (room // 2) + text + " " * (room - room // 2)
    return text + " " * room


def wrap(text: str, width: int) -> list[str]:
    """Break a line the way the printer does: at the cell limit, wherever that falls."""
    lines, current = [], ""
    for ch in text:
        if cells(current) + char_cells(ch) > width:
            lines.append(current)
            current = ""
        current += ch
    return [*lines, current]


class ReceiptBuilder:
    """Collects print lines for a paper ``columns`` cells wide."""

    def __init__(self, columns: int, colon: str = ":"):
        self.columns = columns
        self.colon = colon
        self.lines: list[PrintLine] = []

    def text(
        self, text: str = "", *, align: Align = "left", scale: int = 1, bold: bool = False
    ) -> None:
        for part in wrap(text, self.columns // scale):
            self.lines.append(PrintLine(part, align=align, scale=scale, bold=bold))

    def center(self, text: str, *, scale: int = 1, bold: bool = False) -> None:
        self.text(text, align="center", scale=scale, bold=bold)

    def field(self, label: str, value: str) -> None:
        """``label: value`` from the left edge; the value goes below when it does not fit."""
        line = f"{label}{self.colon}{value}"
        if cells(line) <= self.columns:
            self.text(line)
        else:
            self.text(f"{label}{self.colon}")
            self.text(value, align="right")

    def pair(self, label: str, value: str, *, bold: bool = False) -> None:
        """``label:`` on the left, ``value`` flush right on the same line."""
        left = f"{label}{self.colon}"
        if cells(left) + cells(value) + 1 > self.columns:
            self.text(left, bold=bold)
            self.text(value, align="right", bold=bold)
        else:
            self.text(left + pad(value, self.columns - cells(left), "right"), bold=bold)

    def two_fields(self, first: tuple[str, str], second: tuple[str, str]) -> None:
        """Two short ``label: value`` fields on one line when they fit, else on two."""
        left = f"{first[0]}{self.colon}{first[1]}"
        right = f"{second[0]}{self.colon}{second[1]}"
        if cells(left) + cells(right) + 2 <= self.columns:
            self.text(pad(left, self.columns - cells(right)) + right)
        else:
            self.text(left)
            self.text(right)

    def row(self, parts: Sequence[tuple[str, int, Align]]) -> None:
        """Fixed-width columns, e.g. item name, quantity, price, amount."""
        self.text("".join(pad(text, width, align) for text, width, align in parts))

    def rule(self, char: str = "-") -> None:
        self.text(char * (self.columns // cells(char)))

    def blank(self) -> None:
        self.text("")

    def barcode(self, payload: str) -> None:
        self.lines.append(PrintLine(payload, align="center", kind="barcode"))

    def qr(self, payload: str) -> None:
        self.lines.append(PrintLine(payload, align="center", kind="qr"))
