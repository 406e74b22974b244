"""The Typer application object every command module attaches its commands to."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Annotated

import typer
import typer.rich_utils
from rich.columns import Columns
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from . import help_language

app = typer.Typer(
    name="kizashi",
    help="kizashi (兆し): 保証付融資先の経営悪化の予兆を、事業者とともに早く見つける。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


class _FoldingTable(Table):
    """A help table whose cells fold onto the next line instead of ending in "…"."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for column in self.columns:
            column.overflow = "fold"
        yield from super().__rich_console__(console, options)


class _FoldingColumns(Columns):
    """An option's help pieces (text, default, range), each folding instead of cut."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for item in self.renderables:
            if isinstance(item, Text):
                item.overflow = "fold"
        yield from super().__rich_console__(console, options)


def _folding_help() -> None:
    """Help texts fold instead of being cut.

    Rich tables cut a cell with "…" when a word does not fit its column, and a Japanese
    sentence is one long word to rich: ``kizashi audit --help`` showed 「…改ざ …」 and
    ``kizashi ingest --help`` an option name cut to ``--fiscal-year-start-m…``. Typer has no
    setting for this, so its help tables are made folding here (checked at several widths by
    tests/cli/test_version_help.py, which fails if a Typer upgrade ignores this).
    """
    typer.rich_utils.Table = _FoldingTable  # type: ignore[misc]
    typer.rich_utils.Columns = _FoldingColumns  # type: ignore[misc]


_folding_help()
help_language.install()  # help in the setting's language (Japanese by default)


def kizashi_version() -> str:
    try:
        return package_version("kizashi")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"kizashi {kizashi_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="バージョンを表示して終了する (print the version and exit).",
        ),
    ] = False,
) -> None:
    """kizashi (兆し): 保証付融資先の経営悪化の予兆を、事業者とともに早く見つける。"""
