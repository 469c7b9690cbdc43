"""Every domain's models, imported in one place so the metadata is complete
(for Alembic and for tests)."""

from core.db import Base
from dedupe.models import CreditClaim, FingerprintRecord
from merchants.models import Merchant
from points.models import LedgerAllocation, LedgerEntry, Member, RuleVersion, TierChange
from receipts.models import Receipt, ReceiptEvent

__all__ = [
    "Base",
    "CreditClaim",
    "FingerprintRecord",
    "LedgerAllocation",
    "LedgerEntry",
    "Member",
    "Merchant",
    "Receipt",
    "ReceiptEvent",
    "RuleVersion",
    "TierChange",
]
