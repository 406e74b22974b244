"""The acting user, as every read and write path receives it."""

from __future__ import annotations

from dataclasses import dataclass

from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.store.models import User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    org_id: int | None
    org_kind: OrgKind | None
    role: Role | None
    login: str = ""
    is_system: bool = False  # the instance operator at the CLI: may administer, never reads data

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls(
            user_id=user.id,
            org_id=user.org_id,
            org_kind=user.organisation.kind,
            role=user.role,
            login=user.login,
        )

    @classmethod
    def system(cls) -> Actor:
        return cls(
            user_id=None, org_id=None, org_kind=None, role=None, login="system", is_system=True
        )
