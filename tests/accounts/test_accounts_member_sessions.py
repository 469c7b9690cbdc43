"""Member sessions: what is stored, expiry, refresh rotation, reuse and revocation."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts import member_sessions
from accounts.member_sessions import SessionRejected
from accounts.models import MemberSession
from core.db import session_scope, utcnow


def _issue(member: int, **kwargs) -> member_sessions.Tokens:
    with session_scope() as db_session:
        return member_sessions.issue(db_session, member_id=member, via="wechat", **kwargs)


def _rejected(call) -> str:
    with pytest.raises(SessionRejected) as rejected:
        with session_scope() as db_session:
            call(db_session)
    assert rejected.value.status == 401 and rejected.value.message
    return rejected.value.code


def test_member_sessions_store_digests_only(member):
    tokens = _issue(member)
    with session_scope() as db_session:
        stored = db_session.scalars(select(MemberSession)).one()
        columns = [str(getattr(stored, c.key)) for c in MemberSession.__table__.columns]
        assert member_sessions.authenticate(db_session, tokens.access_token).member_id == member
    assert not any(tokens.access_token in v or tokens.refresh_token in v for v in columns)


def test_member_sessions_expired_and_unknown_tokens_have_their_own_codes(member):
    tokens = _issue(member)
    later = utcnow() + timedelta(hours=3)  # the default access lifetime is two hours
    assert _rejected(lambda s: member_sessions.authenticate(s, tokens.access_token,
                                                            now=later)) == "token_expired"
    assert _rejected(lambda s: member_sessions.authenticate(s, "rpa_made-up")) == "token_invalid"
    much_later = utcnow() + timedelta(days=31)
    assert _rejected(lambda s: member_sessions.refresh(s, tokens.refresh_token,
                                                       now=much_later)) == "token_expired"


def test_member_sessions_refresh_rotates_both_tokens(member):
    old = _issue(member)
    with session_scope() as db_session:
        new = member_sessions.refresh(db_session, old.refresh_token)
    assert {new.access_token, new.refresh_token}.isdisjoint({old.access_token,
                                                              old.refresh_token})
    with session_scope() as db_session:
        assert member_sessions.authenticate(db_session, new.access_token).member_id == member
    assert _rejected(lambda s: member_sessions.authenticate(s, old.access_token)) == \
        "token_revoked"


def test_member_sessions_a_reused_refresh_token_ends_the_whole_sign_in(member):
    old = _issue(member)
    with session_scope() as db_session:
        new = member_sessions.refresh(db_session, old.refresh_token)
    with session_scope() as db_session:  # the thief (or the victim) comes second
        with pytest.raises(SessionRejected) as reused:
            member_sessions.refresh(db_session, old.refresh_token)
        db_session.commit()  # as the API does: the revocation must stick
    assert reused.value.code == "token_revoked"
    assert _rejected(lambda s: member_sessions.authenticate(s, new.access_token)) == \
        "token_revoked"


def test_member_sessions_revoking_a_member_ends_every_sign_in(member):
    first, second = _issue(member), _issue(member)
    with session_scope() as db_session:
        assert member_sessions.revoke_member(db_session, member, why="merged") == 2
    for tokens in (first, second):
        assert _rejected(lambda s, t=tokens: member_sessions.authenticate(s, t.access_token)) \
            == "token_revoked"
        assert _rejected(lambda s, t=tokens: member_sessions.refresh(s, t.refresh_token)) \
            == "token_revoked"
