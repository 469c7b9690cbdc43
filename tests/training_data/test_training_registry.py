import json

import pytest

from core.errors import AppError
from training_data.registry import load_merchants, load_registry


def test_demo_mall_loads_as_profiles_and_as_dicts():
    profiles, entries = load_merchants(), load_registry()
    assert [p.id for p in profiles] == [e["id"] for e in entries]
    starbucks = next(p for p in profiles if p.name == "星巴克")
    assert starbucks.aliases == ("星巴克咖啡", "STARBUCKS COFFEE")
    assert starbucks.payment_merchant_ids == ("1900000102",)
    assert next(e for e in entries if e["name"] == "星巴克")["category"] == "餐饮"


def test_inactive_stores_are_left_out(tmp_path):
    path = tmp_path / "mall.json"
    stores = [{"id": "a1", "name": "甲店"}, {"id": "b2", "name": "乙店", "active": False}]
    path.write_text(json.dumps(stores, ensure_ascii=False))
    assert [p.id for p in load_merchants(path)] == ["a1"]


def test_a_bad_registry_names_the_entry(tmp_path):
    path = tmp_path / "mall.json"
    path.write_text(json.dumps([{"id": "a1", "name": "甲店"}, {"id": "bad id!", "name": "乙"}]))
    with pytest.raises(AppError, match=r"1\.id"):
        load_registry(path)
