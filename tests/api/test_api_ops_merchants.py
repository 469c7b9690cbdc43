"""The merchant registry over the ops API: add, edit, disable, find, import and export
(JSON and CSV), who may, and the audit lines every change leaves."""

import pytest
from sqlalchemy import delete, func, select

from accounts.models import AuditEntry
from api.auth import issue_staff_token
from core.db import session_scope
from merchants.models import Merchant

OPS = {"Authorization": f"Bearer {issue_staff_token('zhao', 'ops')}"}
ADMIN = {"Authorization": f"Bearer {issue_staff_token('boss', 'admin')}"}
DESK = {"Authorization": f"Bearer {issue_staff_token('zhang', 'desk')}"}
URL = "/api/v1/ops/merchants"
HEADER = ("id,name,english_name,aliases,shop_no,floor,category,payment_merchant_ids,"
          "points_rate,active")
HEYTEA = {"id": "m900", "name": "喜茶", "english_name": "HEYTEA", "aliases": ["喜茶GO"],
          "shop_no": "B1-012", "floor": "B1", "category": "餐饮",
          "payment_merchant_ids": ["1900000900"], "points_rate": "0.5", "active": True}


def _csv_upload(client, text: str, *, bom: str = "\ufeff", name: str = "merchants.csv"):
    data = (bom + text).encode()
    return client.post(f"{URL}/import", headers=OPS, files={"file": (name, data, "text/csv")})


def _ids(client, query: str = "") -> list[str]:
    return [m["id"] for m in client.get(f"{URL}{query}", headers=OPS).json()]


def _count(model) -> int:
    with session_scope() as db_session:
        return db_session.scalar(select(func.count()).select_from(model))


