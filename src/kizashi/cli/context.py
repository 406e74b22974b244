"""What every command needs: settings and the store, built at the entry point."""

from __future__ import annotations

from functools import cache

import typer
from rich.console import Console
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.settings import Settings
from kizashi.store.audit_checkpoints import write_checkpoint
from kizashi.store.db import Store, open_store
from kizashi.store.models import User

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


@cache
def settings() -> Settings:
    return Settings()


@cache
def store() -> Store:
    return open_store(settings())


def checkpoint_audit() -> None:
    """After a command that wrote: a signed checkpoint of the audit chain outside the database."""
    write_checkpoint(store(), settings().resolved_audit_checkpoint_dir)


def actor_for(login: str | None) -> Actor:
    """``--as LOGIN``: act as that user (reads are checked and audited as theirs)."""
    if not login:
        return Actor.system()
    with store().session() as s:
        user = s.execute(select(User).where(User.login == login)).scalar_one_or_none()
        if user is None:
            fail(f"ログインID {login} の利用者はいません")
        return Actor.from_user(user)  # type: ignore[arg-type]


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[red]エラー:[/red] {message}")  # the CLI's output is Japanese
    raise typer.Exit(code)
