"""A fake of WeChat's server API for development and tests: an ASGI app answering the
mini-program endpoints member sign-in calls with WeChat's shapes and error codes, plus
``/dev/*`` endpoints that play the phone's part (what ``wx.login`` and the phone-number
button would hand the mini-program).

    state.py         what the fake remembers: issued codes, access tokens, quotas
    mini_program.py  /sns/jscode2session, /cgi-bin/token, /wxa/business/getuserphonenumber
    dev.py           /dev/login-code, /dev/phone-code (development only)
    server.py        running it on a port in a background thread

Another channel's fake (WeChat Pay) adds its own router module beside these.
"""

from fastapi import FastAPI

from accounts.wechat.fake import dev, mini_program
from accounts.wechat.fake.state import FakeWeChatState


def create_fake_app(state: FakeWeChatState | None = None) -> FastAPI:
    app = FastAPI(title="fake WeChat", openapi_url=None)
    app.state.wechat = state or FakeWeChatState()
    app.include_router(mini_program.router)
    app.include_router(dev.router)
    return app
