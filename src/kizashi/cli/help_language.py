"""``kizashi … --help`` in one language: Japanese by default, English with ``default_locale=en``.

The help texts of the commands are written in the source in Japanese or in English (older ones
in both, 「日本語 (English)」). Help is shown in the language of the setting ``default_locale``
(``KIZASHI_DEFAULT_LOCALE``); the catalogue of that language (``cli/locale/<lang>/LC_MESSAGES/
kizashi_cli.po``, msgid = the text as written in the source) gives the translation, and a text
already in that language needs no entry. Typer's own words (Usage, Options, ``[default: …]``,
``<int>``, "Show this message and exit.") are replaced here too, at the moment help is printed,
by wrapping ``typer.rich_utils.rich_format_help``. ``tests/cli/test_help_language.py`` walks every
command's help in both languages and fails on a word of the other language (and so on a missing
translation, or a Typer upgrade that stops calling the wrapper).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

import typer.rich_utils
from typer._click import exceptions as click_errors

from kizashi.web.i18n import negotiate, parse_po

DOMAIN = "kizashi_cli"

# Typer's and click's fixed words, per language (English: as Typer writes them, made plain).
_WORDS: dict[str, dict[str, str]] = {
    "ja": {
        "ARGUMENTS_PANEL_TITLE": "引数",
        "OPTIONS_PANEL_TITLE": "オプション",
        "COMMANDS_PANEL_TITLE": "コマンド",
        "DEFAULT_STRING": "[既定: {}]",
        "ENVVAR_STRING": "[環境変数: {}]",
        "REQUIRED_LONG_STRING": "[必須]",
        "DEPRECATED_STRING": "(廃止予定) ",
        "usage": "使い方:",
        "ERRORS_PANEL_TITLE": "エラー",
        "RICH_HELP": "詳しくは '{command_path} {help_option}' を見てください。",
        "ABORTED_TEXT": "中止しました。",
        "[OPTIONS]": "[オプション]",
        "COMMAND [ARGS]...": "コマンド [引数]...",
    },
    "en": {
        "ARGUMENTS_PANEL_TITLE": "Arguments",
        "OPTIONS_PANEL_TITLE": "Options",
        "COMMANDS_PANEL_TITLE": "Commands",
        "DEFAULT_STRING": "[default: {}]",
        "ENVVAR_STRING": "[env var: {}]",
        "REQUIRED_LONG_STRING": "[required]",
        "DEPRECATED_STRING": "(deprecated) ",
        "usage": "Usage:",
        "ERRORS_PANEL_TITLE": "Error",
        "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
        "ABORTED_TEXT": "Aborted.",
        "[OPTIONS]": "[OPTIONS]",
        "COMMAND [ARGS]...": "COMMAND [ARGS]...",
    },
}
_CONSTANTS = [k for k in _WORDS["ja"] if k.isupper() and k.endswith(("TITLE", "STRING"))]
_ERROR_CONSTANTS = ["ERRORS_PANEL_TITLE", "RICH_HELP"]

# The value types Typer shows as <int>, <str> …: what a reader is asked to type.
_TYPES: dict[str, dict[str, str]] = {
    "ja": {
        "int": "整数",
        "int range": "整数",
        "float": "数値",
        "float range": "数値",
        "str": "文字列",
        "Path": "パス",
        "path": "パス",
        "file": "ファイル",
        "directory": "ディレクトリ",
        "datetime": "日時",
    },
    "en": {
        "int": "integer",
        "int range": "integer",
        "float": "number",
        "float range": "number",
        "str": "text",
        "Path": "path",
        "path": "path",
        "file": "file",
        "directory": "directory",
        "datetime": "date and time",
    },
}
_LIST = re.compile(r"^list\[(.+)\]$")


@cache
def catalogue(locale: str) -> dict[str, str]:
    """The help texts of one locale, keyed by the text as written in the source."""
    path = resources.files("kizashi.cli").joinpath(f"locale/{locale}/LC_MESSAGES/{DOMAIN}.po")
    return parse_po(path.read_text("utf-8"))


def help_locale() -> str:
    """The language help is shown in: the setting ``default_locale`` (Japanese if unreadable)."""
    from .context import settings

    try:
        return negotiate(settings().default_locale)
    except Exception:  # a broken setting must not hide the help that explains the settings
        return "ja"


def translate(text: str | None, locale: str) -> str | None:
    """The help text in ``locale`` (the text itself when it is already written in it)."""
    if not text:
        return text
    return catalogue(locale).get(text, text)


def _display_type(param: Any, ctx: Any, locale: str) -> str | None:
    """``<整数>`` / ``<integer>`` for Typer's ``<int>``; nothing for an on/off flag."""
    if getattr(param, "is_flag", False):
        return None
    label = type(param).display_type(param, ctx)[1:-1]
    repeat = _LIST.match(label)
    if repeat:
        label = repeat.group(1)
    label = _TYPES[locale].get(label, label)  # choices stay: they are what the user types
    return f"<{label}>..." if repeat else f"<{label}>"


def _usage(obj: Any, ctx: Any, locale: str) -> str:
    words = _WORDS[locale]
    pieces = [words.get(p, p) for p in obj.collect_usage_pieces(ctx)]
    return " ".join([words["usage"], ctx.command_path, *pieces])


