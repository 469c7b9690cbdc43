"""Template-driven field extraction from OCR rows (see merchants/templates/README.md)."""

from merchants.parsing.engine import extract
from merchants.parsing.errors import TemplateError
from merchants.parsing.template import (
    BUNDLED_DIR,
    GENERIC_ID,
    Template,
    TemplateSet,
    load_template,
)

__all__ = [
    "BUNDLED_DIR",
    "GENERIC_ID",
    "Template",
    "TemplateError",
    "TemplateSet",
    "extract",
    "load_template",
]
