"""The Typer application object every command module attaches its commands to."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="kizashi",
    help="kizashi (兆し): 保証付融資先の経営悪化の予兆を、事業者とともに早く見つける。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