@contextmanager
def _in_language(obj: Any, ctx: Any, locale: str) -> Iterator[None]:
    """Put the command's texts and Typer's words into ``locale`` while its help is printed."""
    saved: list[tuple[Any, str, Any, bool]] = []

    def put(target: Any, attr: str, value: Any) -> None:
        saved.append((target, attr, getattr(target, attr, None), attr in vars(target)))
        setattr(target, attr, value)

    for name in _CONSTANTS:
        put(typer.rich_utils, name, _WORDS[locale][name])
    put(obj, "help", translate(obj.help, locale))
    put(obj, "get_usage", lambda c: _usage(obj, c, locale))
    for param in obj.get_params(ctx):
        put(param, "help", translate(getattr(param, "help", None), locale))
        if hasattr(param, "display_type"):
            put(param, "display_type_rich", _bind(_display_type, param, locale))
        if param.param_type_name == "argument":
            put(param, "metavar", translate(param.metavar or param.name, locale))
    if hasattr(obj, "list_commands"):  # a group (Typer's own, not click's, class)
        for name in obj.list_commands(ctx):
            sub = obj.get_command(ctx, name)
            if sub is not None:
                put(sub, "help", translate(sub.help, locale))
                put(sub, "short_help", translate(sub.short_help, locale))
    try:
        yield
    finally:
        for target, attr, value, own in reversed(saved):
            if own or target is typer.rich_utils:
                setattr(target, attr, value)
            else:
                delattr(target, attr)


def _bind(
    fn: Callable[[Any, Any, str], str | None], param: Any, locale: str
) -> Callable[[Any], str | None]:
    return lambda ctx: fn(param, ctx, locale)


def _param_name(param: Any, locale: str) -> str:
    if param is None:
        return ""
    if param.param_type_name == "argument":
        return translate(param.metavar or param.name, locale) or ""
    return " / ".join(param.opts)


def error_message(exc: Any, locale: str) -> str:
    """A usage error in Japanese (click writes them in English only); English as click wrote it."""
    if locale != "ja":
        return str(exc.format_message())
    param = getattr(exc, "param", None)
    name = _param_name(param, locale)
    if isinstance(exc, click_errors.MissingParameter):
        return f"{name} を指定してください。" if name else "指定が足りません。"
    if isinstance(exc, click_errors.BadParameter):
        own = str(getattr(exc, "message", "") or "")
        said_own = catalogue(locale).get(own) or (own if _JAPANESE.search(own) else "")
        if said_own:  # the command's own words, in Japanese or from the catalogue
            return f"{name}: {said_own}" if name else said_own
        desc = getattr(param, "type_descriptor", None)
        choices = [str(getattr(c, "value", c)) for c in getattr(desc, "choices", None) or ()]
        said = f"{name} の値が正しくありません。" if name else "値が正しくありません。"
        return said + (f"選べる値: {'、'.join(choices)}" if choices else "")
    if isinstance(exc, click_errors.NoSuchOption):
        return f"そのようなオプションはありません: {exc.option_name}"
    message = str(exc.format_message())
    for pattern, japanese in _USAGE_ERRORS:
        m = pattern.fullmatch(message)
        if m:
            return japanese.format(*m.groups())
    return "コマンドの使い方が正しくありません。"


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")  # kana or kanji
_USAGE_ERRORS = [
    (re.compile(r"No such command '(.+)'\."), "そのようなコマンドはありません: {}"),
    (re.compile(r"Got unexpected extra arguments? \((.+)\)"), "余分な引数があります: {}"),
    (re.compile(r"Option '(.+)' requires an argument\."), "{} には値が必要です。"),
    (re.compile(r"Option '(.+)' does not take a value\."), "{} には値を付けません。"),
]


def install() -> None:
    """Route Typer's help and usage-error printing through the language (once)."""
    original = typer.rich_utils.rich_format_help
    if getattr(original, "_kizashi_language", False):
        return

    def rich_format_help(*, obj: Any, ctx: Any, markup_mode: Any) -> None:
        with _in_language(obj, ctx, help_locale()):
            original(obj=obj, ctx=ctx, markup_mode=markup_mode)

    original_error = typer.rich_utils.rich_format_error

    def rich_format_error(self: Any) -> None:
        locale = help_locale()
        saved = {k: getattr(typer.rich_utils, k) for k in _ERROR_CONSTANTS}
        ctx = getattr(self, "ctx", None)
        shown = error_message(self, locale)
        try:
            for k in _ERROR_CONSTANTS:
                setattr(typer.rich_utils, k, _WORDS[locale][k])
            self.format_message = lambda: shown
            if ctx is None:
                original_error(self)
            else:
                with _in_language(ctx.command, ctx, locale):  # the usage line too
                    original_error(self)
        finally:
            for k, v in saved.items():
                setattr(typer.rich_utils, k, v)

    original_abort = typer.rich_utils.rich_abort_error

    def rich_abort_error() -> None:
        saved = typer.rich_utils.ABORTED_TEXT
        typer.rich_utils.ABORTED_TEXT = _WORDS[help_locale()]["ABORTED_TEXT"]
        try:
            original_abort()
        finally:
            typer.rich_utils.ABORTED_TEXT = saved

    rich_format_help._kizashi_language = True  # type: ignore[attr-defined]
    typer.rich_utils.rich_format_help = rich_format_help
    typer.rich_utils.rich_format_error = rich_format_error
    typer.rich_utils.rich_abort_error = rich_abort_error