def _audit_lines() -> list[AuditEntry]:
    with session_scope() as db_session:
        lines = list(db_session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        db_session.expunge_all()
        return lines


def test_api_registry_create_get_patch_and_disable(client):
    created = client.post(URL, json=HEYTEA, headers=OPS)
    assert created.status_code == 201 and created.json() == HEYTEA
    assert client.get(f"{URL}/m900", headers=OPS).json() == HEYTEA

    patched = client.patch(f"{URL}/m900", headers=OPS,
                           json={"name": " 喜茶（新店） ", "aliases": ["喜茶", " "], "floor": None})
    assert patched.status_code == 200
    expected = HEYTEA | {"name": "喜茶（新店）", "aliases": ["喜茶"], "floor": None}
    assert patched.json() == expected == client.get(f"{URL}/m900", headers=OPS).json()

    disabled = client.patch(f"{URL}/m900", json={"active": False}, headers=OPS)
    assert disabled.json() == expected | {"active": False}
    assert (_ids(client, "?active=false"), _ids(client, "?active=true")) == (["m900"], [])


def test_api_registry_list_finds_by_id_names_and_shop_no_ignoring_case(client, demo_mall):
    assert len(_ids(client)) == 20
    assert _ids(client, "?q=uniqlo") == ["m001"]  # English name, any case
    assert _ids(client, "?q=星巴克") == ["m002"]
    assert _ids(client, "?q=l1-101") == ["m001"]  # shop number
    assert _ids(client, "?q=M003") == ["m003"]
    assert _ids(client, "?q=%25") == []  # "%" is a character here, not a wildcard
    client.patch(f"{URL}/m002", json={"active": False}, headers=OPS)
    assert _ids(client, "?q=星巴克&active=true") == []
    assert "m002" not in _ids(client, "?active=true") and len(_ids(client, "?active=true")) == 19


def test_api_registry_refuses_a_taken_id_unknown_stores_and_bad_input(client):
    assert client.post(URL, json=HEYTEA, headers=OPS).status_code == 201
    again = client.post(URL, json=HEYTEA | {"name": "别家"}, headers=OPS)
    assert again.status_code == 409 and again.json()["error"]["code"] == "merchant_exists"
    for response in (client.get(f"{URL}/m404", headers=OPS),
                     client.patch(f"{URL}/m404", json={"name": "x"}, headers=OPS)):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "merchant_not_found"
    bad_bodies = [
        ("post", URL, HEYTEA | {"id": "m 901"}),
        ("post", URL, HEYTEA | {"id": "m901", "points_rate": "-1"}),
        ("post", URL, {"id": "m901"}),
        ("patch", f"{URL}/m900", {"id": "m901"}),  # the id never changes
        ("patch", f"{URL}/m900", {"colour": "red"}),
        ("patch", f"{URL}/m900", {"name": None}),
        ("patch", f"{URL}/m900", {"name": ""}),
        ("patch", f"{URL}/m900", {"points_rate": "101"}),
    ]
    for method, url, body in bad_bodies:
        response = getattr(client, method)(url, json=body, headers=OPS)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid_request"
    assert client.get(URL, headers=OPS).json() == [HEYTEA]


def test_api_registry_imports_a_json_array(client, demo_mall):
    body = demo_mall.read_bytes()
    json_headers = {**OPS, "Content-Type": "application/json"}
    replaced = client.post(f"{URL}/import", content=body, headers=json_headers)
    assert replaced.json() == {"created": 0, "updated": 20}
    added = client.post(f"{URL}/import", json=[HEYTEA], headers=OPS)
    assert added.status_code == 200 and added.json() == {"created": 1, "updated": 0}
    assert client.get(f"{URL}/m900", headers=OPS).json() == HEYTEA


@pytest.mark.parametrize("bom", ["\ufeff", ""], ids=["with-bom", "without-bom"])
def test_api_registry_imports_a_csv_with_chinese_and_list_columns(client, demo_mall, bom):
    text = (f"{HEADER}\n"
            "m900,喜茶,HEYTEA,喜茶GO|HEYTEA GO,B1-012,B1,餐饮,1900000900|1900000901,0.5,true\n"
            '\n'  # blank lines are skipped
            'm001,"优衣库, 新店",,,,,,,2,false\n')
    response = _csv_upload(client, text, bom=bom)
    assert response.status_code == 200 and response.json() == {"created": 1, "updated": 1}
    assert client.get(f"{URL}/m900", headers=OPS).json() == HEYTEA | {
        "aliases": ["喜茶GO", "HEYTEA GO"], "payment_merchant_ids": ["1900000900", "1900000901"]}
    uniqlo = client.get(f"{URL}/m001", headers=OPS).json()
    assert uniqlo == {"id": "m001", "name": "优衣库, 新店", "english_name": None, "aliases": [],
                      "shop_no": None, "floor": None, "category": None,
                      "payment_merchant_ids": [], "points_rate": "2", "active": False}


def test_api_registry_export_then_import_into_an_empty_registry_gives_it_back(client, demo_mall):
    client.patch(f"{URL}/m003", headers=OPS, json={  # values the CSV must quote or leave blank
        "name": '海底捞, "火锅"', "english_name": None, "aliases": ["海底捞", "HDL"],
        "category": None, "points_rate": "0.25", "active": False})
    registry = client.get(f"{URL}/export?format=json", headers=OPS).json()
    assert len(registry) == 20 and registry == client.get(URL, headers=OPS).json()
    exported = client.get(f"{URL}/export?format=csv", headers=OPS)
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="merchants.csv"'
    assert exported.content.startswith("\ufeff".encode()) and "海底捞" in exported.text
    assert exported.text.lstrip("\ufeff").splitlines()[0] == HEADER

    with session_scope() as db_session:
        db_session.execute(delete(Merchant))
    assert _ids(client) == []
    response = client.post(f"{URL}/import", headers=OPS,
                           files={"file": ("merchants.csv", exported.content, "text/csv")})
    assert response.json() == {"created": 20, "updated": 0}
    assert client.get(f"{URL}/export?format=json", headers=OPS).json() == registry


@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        ("m900,喜茶,,,,,,,-1,true", ("第 3 行", "points_rate")),
        ("m900,,,,,,,,1,true", ("第 3 行", "name")),
        ("bad id,喜茶,,,,,,,1,true", ("第 3 行", "id")),
        ("m900,喜茶,,,,,,,1,maybe", ("第 3 行", "active")),
        ("m901,喜茶,,,,,,,1,true,extra", ("第 3 行", "列数")),
        ("m900,喜茶二店,,,,,,,1,true", ("第 3 行", "第 2 行重复")),
    ],
    ids=["negative-rate", "no-name", "bad-id", "bad-active", "extra-cell", "repeated-id"],
)
def test_api_registry_a_bad_csv_row_is_named_and_nothing_is_written(client, rows, fragments):
    response = _csv_upload(client, f"{HEADER}\nm900,喜茶,,,,,,,1,true\n{rows}\n")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "registry_invalid"
    assert all(fragment in error["message"] for fragment in fragments), error["message"]
    assert (_count(Merchant), _count(AuditEntry)) == (0, 0)


