"""Every domain's models, imported in one place so the metadata is complete
(for Alembic and for tests)."""

from accounts.models import AuditEntry, MemberSession, StaffAccount, StaffSession
from channels.wechatpay.models import PointsSync, WechatPayment, WechatRefund
from core.db import Base
from dedupe.models import CreditClaim, FingerprintRecord
from merchants.models import Merchant, TemplateVersion
from points.models import (
    LedgerAllocation,
    LedgerEntry,
    Member,
    MemberMerge,
    RuleVersion,
    TierChange,
)
from receipts.models import Receipt, ReceiptEvent
from training_data.loop.models import TrainingSample

__all__ = [
    "AuditEntry",
    "Base",
    "CreditClaim",
    "FingerprintRecord",
    "LedgerAllocation",
    "LedgerEntry",
    "Member",
    "MemberMerge",
    "MemberSession",
    "Merchant",
    "PointsSync",
    "Receipt",
    "ReceiptEvent",
    "RuleVersion",
    "StaffAccount",
    "StaffSession",
    "TemplateVersion",
    "TierChange",
    "TrainingSample",
    "WechatPayment",
    "WechatRefund",
]
