"""The signed-in caller as routes see it, rebuilt from a verified access token."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.account.aggregate import Role


@dataclass(frozen=True)
class Principal:
    account_id: UUID
    role: Role
    city_id: UUID | None = None
    district_code: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.role.value}:{self.account_id}"
