"""Pydantic shapes of the merchant registry (import files and API)."""

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _drop_blank(values: list[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]


def _plain(rate: Decimal) -> Decimal:
    """1, 1.0 and the database's 1.0000 all read as 1 (so before/after compare equal)."""
    return Decimal(format(rate.normalize(), "f"))


# Each field's rules, shared by the full record and the partial update.
MerchantId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
EnglishName = Annotated[str | None, Field(max_length=200)]
ShopNo = Annotated[str | None, Field(max_length=32)]
Floor = Annotated[str | None, Field(max_length=16)]
Category = Annotated[str | None, Field(max_length=64)]
Names = Annotated[list[str], AfterValidator(_drop_blank)]
PointsRate = Annotated[Decimal, Field(ge=0, le=100), AfterValidator(_plain)]


class MerchantIn(BaseModel):
    """One store as written in a registry JSON file (see DESIGN.md)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: MerchantId
    name: Name
    english_name: EnglishName = None
    aliases: Names = Field(default_factory=list)
    shop_no: ShopNo = None
    floor: Floor = None
    category: Category = None
    payment_merchant_ids: Names = Field(default_factory=list)
    points_rate: PointsRate = Decimal("1")
    active: bool = True


class MerchantRead(MerchantIn):
    model_config = ConfigDict(from_attributes=True)


class MerchantPatch(BaseModel):
    """A partial update: fields left out stay as they are; the id never changes.

    The None defaults only mark a field as optional: an explicit null is refused where the
    registry needs a value (name, lists, rate, active)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = None
    english_name: EnglishName = None
    aliases: Names = None
    shop_no: ShopNo = None
    floor: Floor = None
    category: Category = None
    payment_merchant_ids: Names = None
    points_rate: PointsRate = None
    active: bool = None
