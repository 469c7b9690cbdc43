"""Synthetic receipt images for the OCR tests: a printed receipt, and a phone photo of it.

Self-contained on purpose (PIL + Noto CJK, seeded randomness); training_data/ will get the
fuller generator.
"""

import io
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_INDEX_SC = 2
PAPER_WIDTH = 576  # dots across an 80 mm thermal print head
MARGIN = 28
LINE_GAP = 14

RECEIPT_LINES: tuple[str, ...] = (
    "星巴克咖啡 万达广场店",
    "门店编号: 1F-023",
    "单号: 20261120-0087",
    "日期: 2026-11-20 14:32:05",
    "收银员: 王芳",
    "--------------------------------",
    "拿铁(大杯)          1     36.00",
    "美式咖啡            2     60.00",
    "蓝莓麦芬            1     32.00",
    "燕麦拿铁(中杯)      1     38.00",
    "抹茶星冰乐          1     42.00",
    "可颂                2     36.00",
    "--------------------------------",
    "商品数量: 8",
    "合计:                    244.00",
    "优惠:                    -16.00",
    "实收:                   ¥228.00",
    "支付方式: 微信支付",
    "交易流水: 4200001892202611201432",
    "--------------------------------",
    "地址: 万达广场一层 1F-023",
    "电话: 021-6888 1234",
    "发票请于30日内凭小票开具",
    "会员积分请扫描小票二维码",
    "谢谢惠顾 欢迎再次光临",
)


def load_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, size, index=FONT_INDEX_SC)


def render_receipt(lines: tuple[str, ...] = RECEIPT_LINES, font_size: int = 24) -> Image.Image:
    """The receipt as printed: black text on white paper, one text line per entry."""
    font = load_font(font_size)
    line_height = font_size + LINE_GAP
    height = 2 * MARGIN + line_height * len(lines)
    paper = Image.new("RGB", (PAPER_WIDTH, height), "white")
    draw = ImageDraw.Draw(paper)
    for i, text in enumerate(lines):
        draw.text((MARGIN, MARGIN + i * line_height), text, fill=(20, 20, 20), font=font)
    return paper


def cluttered_background(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A dark wood-ish table with a few darker and mid-grey objects on it."""
    width, height = size
    base = np.full((height, width, 3), (62, 48, 38), np.float32)
    grain = np.sin(np.linspace(0, 40, height))[:, None, None] * 10
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 8, (height, width, 3))
    table = Image.fromarray(np.clip(base + grain + noise, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(table)
    for _ in range(6):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(40, 160)
        shade = rng.randrange(20, 120)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(shade, shade - 10, shade + 5))
    return table


@dataclass(frozen=True)
class Photo:
    image: Image.Image
    paper_box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the paper in the photo


def photograph(
    paper: Image.Image,
    *,
    size: tuple[int, int] = (1200, 2400),
    angle: float = 0.0,
    paper_share: float = 0.78,
    seed: int = 0,
) -> Photo:
    """The paper photographed from above on a dark table: scaled, tilted ``angle`` degrees
    counter-clockwise, slightly keystoned, unevenly lit and soft."""
    rng = random.Random(seed)
    cos, sin = abs(np.cos(np.radians(angle))), abs(np.sin(np.radians(angle)))
    tilted_w = paper.width * cos + paper.height * sin
    tilted_h = paper.width * sin + paper.height * cos
    scale = min(size[0] * 0.9 / tilted_w, size[1] * paper_share / tilted_h)
    paper = paper.resize((round(paper.width * scale), round(paper.height * scale)), Image.LANCZOS)
    paper = keystone(paper, rng)
    mask = keystone_mask(paper)
    paper = paper.rotate(angle, expand=True, resample=Image.BICUBIC, fillcolor="black")
    mask = mask.rotate(angle, expand=True, resample=Image.BICUBIC)
    photo = cluttered_background(size, rng)
    offset = ((size[0] - paper.width) // 2, (size[1] - paper.height) // 2)
    photo.paste(paper, offset, mask)
    x0, y0, x1, y1 = mask.getbbox() or (0, 0, 0, 0)
    box = (x0 + offset[0], y0 + offset[1], x1 + offset[0], y1 + offset[1])
    return Photo(uneven_light(photo).filter(ImageFilter.GaussianBlur(1.0)), box)


def keystone(paper: Image.Image, rng: random.Random) -> Image.Image:
    """The top edge a little narrower than the bottom, as seen by a phone held at a slant."""
    inset = paper.width * rng.uniform(0.03, 0.06)
    w, h = paper.size
    # PIL's perspective coefficients map output to input; solve them from four corners.
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    dst = [(inset, 0), (w - inset, 0), (w, h), (0, h)]
    coeffs = perspective_coefficients(dst, src)
    return paper.transform(paper.size, Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor="black")


def keystone_mask(paper: Image.Image) -> Image.Image:
    grey = np.asarray(paper.convert("L"))
    return Image.fromarray(np.where(grey > 10, 255, 0).astype(np.uint8))


def perspective_coefficients(
    dst: list[tuple[float, float]], src: list[tuple[float, float]]
) -> list[float]:
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    rhs = [c for point in src for c in point]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist()


def uneven_light(photo: Image.Image) -> Image.Image:
    """Brighter at the top left, as under a ceiling lamp."""
    w, h = photo.size
    ramp = np.linspace(1.05, 0.8, w)[None, :] * np.linspace(1.05, 0.85, h)[:, None]
    lit = np.asarray(photo, np.float32) * ramp[:, :, None]
    return Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8))


def jpeg_bytes(img: Image.Image, *, quality: int = 90, orientation: int | None = None) -> bytes:
    """Encode as JPEG, optionally tagged with an EXIF Orientation (274)."""
    buf = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[274] = orientation
    img.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


FULL_WIDTH_PUNCTUATION = str.maketrans("：￥（）", ":¥()")


def compact(text: str) -> str:
    """Text without spaces and with ASCII punctuation, for comparing OCR output."""
    return "".join(text.split()).translate(FULL_WIDTH_PUNCTUATION)
