"""The thermal printer: a ``Receipt`` becomes an ink mask (255 = printed dot) on paper.

Geometry follows real print heads at 8 dots/mm: 576 printable dots for 48 half-width cells
on 80 mm paper, 384 for 32 cells on 58 mm. Each character is centred in its cell, which
gives the grid alignment of label and value that POS software pads with spaces.
"""

import random
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from training_data.synth.receipt import PrintLine, Receipt, cells, char_cells

FONT_DIR = "/usr/share/fonts/opentype/noto"
FONT_INDEX_SC = 2  # Simplified Chinese face inside the Noto CJK .ttc collections
CELL = 12  # dots per half-width cell
FULL_GLYPH = 24  # font size of full-width characters: 24x24 dots
HALF_GLYPH = 20  # smaller, so Latin and digits stay inside their 12-dot cell
BASELINE = 0.88  # of the font size, from the top of the line
SIDE_MARGIN = {48: 32, 32: 40}  # paper is 640 dots (80 mm) or 464 dots (58 mm) wide
BARCODE_MODULE = 2
BARCODE_HEIGHT = 64
QR_MODULES = 25
QR_MODULE = 5


@lru_cache(maxsize=32)
def font(family: str, bold: bool, size: int) -> ImageFont.FreeTypeFont:
    weight = "Bold" if bold else "Regular"
    return ImageFont.truetype(f"{FONT_DIR}/Noto{family}CJK-{weight}.ttc", size, index=FONT_INDEX_SC)


def paper_width(receipt: Receipt) -> int:
    return receipt.columns * CELL + 2 * SIDE_MARGIN[receipt.columns]


def line_height(line: PrintLine, gap: int) -> int:
    if line.kind == "barcode":
        return BARCODE_HEIGHT + FULL_GLYPH + 2 * gap
    if line.kind == "qr":
        return (QR_MODULES + 4) * QR_MODULE + gap
    return FULL_GLYPH * line.scale + gap


def start_x(line: PrintLine, width_dots: int, receipt: Receipt) -> int:
    printable = receipt.columns * CELL
    free = max(printable - width_dots, 0)
    offset = {"left": 0, "center": free // 2, "right": free}[line.align]
    return SIDE_MARGIN[receipt.columns] + offset


def draw_text(draw: ImageDraw.ImageDraw, line: PrintLine, y: int, x: int, family: str) -> None:
    cell = CELL * line.scale
    baseline = y + round(FULL_GLYPH * line.scale * BASELINE)
    for ch in line.text:
        width = char_cells(ch) * cell
        if not ch.isspace():
            size = (FULL_GLYPH if width > cell else HALF_GLYPH) * line.scale
            draw.text(
                (x + width / 2, baseline),
                ch,
                fill=255,
                font=font(family, line.bold, size),
                anchor="ms",
            )
        x += width


def barcode_bits(payload: str) -> str:
    """A Code 128-looking bar pattern: start, 11 modules per character, stop."""
    body = "".join(format(0b10000000000 | (ord(ch) * 37 % 1024), "011b") for ch in payload)
    return "11010010000" + body + "1100011101011"


def draw_barcode(
    draw: ImageDraw.ImageDraw, line: PrintLine, y: int, receipt: Receipt, family: str
) -> None:
    bits = barcode_bits(line.text)
    module = max(1, min(BARCODE_MODULE, receipt.columns * CELL // len(bits)))
    x = start_x(line, len(bits) * module, receipt)
    for i, bit in enumerate(bits):
        if bit == "1":
            left = x + i * module
            draw.rectangle((left, y, left + module - 1, y + BARCODE_HEIGHT), fill=255)
    caption = PrintLine(line.text, align="center")
    draw_text(
        draw,
        caption,
        y + BARCODE_HEIGHT + 4,
        start_x(caption, cells(line.text) * CELL, receipt),
        family,
    )


def qr_modules(payload: str) -> list[list[bool]]:
    """Random modules seeded by the payload, with the three finder squares of a QR code."""
    rng = random.Random(payload)
    grid = [[rng.random() < 0.5 for _ in range(QR_MODULES)] for _ in range(QR_MODULES)]
    for top, left in ((0, 0), (0, QR_MODULES - 7), (QR_MODULES - 7, 0)):
        for r in range(7):
            for c in range(7):
                ring = max(abs(r - 3), abs(c - 3))
                grid[top + r][left + c] = ring != 2
    return grid


def draw_qr(draw: ImageDraw.ImageDraw, line: PrintLine, y: int, receipt: Receipt) -> None:
    x = start_x(line, QR_MODULES * QR_MODULE, receipt)
    for r, row in enumerate(qr_modules(line.text)):
        for c, dark in enumerate(row):
            if dark:
                left, top = x + c * QR_MODULE, y + r * QR_MODULE
                draw.rectangle((left, top, left + QR_MODULE - 1, top + QR_MODULE - 1), fill=255)


def render_ink(receipt: Receipt, rng: random.Random) -> Image.Image:
    """The printed paper as an ink mask; the font family and line spacing vary by POS."""
    family = rng.choice(["Serif", "Serif", "Sans"])  # most POS fonts are Song (serif) style
    gap = rng.randint(6, 12)
    top, bottom = rng.randint(30, 70), rng.randint(50, 110)
    height = top + bottom + sum(line_height(line, gap) for line in receipt.lines)
    ink = Image.new("L", (paper_width(receipt), height), 0)
    draw = ImageDraw.Draw(ink)
    y = top
    for line in receipt.lines:
        if line.kind == "barcode":
            draw_barcode(draw, line, y + gap, receipt, family)
        elif line.kind == "qr":
            draw_qr(draw, line, y + 2 * QR_MODULE, receipt)
        else:
            draw_text(
                draw, line, y, start_x(line, cells(line.text) * CELL * line.scale, receipt), family
            )
        y += line_height(line, gap)
    return ink
