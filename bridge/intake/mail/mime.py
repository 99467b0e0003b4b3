"""A message's MIME tree, parsed within a budget: so many parts at most, nested so deep at
most. The stdlib's parser costs time for every part (its headers) and, for every line, for
every boundary enclosing it, and it recurses per level: a 2 MB message of 20,000 parts took
seconds of CPU, and one nested 3,000 deep ended in a RecursionError. Past the budget the
parser is stopped where it is; what it read so far is the tree."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.feedparser import BytesFeedParser
from email.message import EmailMessage
from email.policy import Policy
from typing import Any, Self

CHUNK_BYTES = 8192  # fed to the parser at a time, as the stdlib's own parser does


class _Spent(Exception):
    """The budget is spent: the parse stops here."""


class _TooDeep(_Spent):
    """A part nested deeper than allowed."""


@dataclass
class _Budget:
    parts_left: int
    max_depth: int
    root: _Part | None = None


class _Part(EmailMessage):
    """A part that knows how deep it is, and refuses a child nested too deep."""

    def __init__(self, policy: Policy[Any], budget: _Budget) -> None:
        super().__init__(policy)
        self.budget = budget
        self.depth = 0  # the message itself; its parts 1, theirs 2 …

    # the parser attaches only parts of ours (typeshed narrows MIMEPart's the same way)
    def attach(self, payload: Self) -> None:  # type: ignore[override]
        """The parser attaches each new part to its parent as it meets it."""
        payload.depth = self.depth + 1
        if payload.depth > self.budget.max_depth:
            raise _TooDeep
        super().attach(payload)


@dataclass(frozen=True)
class ParsedMail:
    """The tree as far as it was read, and why not further."""

    message: EmailMessage
    parts_cut: bool = False  # parts beyond the budget were not read
    too_deep: bool = False  # a part was nested too deep: nothing from it on was read


def parse_within(data: bytes, max_parts: int, max_depth: int) -> ParsedMail:
    """Parse with `email.policy.default`, stopping at `max_parts` parts or a part nested
    deeper than `max_depth`."""
    budget = _Budget(max_parts, max_depth)

    def new_part(policy: Policy[EmailMessage]) -> EmailMessage:
        if budget.parts_left <= 0:
            raise _Spent
        budget.parts_left -= 1
        part = _Part(policy, budget)
        if budget.root is None:
            budget.root = part
        return part

    parser = BytesFeedParser(policy=policy.default.clone(message_factory=new_part))
    try:
        for start in range(0, len(data), CHUNK_BYTES):
            parser.feed(data[start:start + CHUNK_BYTES])
        message = parser.close()
    except _Spent as spent:
        assert budget.root is not None  # the message itself is the first part
        return ParsedMail(budget.root, parts_cut=not isinstance(spent, _TooDeep),
                          too_deep=isinstance(spent, _TooDeep))
    assert isinstance(message, EmailMessage)
    return ParsedMail(message)
