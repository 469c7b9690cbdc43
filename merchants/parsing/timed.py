"""Template regexes with a time limit. Ops write these patterns; one with catastrophic
backtracking (``(a|aa)+$``) must fail one receipt, not hang the worker. The stdlib ``re``
cannot be interrupted, so template patterns run on the ``regex`` module, whose matching
takes a timeout (syntax as ``re``: VERSION0)."""

from collections.abc import Mapping

import regex

MATCH_TIMEOUT_S = 0.05


class PatternTimeout(Exception):
    """A template pattern ran past MATCH_TIMEOUT_S on one text."""

    def __init__(self, pattern: str):
        super().__init__(f"pattern {pattern!r} ran longer than {MATCH_TIMEOUT_S * 1000:.0f} ms")
        self.pattern = pattern


class TimedPattern:
    """The part of ``re.Pattern`` the engine uses, every match bounded in time."""

    __slots__ = ("_compiled",)

    def __init__(self, pattern: str):
        """Raises ``regex.error`` for a pattern that does not compile."""
        self._compiled = regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)

    @property
    def pattern(self) -> str:
        return self._compiled.pattern

    @property
    def groupindex(self) -> Mapping[str, int]:
        return self._compiled.groupindex

    def search(self, text: str):
        try:
            return self._compiled.search(text, timeout=MATCH_TIMEOUT_S)
        except TimeoutError as exc:
            raise PatternTimeout(self.pattern) from exc

    def finditer(self, text: str) -> list:
        try:
            return list(self._compiled.finditer(text, timeout=MATCH_TIMEOUT_S))
        except TimeoutError as exc:
            raise PatternTimeout(self.pattern) from exc
