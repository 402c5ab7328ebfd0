"""Domain errors: every broken rule is a named subclass with a stable code and the field it concerns."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command was refused by a domain rule. `code` is stable and becomes the problem `type`."""

    code = "domain-rule"

    def __init__(self, detail: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.params = params


class NotFound(DomainError):
    code = "not-found"


class AlreadyExists(DomainError):
    code = "already-exists"


class InvalidValue(DomainError):
    """A value is outside what the rules allow (a room too large, hours that overlap…)."""

    code = "invalid-value"


class RuleViolated(DomainError):
    """The command is well formed but the current state forbids it (filed places exceeded…)."""

    code = "rule-violated"


class Gone(DomainError):
    """The thing existed but is gone for good (a child whose personal data was erased)."""

    code = "gone"


def require_text(**fields: str) -> None:
    """Refuse the first of these fields that is blank (nothing but spaces), naming it."""
    for name, value in fields.items():
        if not value.strip():
            raise InvalidValue(f"{name} must not be blank", field=name)
