"""Ops pages over HTTP (no browser, no OCR): registry forms, import errors, tuning actions,
sample labels, roles and CSRF."""

import json
import random
import re

import pytest
from sqlalchemy import select
from staff_pages import open_as

from accounts import service as accounts
from accounts.models import AuditEntry
from core.db import session_scope
from merchants import service as merchant_service
from merchants.models import Merchant, TemplateVersion
from training_data.loop import samples
from training_data.loop.models import SampleSource, TrainingSample
from training_data.synth.layouts import compose_receipt

STORE = "m018"


@pytest.fixture
def staff(db_url):
    with session_scope() as db_session:
        for username, role in (("li", "desk"), ("chen", "ops")):
            accounts.create_staff(db_session, username=username, display_name=username,
                                  role=role, password="correct-horse")


def _counter_samples(n: int) -> None:
    store = next(m for m in json.loads(merchant_service.DEMO_MALL.read_text(encoding="utf-8"))
                 if m["id"] == STORE)
    rng = random.Random(3)
    with session_scope() as db_session:
        for _ in range(n):
            ticket = compose_receipt(store, rng, layout="counter")
            samples.add(db_session, merchant_id=STORE, image_sha256="0" * 64,
                        labels=samples.clean_labels(ticket.truth) | {"merchant": store["name"]},
                        ocr_rows=[{"text": line.text, "score": 0.99} for line in ticket.lines],
                        source=SampleSource.OPS_UPLOAD, actor="staff:chen")


def test_ops_pages_desk_accounts_are_turned_away(client, staff, demo_mall):
    client.post("/desk/login", data={"username": "li", "password": "correct-horse"})
    for path in ("/ops/", f"/ops/merchants/{STORE}", f"/ops/merchants/{STORE}/tuning",
                 "/ops/merchants/export.csv"):
        assert client.get(path).status_code == 403, path


def test_ops_pages_create_edit_and_disable_a_store(client, staff, demo_mall):
    token = open_as(client, "chen", "/ops/")
    bad = client.post("/ops/merchants/new", data={"csrf_token": token, "id": "x y",
                                                  "name": "某店"})
    assert bad.status_code == 422 and "字段 id" in bad.text and 'value="某店"' in bad.text
    taken = client.post("/ops/merchants/new", data={"csrf_token": token, "id": "m001",
                                                    "name": "重复"})
    assert taken.status_code == 409 and "已存在" in taken.text
    made = client.post("/ops/merchants/new", data={
        "csrf_token": token, "id": "m100", "name": "蔚来中心", "english_name": "NIO House",
        "aliases": "蔚来\nNIO", "payment_merchant_ids": "1900000999|1900000998",
        "points_rate": "2"})
    assert made.status_code == 200 and "商户信息已保存" in made.text
    client.post("/ops/merchants/m100", data={  # a browser posts every field; no "active"
        "csrf_token": token, "name": "蔚来中心", "aliases": "蔚来", "points_rate": "1.5",
        "payment_merchant_ids": "1900000999\n1900000998"})
    with session_scope() as db_session:
        store = db_session.get(Merchant, "m100")
        actions = list(db_session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_id == "m100").order_by(AuditEntry.id)))
    assert (store.active, store.aliases, float(store.points_rate)) == (False, ["蔚来"], 1.5)
    assert store.payment_merchant_ids == ["1900000999", "1900000998"]
    assert actions == ["merchant_create", "merchant_update"]


def test_ops_pages_import_refuses_a_bad_row_and_writes_nothing(client, staff, db_url):
    token = open_as(client, "chen", "/ops/")
    csv_text = "id,name,points_rate\nm1,甲店,1\nm2,乙店,lots\n"
    refused = client.post("/ops/merchants/import", data={"csrf_token": token},
                          files={"file": ("shops.csv", csv_text.encode(), "text/csv")})
    assert refused.status_code == 422 and "第 3 行" in refused.text
    with session_scope() as db_session:
        assert db_session.scalars(select(Merchant)).first() is None
    done = client.post("/ops/merchants/import", data={"csrf_token": token},
                       files={"file": ("mall.json", merchant_service.DEMO_MALL.read_bytes(),
                                       "application/json")})
    assert done.status_code == 201 and "新增 20 家" in done.text
    exported = client.get("/ops/merchants/export.csv")
    assert exported.content.startswith("\ufeffid,name".encode())


