"""Errors raised while loading templates (an author's mistake, not a bad receipt)."""


class TemplateError(Exception):
    """A template file is unreadable or breaks the schema (unknown key, bad regex, ...)."""

    def __init__(self, template_id: str, message: str):
        super().__init__(f"template {template_id!r}: {message}")
        self.template_id = template_id
        self.message = message
