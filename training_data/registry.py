"""Merchant registry files (DESIGN.md's JSON shape) for the generator, the evaluator and the
benchmarks, validated like an import so a bad file fails with the entry named."""

from pathlib import Path
from typing import Any

from merchants.schemas import MerchantIn
from merchants.service import DEMO_MALL, parse_registry
from merchants.types import MerchantProfile, profile_of


def load_registry(path: str | Path = DEMO_MALL) -> list[dict[str, Any]]:
    """The active stores as registry dicts (what the receipt generator prints from)."""
    return [m.model_dump(mode="json") for m in active_entries(path)]


def load_merchants(path: str | Path = DEMO_MALL) -> list[MerchantProfile]:
    """The active stores as the profiles recognition works with."""
    return [profile_of(m) for m in active_entries(path)]


def active_entries(path: str | Path) -> list[MerchantIn]:
    return [m for m in parse_registry(Path(path).read_bytes()) if m.active]
