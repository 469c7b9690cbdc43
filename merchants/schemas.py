"""Pydantic shapes of the merchant registry (import files and API)."""

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MerchantIn(BaseModel):
    """One store as written in a registry JSON file (see DESIGN.md)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=200)
    english_name: str | None = Field(default=None, max_length=200)
    aliases: list[str] = Field(default_factory=list)
    shop_no: str | None = Field(default=None, max_length=32)
    floor: str | None = Field(default=None, max_length=16)
    category: str | None = Field(default=None, max_length=64)
    payment_merchant_ids: list[str] = Field(default_factory=list)
    points_rate: Decimal = Field(default=Decimal("1"), ge=0, le=100)
    active: bool = True

    @field_validator("aliases", "payment_merchant_ids")
    @classmethod
    def _drop_blank(cls, values: list[str]) -> list[str]:
        return [v.strip() for v in values if v and v.strip()]


class MerchantRead(MerchantIn):
    model_config = ConfigDict(from_attributes=True)
