"""Development only: codes a phone would get from ``wx.login`` and from the phone-number
button (``getPhoneNumber``), for a test user named by its openid."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

router = APIRouter(prefix="/dev")


class LoginCodeRequest(BaseModel):
    openid: str = Field(min_length=1, max_length=64)
    unionid: str | None = Field(default=None, max_length=64)


class PhoneCodeRequest(BaseModel):
    openid: str = Field(min_length=1, max_length=64)
    phone: str = Field(pattern=r"^1\d{10}$")


@router.post("/login-code")
def login_code(request: Request, body: LoginCodeRequest) -> dict:
    return {"code": request.app.state.wechat.issue_code(body.openid, unionid=body.unionid)}


@router.post("/phone-code")
def phone_code(request: Request, body: PhoneCodeRequest) -> dict:
    return {"code": request.app.state.wechat.issue_code(body.openid, phone=body.phone)}
