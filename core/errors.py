"""One exception type for every error a caller can act on.

Each carries a machine-readable ``code``, an HTTP ``status`` and a message a person
understands (zh-CN where shoppers or staff read it). The API turns it into
``{"error": {"code", "message"}}``; the CLI prints it.
"""


class AppError(Exception):
    status: int = 400

    def __init__(self, code: str, message: str, *, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409
