"""The browser test infrastructure itself: the browser renders, screenshots are saved,
and the app serves the vendored front-end files (no CDN)."""

from pathlib import Path

from PIL import Image

STATIC = Path(__file__).resolve().parents[2] / "api" / "web" / "static"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def served(page, url: str) -> bytes:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return response.body()


def test_web_static_assets_are_served_locally(live_server, page):
    script = served(page, f"{live_server}/static/htmx.min.js")
    assert b"htmx" in script
    assert script == (STATIC / "htmx.min.js").read_bytes()
    assert served(page, f"{live_server}/static/desk.css") == (STATIC / "desk.css").read_bytes()

    # htmx runs on a page under our CSP (no inline script or style) without a violation
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{live_server}/desk/login")
    page.wait_for_function("typeof htmx === 'object'")
    assert page.evaluate("htmx.version").startswith("2.")
    assert [text for text in console if "Content Security Policy" in text] == []


def test_web_browser_fixture_renders_and_screenshots(page, screenshot):
    page.set_content('<h1 style="font-size:64px">积分</h1>')

    path = screenshot("heading")

    assert path.is_file() and path.stat().st_size > 0
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        assert image.size == (1366, 768)
        darkest, _ = image.convert("L").getextrema()
    assert darkest < 100, "the heading was not drawn (blank screenshot)"