def test_ops_pages_tuning_actions_and_their_refusals(client, staff, demo_mall):
    _counter_samples(4)
    token = open_as(client, "chen", "/ops/")
    url = f"/ops/merchants/{STORE}"
    page = client.get(f"{url}/tuning")
    assert page.status_code == 200 and 'id="sample-count">4<' in page.text
    slow = client.post(f"{url}/template", data={
        "csrf_token": token, "body": "keywords: ['(a|aa)+$']\n"})
    assert slow.status_code == 422 and "灾难性回溯" in slow.text
    suggested = client.post(f"{url}/template/suggest", data={"csrf_token": token})
    body = re.search(r'id="template-body"[^>]*>([^<]*)</textarea>', suggested.text).group(1)
    assert "会员折后价" in body
    tested = client.post(f"{url}/template/test", data={"csrf_token": token,
                                                        "body": "会员折后价"})
    assert tested.status_code == 422 and "模板必须是键值结构" in tested.text
    client.post(f"{url}/template", data={"csrf_token": token, "body": "fields: {}\n",
                                         "note": "空"})
    rolled = client.post(f"{url}/template/rollback", data={"csrf_token": token, "version": "0"})
    assert rolled.status_code == 200 and "已回滚，当前为模板版本 2" in rolled.text
    too_few = client.post(f"{url}/auto-approve", data={"csrf_token": token, "setting": "on"})
    assert too_few.status_code == 409 and "至少需要 20 个" in too_few.text
    forged = client.post(f"{url}/auto-approve", data={"csrf_token": "x", "setting": "off"})
    assert forged.status_code == 403
    with session_scope() as db_session:
        versions = list(db_session.scalars(select(TemplateVersion.version)))
        assert sorted(versions) == [1, 2]
        assert db_session.get(Merchant, STORE).auto_approve is None


def test_ops_pages_sample_labels_are_checked_and_saved(client, staff, demo_mall):
    with session_scope() as db_session:
        sample_id = samples.add(db_session, merchant_id=STORE, image_sha256="0" * 64,
                                labels={}, read={"total": "99.00"},
                                ocr_rows=[{"text": "会员折后价 99.00", "score": 0.9}],
                                source=SampleSource.OPS_UPLOAD, actor="staff:chen").id
    token = open_as(client, "chen", "/ops/")
    url = f"/ops/merchants/{STORE}/samples/{sample_id}"
    shown = client.get(url)
    assert "会员折后价 99.00" in shown.text and 'value="99.00"' in shown.text
    bad = client.post(url, data={"csrf_token": token, "total": "九十九"})
    assert bad.status_code == 422 and "九十九" in bad.text
    client.post(url, data={"csrf_token": token, "total": "99", "date": "2026/11/20"})
    with session_scope() as db_session:
        sample = db_session.get(TrainingSample, sample_id)
    assert sample.labels == {"merchant": "太平鸟", "date": "2026-11-20", "total": "99.00"}
    assert client.get(f"/ops/merchants/m001/samples/{sample_id}").status_code == 404


def test_ops_pages_deleting_samples_drops_a_photo_only_when_nothing_else_shows_it(
    client, staff, demo_mall
):
    from api.auth import issue_staff_token
    from receipts import storage

    photo = b"\xff\xd8\xff shared photo"
    storage.put("a" * 64, photo)
    with session_scope() as db_session:
        ids = [samples.add(db_session, merchant_id=STORE, image_sha256="a" * 64,
                           labels={"total": "1.00"}, source=SampleSource.OPS_UPLOAD,
                           actor="staff:chen").id for _ in range(2)]
    token = open_as(client, "chen", "/ops/")
    done = client.post(f"/ops/merchants/{STORE}/samples/{ids[0]}/delete",
                       data={"csrf_token": token})
    assert done.status_code == 200 and "样本已删除" in done.text
    assert storage.get("a" * 64) == photo  # the other sample still shows it
    ops = {"Authorization": f"Bearer {issue_staff_token('chen', 'ops')}"}
    assert client.delete(f"/api/v1/ops/merchants/m001/samples/{ids[1]}",
                         headers=ops).status_code == 404
    assert client.delete(f"/api/v1/ops/merchants/{STORE}/samples/{ids[1]}",
                         headers=ops).status_code == 204
    with pytest.raises(Exception, match="保留期限"):
        storage.get("a" * 64)
    with session_scope() as db_session:
        assert db_session.scalars(select(TrainingSample)).first() is None
        actions = list(db_session.scalars(select(AuditEntry.action).where(
            AuditEntry.action == "sample_delete")))
    assert actions == ["sample_delete", "sample_delete"]
