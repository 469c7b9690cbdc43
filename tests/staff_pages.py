"""Staff pages in tests: logging in through the form and the CSRF token a page carries."""

import re

PASSWORD = "correct-horse"


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def open_as(client, username: str, path: str) -> str:
    """Log in as ``username`` (password PASSWORD), open ``path`` and return its CSRF token."""
    client.post("/desk/login", data={"username": username, "password": PASSWORD},
                follow_redirects=False)
    page = client.get(path)
    assert page.status_code == 200
    return csrf_token(page.text)
