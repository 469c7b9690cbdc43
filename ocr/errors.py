"""Errors of the OCR stage. Codes are machine-readable; messages are for the shopper (zh-CN)."""

from core.errors import AppError
from ocr.settings import MB


class OcrError(AppError):
    """Base class of every error raised by ocr/."""


class ImageRejected(OcrError):
    """The upload is not an image we can read; the shopper has to send another one."""

    status = 400


def image_empty() -> ImageRejected:
    return ImageRejected("image_empty", "上传的图片是空的，请重新拍照上传")


def image_too_large(max_bytes: int) -> ImageRejected:
    return ImageRejected(
        "image_too_large", f"图片超过 {readable_size(max_bytes)}，请压缩后重新上传", status=413
    )


def image_too_many_pixels(max_pixels: int) -> ImageRejected:
    return ImageRejected(
        "image_too_many_pixels",
        f"图片分辨率过高（超过 {max_pixels / 1_000_000:g} 百万像素），请缩小后重新上传",
        status=413,
    )


def image_unsupported_type() -> ImageRejected:
    return ImageRejected("image_unsupported_type", "只支持 JPG、PNG 或 WebP 格式的图片", status=415)


def image_polyglot() -> ImageRejected:
    return ImageRejected(
        "image_polyglot", "图片中夹带了其他类型的文件内容，请直接上传拍摄的原始照片", status=415
    )


def image_bad_shape(width: int, height: int) -> ImageRejected:
    return ImageRejected(
        "image_bad_shape", f"图片尺寸异常（{width}×{height} 像素），请拍摄完整的小票后重新上传"
    )


def image_corrupt() -> ImageRejected:
    return ImageRejected("image_corrupt", "图片已损坏或不完整，无法打开，请重新拍照上传")


def readable_size(n_bytes: int) -> str:
    if n_bytes >= MB:
        return f"{n_bytes / MB:.3g} MB"
    return f"{n_bytes / 1024:.3g} KB"


class OcrBackendUnavailable(OcrError):
    """The configured OCR backend is unknown, not installed or lacks its models."""

    status = 503

    def __init__(self, backend: str, reason: str):
        super().__init__("ocr_backend_unavailable", f"OCR 引擎 {backend} 不可用：{reason}")
        self.backend = backend
