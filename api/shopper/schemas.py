"""Request and response shapes of the shopper API (mini-program and phone page)."""

from pydantic import BaseModel, Field

from api.schemas import ReceiptRead


class WeChatCode(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="from wx.login / getPhoneNumber")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class MemberBrief(BaseModel):
    code: str
    phone_masked: str | None
    phone_bound: bool


class SessionRead(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="seconds the access token is good for")
    refresh_expires_in: int
    member: MemberBrief
    created: bool = Field(description="this sign-in created the member")
    merged_from: str | None = Field(
        default=None, description="code of the member merged into this one by the phone binding")


class ShopperReceipt(ReceiptRead):
    points_explanation: str | None = Field(description="how the points were worked out")


class ReceiptPage(BaseModel):
    items: list[ShopperReceipt]
    next_before: str | None = Field(description="pass as ?before= for the next page")


class StreamTicket(BaseModel):
    ticket: str
    expires_in: int
    events_url: str = Field(description="open with EventSource within expires_in seconds")


class ClientConfig(BaseModel):
    dev_sign_in: bool = Field(description="the fake WeChat runs: the page may sign in with it")
    photo_long_side: int
    max_upload_bytes: int


class DevCodeRequest(BaseModel):
    openid: str = Field(min_length=1, max_length=64, pattern=r"^[\w-]+$")
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")
