import json

import pytest

from core.db import session_scope
from core.errors import AppError
from merchants import service as merchant_service


def test_demo_mall_imports_and_reimport_updates(db_url):
    with session_scope() as db_session:
        created, updated = merchant_service.import_file(
            db_session=db_session, path=merchant_service.DEMO_MALL
        )
    expected = len(json.loads(merchant_service.DEMO_MALL.read_text()))
    assert (created, updated) == (expected, 0)
    with session_scope() as db_session:
        assert merchant_service.import_file(
            db_session=db_session, path=merchant_service.DEMO_MALL
        ) == (0, expected)
        profiles = merchant_service.active_profiles(db_session=db_session)
    uniqlo = next(p for p in profiles if p.id == "m001")
    assert uniqlo.english_name == "UNIQLO" and uniqlo.shop_no == "L1-101"


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        json.dumps([{"id": "x"}]).encode(),  # name missing
        json.dumps([{"id": "bad id!", "name": "A"}]).encode(),
        json.dumps([{"id": "a", "name": "A", "points_rate": -1}]).encode(),
    ],
)
def test_bad_registry_is_refused_with_a_clear_code(document):
    with pytest.raises(AppError) as err:
        merchant_service.parse_registry(document)
    assert err.value.code == "registry_invalid"
