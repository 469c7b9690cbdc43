from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts import service as accounts
from accounts.models import AuditEntry, StaffAccount, StaffSession
from core.db import session_scope, utcnow
from core.errors import AppError


@pytest.fixture
def desk_account(db_url):
    with session_scope() as db_session:
        accounts.create_staff(db_session, username="li", display_name="李娜", role="desk",
                              password="correct-horse")
    return "li"


def _log_in(password: str, now=None):
    with session_scope() as db_session:
        return accounts.log_in(db_session, username="li", password=password, now=now)


def _failed(password: str, now=None) -> str:
    try:
        with session_scope() as db_session:
            accounts.log_in(db_session, username="li", password=password, now=now)
    except accounts.LoginFailed as exc:
        return exc.code
    return "logged_in"


def test_accounts_password_is_stored_as_argon2_only(desk_account):
    with session_scope() as db_session:
        stored = db_session.scalar(select(StaffAccount.password_hash))
    assert stored.startswith("$argon2id$") and "correct-horse" not in stored


def test_accounts_wrong_password_and_unknown_user_read_the_same(desk_account):
    with session_scope() as db_session, pytest.raises(accounts.LoginFailed) as unknown:
        accounts.log_in(db_session, username="nobody", password="correct-horse")
    with session_scope() as db_session, pytest.raises(accounts.LoginFailed) as wrong:
        accounts.log_in(db_session, username="li", password="wrong-horse")
    assert (unknown.value.code, unknown.value.message) == (wrong.value.code, wrong.value.message)
    assert wrong.value.status == 401


def test_accounts_five_wrong_passwords_lock_for_fifteen_minutes(desk_account):
    now = utcnow()
    # The failure count survives each refused attempt only when the caller commits it,
    # as the login page does; log_in raising rolls back session_scope, so count by hand.
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with session_scope() as db_session:
            try:
                accounts.log_in(db_session, username="li", password="nope-nope", now=now)
            except accounts.LoginFailed:
                db_session.commit()
    assert _failed("correct-horse", now + timedelta(minutes=14)) == "account_locked"
    assert _failed("correct-horse", now + timedelta(minutes=16)) == "logged_in"


def test_accounts_sessions_end_on_logout_and_expiry(desk_account):
    done = _log_in("correct-horse")
    with session_scope() as db_session:
        account, live = accounts.session_of(db_session, done.token)
        assert (account.username, live.csrf_token) == ("li", done.csrf_token)
        assert db_session.get(StaffSession, done.token) is None  # only the hash is stored
        accounts.log_out(db_session, done.token)
    with session_scope() as db_session:
        assert accounts.session_of(db_session, done.token) is None
        other = _log_in("correct-horse")
        row = db_session.scalars(select(StaffSession).where(StaffSession.revoked_at.is_(None)))
        row.one().expires_at = utcnow() - timedelta(seconds=1)
    with session_scope() as db_session:
        assert accounts.session_of(db_session, other.token) is None
        actions = db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["login", "logout", "login"]


@pytest.mark.parametrize(("role", "password", "code"), [
    ("cashier", "long-enough", "role_invalid"),
    ("desk", "short", "password_too_short"),
])
def test_accounts_bad_new_accounts_are_refused(db_url, role, password, code):
    with session_scope() as db_session, pytest.raises(AppError) as err:
        accounts.create_staff(db_session, username="x", display_name="x", role=role,
                              password=password)
    assert err.value.code == code


def test_accounts_usernames_are_unique(desk_account):
    with session_scope() as db_session, pytest.raises(AppError) as err:
        accounts.create_staff(db_session, username="li", display_name="另一个", role="ops",
                              password="long-enough")
    assert err.value.code == "username_taken"
