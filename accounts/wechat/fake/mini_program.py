"""The mini-program server endpoints, answering as WeChat does (HTTP 200, errcode in JSON)."""

from fastapi import APIRouter, Body, Request

from accounts.wechat.fake.state import FakeWeChatState

router = APIRouter()

ERRMSG = {-1: "system error", 40001: "invalid credential, access_token is invalid",
          40013: "invalid appid", 40029: "invalid code", 40125: "invalid appsecret",
          40163: "code been used", 40226: "high risk user", 45011: "api minute-quota reach limit"}


def _error(errcode: int) -> dict:
    return {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error")}


def _state(request: Request) -> FakeWeChatState:
    return request.app.state.wechat


def _credentials_error(state: FakeWeChatState, appid: str, secret: str) -> int | None:
    if state.busy:
        return -1
    if appid != state.appid:
        return 40013
    return 40125 if secret != state.secret else None


@router.get("/sns/jscode2session")
def jscode2session(request: Request, appid: str = "", secret: str = "", js_code: str = "",
                   grant_type: str = "") -> dict:
    state = _state(request)
    if (failed := _credentials_error(state, appid, secret)) is not None:
        return _error(failed)
    if not state.within_login_quota():
        return _error(45011)
    issued = state.redeem_code(js_code, phone=False)
    if isinstance(issued, int):
        return _error(issued)
    if issued.openid in state.risky_openids:
        return _error(40226)
    # A real session_key comes back too; the client must drop it.
    answer = {"openid": issued.openid, "session_key": "fake-session-key-never-store"}
    return answer | ({"unionid": issued.unionid} if issued.unionid else {})


@router.get("/cgi-bin/token")
def access_token(request: Request, grant_type: str = "", appid: str = "",
                 secret: str = "") -> dict:
    state = _state(request)
    if (failed := _credentials_error(state, appid, secret)) is not None:
        return _error(failed)
    return {"access_token": state.new_access_token(), "expires_in": state.token_seconds}


@router.post("/wxa/business/getuserphonenumber")
def phone_number(request: Request, access_token: str = "", body: dict = Body(...)) -> dict:
    state = _state(request)
    if state.busy:
        return _error(-1)
    if not state.access_token_valid(access_token):
        return _error(40001)
    issued = state.redeem_code(str(body.get("code", "")), phone=True)
    if isinstance(issued, int):
        return _error(issued)
    if body.get("openid") and body["openid"] != issued.openid:
        return _error(40029)  # the code was not given to this user
    return {"errcode": 0, "errmsg": "ok", "phone_info": {
        "phoneNumber": issued.phone, "purePhoneNumber": issued.phone, "countryCode": "86",
        "watermark": {"timestamp": 0, "appid": state.appid},
    }}
