"""Plain data passed between recognition, template extraction and the receipt flow."""

from dataclasses import dataclass, field
from typing import Any

# Canonical payment method codes (extraction output, rules, UI labels all use these).
PAYMENT_METHODS = ("wechat", "alipay", "unionpay", "bank_card", "cash", "stored_value", "other")
# WeChat Pay's transaction id (微信支付单号) as a person types it in: 28 digits from 42.
WECHAT_TRANSACTION_ID = r"^42[0-9]{26}$"


@dataclass(frozen=True)
class MerchantProfile:
    """What recognition needs to know about one registered store."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    english_name: str | None = None
    shop_no: str | None = None
    payment_merchant_ids: tuple[str, ...] = ()


def profile_of(entry: Any) -> MerchantProfile:
    """The profile of a registry entry: an ORM row or a validated import record."""
    return MerchantProfile(
        id=entry.id,
        name=entry.name,
        aliases=tuple(entry.aliases or ()),
        english_name=entry.english_name,
        shop_no=entry.shop_no,
        payment_merchant_ids=tuple(entry.payment_merchant_ids or ()),
    )


@dataclass(frozen=True)
class MerchantMatch:
    """Recognition result. ``merchant_id`` is None for "not one of the mall's stores"."""

    merchant_id: str | None
    name: str | None
    score: float  # best fuzzy score, 0..100
    margin: float  # best score minus runner-up's
    confidence: float  # 0..1
    evidence: str | None = None  # the receipt text that matched
    signals: dict[str, float] = field(default_factory=dict)  # what confidence came from


@dataclass(frozen=True)
class FieldValue:
    value: Any
    confidence: float
    source: str  # which rule found it, e.g. "generic:amount_label:实付"
    raw: str | None = None  # the text it was read from
    signals: dict[str, float] = field(default_factory=dict)  # what confidence came from


@dataclass
class Extraction:
    template_id: str
    fields: dict[str, FieldValue] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        fv = self.fields.get(name)
        return fv.value if fv else None

    def confidence(self, name: str) -> float:
        fv = self.fields.get(name)
        return fv.confidence if fv else 0.0
