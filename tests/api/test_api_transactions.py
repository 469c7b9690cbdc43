"""A request's writes are committed before its response leaves: a client told "done"
(or a browser following a redirect) must find the write already there."""

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session


def _recording(app, events: list[str]):
    async def wrapped(scope, receive, send):
        if scope["type"] == "http":
            events.append("request")

        async def recording_send(message):
            if message["type"] == "http.response.start":
                events.append("response")
            await send(message)

        await app(scope, receive, recording_send)

    return wrapped


def test_api_login_commits_its_session_before_the_redirect_is_sent(db_url):
    from accounts import service as accounts
    from app import create_app
    from core.db import session_scope

    with session_scope() as db_session:
        accounts.create_staff(db_session, username="wang", display_name="王芳", role="desk",
                              password="correct-horse")
    events: list[str] = []

    def committed(_session):
        events.append("commit")

    event.listen(Session, "after_commit", committed)
    try:
        with TestClient(_recording(create_app(), events)) as client:
            response = client.post("/desk/login", data={"username": "wang",
                                                        "password": "correct-horse"},
                                   follow_redirects=False)
    finally:
        event.remove(Session, "after_commit", committed)
    assert response.status_code == 303
    during_login = events[events.index("request"):]
    assert during_login.count("response") == 1 and "commit" in during_login
    assert during_login.index("commit") < during_login.index("response")