def test_api_registry_refuses_bad_files_whole(client):
    unknown_column = _csv_upload(client, "id,name,colour\nm900,喜茶,red\n")
    assert "第 1 行" in unknown_column.json()["error"]["message"]
    assert "colour" in unknown_column.json()["error"]["message"]
    gbk = client.post(f"{URL}/import", headers=OPS, files={
        "file": ("merchants.csv", f"{HEADER}\nm900,喜茶\n".encode("gbk"), "text/csv")})
    assert "UTF-8" in gbk.json()["error"]["message"]
    repeated = client.post(f"{URL}/import", json=[HEYTEA, HEYTEA], headers=OPS)
    assert "1.id" in repeated.json()["error"]["message"]
    bad_entry = client.post(f"{URL}/import", json=[HEYTEA, {"id": "m901"}], headers=OPS)
    assert "1.name" in bad_entry.json()["error"]["message"]
    for response in (unknown_column, gbk, repeated, bad_entry):
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "registry_invalid"
    not_csv = _csv_upload(client, f"{HEADER}\nm900,喜茶\n", name="merchants.xlsx")
    plain_text = client.post(f"{URL}/import", content=b"m900", headers={
        **OPS, "Content-Type": "text/plain"})
    for response in (not_csv, plain_text):
        assert response.status_code == 415
        assert response.json()["error"]["code"] == "import_format_unsupported"
    assert (_count(Merchant), _count(AuditEntry)) == (0, 0)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", URL), ("get", f"{URL}/m001"), ("post", URL), ("patch", f"{URL}/m001"),
     ("post", f"{URL}/import"), ("get", f"{URL}/export"), ("get", f"{URL}/export?format=csv")],
)
def test_api_registry_desk_accounts_are_refused_everywhere(client, demo_mall, method, path):
    response = client.request(method, path, headers=DESK, json=HEYTEA | {"id": "m001"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "role_forbidden"


def test_api_registry_every_change_leaves_one_audit_line_with_before_and_after(
    client, demo_mall
):
    client.post(URL, json=HEYTEA, headers=OPS)
    client.patch(f"{URL}/m900", json={"active": False}, headers=ADMIN)
    client.post(URL, json=HEYTEA, headers=OPS)  # refused: nothing done, nothing audited
    uniqlo = client.get(f"{URL}/m001", headers=OPS).json()
    client.post(f"{URL}/import", json=[uniqlo | {"points_rate": "3"}, HEYTEA | {"id": "m901"}],
                headers=OPS)
    created, updated, imported = _audit_lines()
    assert [(line.actor, line.action, line.target_type, line.target_id)
            for line in (created, updated, imported)] == [
        ("staff:zhao", "merchant_create", "merchant", "m900"),
        ("staff:boss", "merchant_update", "merchant", "m900"),
        ("staff:zhao", "merchant_import", "merchant", None),
    ]
    assert (created.before, created.after) == ({}, HEYTEA)
    assert (updated.before, updated.after) == (HEYTEA, HEYTEA | {"active": False})
    assert imported.before == {"m001": uniqlo}
    assert imported.after == {"m001": uniqlo | {"points_rate": "3"},
                              "m901": HEYTEA | {"id": "m901"}}
