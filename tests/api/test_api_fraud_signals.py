"""Fraud signals as people see them: the shopper reads the reason sentence, the desk's
review page the signal's evidence (issue 16)."""

import io
from datetime import date

from fakes import photo_bytes, reading, submit_and_process
from PIL import Image

from accounts import service as accounts
from api.auth import issue_member_token
from core.db import session_scope
from points import service as points_service
from receipts import flow


def _edited_upload(member: int) -> str:
    exif = Image.Exif()
    exif[0x0131] = "美图秀秀".encode()
    buffer = io.BytesIO()
    Image.open(io.BytesIO(photo_bytes(5))).convert("RGB").save(buffer, "JPEG",
                                                                exif=exif.tobytes())
    with session_scope() as db_session:
        receipt_id = flow.submit_photo(db_session=db_session, member_id=member,
                                       data=buffer.getvalue(), actor="test").id
    flow.process(receipt_id, today=date(2026, 11, 23))
    return receipt_id


def test_api_the_shopper_reads_why_an_edited_image_waits_for_a_person(client, member, reads):
    reads(reading())
    receipt_id = _edited_upload(member)
    auth = {"Authorization": f"Bearer {issue_member_token(member)}"}
    body = client.get(f"/api/v1/receipts/{receipt_id}", headers=auth).json()
    assert body["status"] == "needs_review"
    assert body["reasons"] == [{"code": "image_edited",
                                "message": "图片经过编辑软件处理，需人工核对"}]


def _desk_login(client) -> None:
    with session_scope() as db_session:
        accounts.create_staff(db_session, username="li", display_name="LI", role="desk",
                              password="correct-horse")
    response = client.post("/desk/login", data={"username": "li", "password": "correct-horse"},
                           follow_redirects=False)
    assert response.status_code == 303


def test_api_the_desk_page_shows_each_signals_evidence(client, member, reads):
    reads(reading())
    edited = _edited_upload(member)
    with session_scope() as db_session:
        other = points_service.get_or_create_by_code(db_session=db_session, code="M300").id
    reads(reading(conf=0.5, receipt_no="B-7"))
    first = submit_and_process(member, 8)
    shared = submit_and_process(other, 8)  # the same photo, another member
    _desk_login(client)
    page = client.get(f"/desk/review/{edited}").text
    assert "图片经过编辑软件处理，需人工核对" in page
    assert "图片元数据显示经编辑软件处理：美图秀秀" in page
    page = client.get(f"/desk/review/{shared}").text
    assert f"同一小票已由会员 M100 提交（记录 {first[:8]}，人工审核中）" in page
    queue = client.get("/desk/review?reason=claimed_by_other_member").text
    assert shared[:8] in queue and first[:8] not in queue
