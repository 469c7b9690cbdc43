"""Mounting the shopper API and the phone page on the app."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from accounts.settings import get_wechat_settings
from api.shopper import auth, events, points, receipts

PHONE_PAGE = Path(__file__).resolve().parents[1] / "web" / "static" / "m"


def install(app: FastAPI, *, responses: dict | None = None) -> None:
    for module in (auth, receipts, events, points):
        app.include_router(module.router, responses=responses)
    if get_wechat_settings().fake:
        app.include_router(auth.dev_router, responses=responses)
    # The phone page: static files only (no inline script), served by the app, no CDN.
    app.mount("/m", StaticFiles(directory=PHONE_PAGE, html=True), name="phone-page")
