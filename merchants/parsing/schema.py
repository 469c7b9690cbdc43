"""The template file format, validated with pydantic (unknown keys are errors).

See ``merchants/templates/README.md`` for what each key means.
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from merchants.types import PAYMENT_METHODS

FIELD_NAMES = ("date", "time", "total", "receipt_no", "transaction_id", "payment_method")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelledSpec(_Strict):
    """Keys shared by every field read from "label … value" text."""

    labels: list[str] = Field(default_factory=list)
    fallback_labels: list[str] = Field(default_factory=list)
    exclude_labels: list[str] = Field(default_factory=list)
    end_labels: list[str] = Field(default_factory=list)


class PatternSpec(LabelledSpec):
    """A field whose value grammar is a list of regexes (date, time, receipt_no,
    transaction_id)."""

    patterns: list[str] = Field(default_factory=list)


class TotalSpec(LabelledSpec):
    discount_labels: list[str] = Field(default_factory=list)
    tendered_labels: list[str] = Field(default_factory=list)
    change_labels: list[str] = Field(default_factory=list)
    rounding_labels: list[str] = Field(default_factory=list)


class PaymentSpec(_Strict):
    map: dict[str, str] = Field(default_factory=dict)

    @field_validator("map")
    @classmethod
    def _codes_are_canonical(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({code for code in value.values() if code not in PAYMENT_METHODS})
        if unknown:
            raise ValueError(f"unknown payment method(s) {unknown}; use one of {PAYMENT_METHODS}")
        return value


class FieldsSpec(_Strict):
    date: PatternSpec | None = None
    time: PatternSpec | None = None
    total: TotalSpec | None = None
    receipt_no: PatternSpec | None = None
    transaction_id: PatternSpec | None = None
    payment_method: PaymentSpec | None = None


class OptionsSpec(_Strict):
    replace: list[tuple[str, str]] | None = None
    digit_confusions: dict[str, str] | None = None
    decimal_separator: str | None = Field(default=None, pattern=r"^[.,]$")
    max_age_days: int | None = Field(default=None, gt=0)
    tax_rates: list[float] | None = None

    @field_validator("tax_rates")
    @classmethod
    def _fractions(cls, value: list[float] | None) -> list[float] | None:
        for rate in value or []:
            if not 0 < rate < 1:
                raise ValueError(f"{rate} is not a tax rate: write 6% as 0.06")
        return value

    @field_validator("digit_confusions")
    @classmethod
    def _single_characters(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for wrong, digit in (value or {}).items():
            if len(wrong) != 1 or not (len(digit) == 1 and digit.isdigit()):
                raise ValueError(f"{wrong!r}: {digit!r} must map one character to one digit")
        return value


class TemplateSpec(_Strict):
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
    version: int = Field(default=1, ge=1)
    keywords: list[str] = Field(default_factory=list)
    exclude_keywords: list[str] = Field(default_factory=list)
    options: OptionsSpec = Field(default_factory=OptionsSpec)
    fields: FieldsSpec = Field(default_factory=FieldsSpec)
