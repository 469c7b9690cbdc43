"""Masking personal data in text we keep (OCR rows of receipts, exports).

Receipts print long digit runs that are not personal (receipt and order numbers), so
masking is driven by the row's label: card rows lose all but the last four digits of
long numbers, member/mobile rows lose the middle of mobile numbers.
"""

import logging
import re

_CARD_LABELS = re.compile(r"卡号|银行卡|信用卡|借记卡|刷卡|银联|card|visa|master", re.I)
_MOBILE_LABELS = re.compile(r"手机|会员|联系|mobile|phone|tel", re.I)
_CARD_NUMBER = re.compile(r"(?<!\d)\d(?:[ -]?[\d*]){11,18}(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def _last_four(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"****{digits[-4:]}"


def mask_sensitive(text: str) -> str:
    """Mask card numbers (****1234) and mobile numbers (138****1234) in one text row."""
    if _CARD_LABELS.search(text):
        text = _CARD_NUMBER.sub(_last_four, text)
    if _MOBILE_LABELS.search(text):
        text = _MOBILE.sub(r"\1****\2", text)
    return text


def mask_phone_numbers(text: str) -> str:
    """Every mainland mobile number in ``text`` as 138****1234, whatever its label."""
    return _MOBILE.sub(r"\1****\2", text)


class PhoneMaskingFilter(logging.Filter):
    """Masks mobile numbers in log lines (messages, their arguments, tracebacks), so a
    number in a URL, an error or a careless message never reaches a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phone_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_phone_numbers(
                logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_phone_numbers(record.exc_text)
        return True


LOGGERS_WITH_HANDLERS = ("", "uvicorn", "uvicorn.access", "uvicorn.error", "dramatiq")


def install_log_masking() -> None:
    """Attach the filter to the handlers that write our logs (the root logger's, uvicorn's
    and dramatiq's): a handler's filter sees every record it writes, a logger's only its
    own."""
    for name in LOGGERS_WITH_HANDLERS:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, PhoneMaskingFilter) for f in handler.filters):
                handler.addFilter(PhoneMaskingFilter())
