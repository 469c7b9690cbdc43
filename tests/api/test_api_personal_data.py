"""Export and erasure from the shopper API, the desk API and the desk page (audited)."""


from fakes import reading, submit_and_process
from sqlalchemy import select
from staff_pages import open_as

from accounts.models import AuditEntry
from api.auth import issue_member_token, issue_staff_token
from core.db import session_scope
from receipts import storage
from receipts.models import Receipt


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_member_exports_then_erases_their_own_data(client, member, reads):
    reads(reading())
    receipt_id = submit_and_process(member, 1)
    me = _auth(issue_member_token(member))
    exported = client.get("/api/v1/members/me/export", headers=me)
    assert exported.status_code == 200
    body = exported.json()
    assert [r["id"] for r in body["receipts"]] == [receipt_id]
    assert body["ledger"][0]["points"] == 279 and body["member"]["phone"] == "139****5678"
    erased = client.post("/api/v1/members/me/erase", headers=me)
    assert erased.status_code == 200
    assert erased.json() == {"receipts": 1, "photos_deleted": 1, "samples_deleted": 0,
                             "receipts_rejected": 0}
    with session_scope() as db_session:
        sha256 = db_session.get(Receipt, receipt_id).image_sha256
        audit = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "member_erased"))
    assert not storage.exists(sha256)
    assert audit.actor == f"member:{member}"
    # The erased member's sessions end with their identity; the desk still sees the history.
    refused = client.get("/api/v1/members/me/export", headers=me)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "token_revoked")
    desk = _auth(issue_staff_token("li", "desk"))
    after = client.get(f"/api/v1/desk/members/erased-{member}/export", headers=desk).json()
    assert after["member"]["phone"] is None and after["receipts"][0]["photo_purged"] is True
    assert [e["points"] for e in after["ledger"]] == [279]


def test_desk_api_needs_a_desk_role_and_audits(client, member):
    ops = _auth(issue_staff_token("zhou", "ops"))
    assert client.post("/api/v1/desk/members/M100/erase", headers=ops).status_code == 403
    desk = _auth(issue_staff_token("li", "desk"))
    assert client.get("/api/v1/desk/members/M100/export", headers=desk).status_code == 200
    assert client.post("/api/v1/desk/members/M100/erase", headers=desk).status_code == 200
    assert client.get("/api/v1/desk/members/M100/export", headers=desk).status_code == 404
    with session_scope() as db_session:
        actions = list(db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["member_data_exported", "member_erased"]


def _log_in(client) -> str:
    from accounts import service as accounts

    with session_scope() as db_session:
        accounts.create_staff(db_session, username="wang", display_name="王芳", role="desk",
                              password="correct-horse")
    return open_as(client, "wang", "/desk/members?q=M100")


def test_desk_page_erases_after_typed_confirmation(client, member, reads):
    reads(reading())
    receipt_id = submit_and_process(member, 1)
    csrf = _log_in(client)
    page = client.get("/desk/members", params={"q": "13912345678"})
    assert "M100" in page.text and "139****5678" in page.text
    download = client.get("/desk/members/M100/export.json")
    assert download.json()["receipts"][0]["id"] == receipt_id
    refused = client.post("/desk/members/M100/erase",
                          data={"csrf_token": csrf, "confirm_code": "M999"})
    assert refused.status_code == 422
    done = client.post("/desk/members/M100/erase",
                       data={"csrf_token": csrf, "confirm_code": "M100"})
    assert done.status_code == 200 and "个人信息已删除" in done.text
    with session_scope() as db_session:
        audit = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "member_erased"))
        assert audit.actor == "staff:wang" and audit.after["photos_deleted"] == 1
        assert db_session.get(Receipt, receipt_id).ocr_rows == []
