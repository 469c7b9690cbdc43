"""The shopper API (mini-program and phone page) under /api/v1, and the phone page /m/."""
