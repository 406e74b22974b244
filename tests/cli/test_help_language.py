"""Every command's ``--help`` in one language: Japanese only by default, English only with
``KIZASHI_DEFAULT_LOCALE=en`` (help texts, Typer's words, value types, usage line).

What a user types is not a message and may stay as it is: command and option names, the values a
choice accepts, and date notations (YYYY-MM-DD). Everything else in Latin letters on the Japanese
help is an English leak (the detector of tests/web/japanese_only.py); any kana or kanji on the
English help is a Japanese leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import click
import pytest
import typer
import typer.rich_utils
from typer.testing import CliRunner

from kizashi.cli import context
from kizashi.cli.main import app
from tests.web.japanese_only import latin_words

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60]")
# Names of formats and standards a Japanese reader is shown as they are written.
CLI_ALLOWED = {"JSON", "YAML", "Markdown", "Parquet", "PSI", "JIS", "CPU", "Web"}
NOTATION = re.compile(
    r"\b(?:YYYY-MM-DD|YYYY-MM|MMDD|YYYY)\b"  # date notations
    r"|`[^`]*`"  # what the user types, quoted: `formats`, `ja`, `kizashi synth`
    r"|\[既定: [^\]]*\]"  # a default: the value as typed
    r"|(?<![\w/])[\w./-]*\w\.(?:md|xlsx|csv|py)\b|(?<!\w)\.xlsx\b"  # file names, .xlsx
    r"|(?<![\w/])/api/v1\b"  # the API's address
)


def _commands() -> list[tuple[list[str], click.Command]]:
    out: list[tuple[list[str], click.Command]] = []

    def walk(c: click.Command, path: list[str]) -> None:
        out.append((path, c))
        for name, sub in getattr(c, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


COMMANDS = _commands()
COMMAND_LINES = sorted((" ".join(["kizashi", *p]) for p, _ in COMMANDS), key=len, reverse=True)


def _typed(path: list[str], command: click.Command) -> set[str]:
    """The words a user types for this command: names, option names, choices."""
    words = {"kizashi", *path, *getattr(command, "commands", {})}
    for p in command.params:
        for opt in [*p.opts, *p.secondary_opts]:
            words.add(opt.lstrip("-"))
        desc = getattr(p, "type_descriptor", None)  # Typer's parameters
        choices = (
            getattr(desc, "choices", None)
            or getattr(getattr(p, "type", None), "choices", None)
            or ()
        )
        words.update(str(getattr(c, "value", c)) for c in choices)
    return words


def _help(path: list[str], locale: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KIZASHI_DEFAULT_LOCALE", locale)
    context.settings.cache_clear()
    r = CliRunner().invoke(app, [*path, "--help"])
    assert r.exit_code == 0, (path, r.output)
    return r.output


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 200)  # no word folded in two
    yield
    context.settings.cache_clear()


def _english_words(text: str, typed: set[str]) -> list[str]:
    text = re.sub(r"(?<![\w-])--?[a-z][a-z0-9-]*", " ", text)  # option names
    text = NOTATION.sub(" ", text)
    for line in COMMAND_LINES:  # a command named in a help text: `kizashi run`
        text = text.replace(line, " ")
    words = re.findall(r"[A-Za-z][A-Za-z0-9_\-.]*[A-Za-z0-9]", text)
    for w in words:  # choice values, subcommands and names typed as they are
        if w in typed or w.replace("-", "_") in typed:
            text = re.sub(rf"(?<![\w-]){re.escape(w)}(?![\w-])", " ", text)
    return latin_words(text, allowed=CLI_ALLOWED)


@pytest.mark.parametrize(
    "path,command", COMMANDS, ids=[" ".join(p) or "kizashi" for p, _ in COMMANDS]
)
def test_help_is_japanese_only_by_default(path: list[str], command: Any, monkeypatch) -> None:
    out = _help(path, "ja", monkeypatch)
    assert "使い方:" in out and "オプション" in out
    assert _english_words(out, _typed(path, command)) == [], out


@pytest.mark.parametrize(
    "path,command", COMMANDS, ids=[" ".join(p) or "kizashi" for p, _ in COMMANDS]
)
def test_help_is_english_only_in_english(path: list[str], command: Any, monkeypatch) -> None:
    out = _help(path, "en", monkeypatch)
    assert "Usage:" in out and "Options" in out
    assert JAPANESE.findall(out) == [], out


def test_the_detector_sees_a_leak(monkeypatch) -> None:
    """The check above can fail: an English help text and <bool> on Japanese help are found."""
    path, command = next((p, c) for p, c in COMMANDS if p == ["flag", "set-state"])
    assert _english_words("使い方: <bool> Show this message", _typed(path, command)) == [
        "Show",
        "bool",
        "message",
        "this",
    ]
    assert (
        _english_words("--purpose <monitoring|support> [既定: monitoring]", _typed(path, command))
        == []
    )
    out = _help(["flag", "set-state"], "ja", monkeypatch)
    assert "<bool>" not in out and "Show this message" not in out and "[必須]" in out
    assert "--help" in out and "このヘルプを表示して終了する" in out


BAD_CALLS = [  # (arguments, what the user typed wrongly)
    (["flag", "set-state"], None),  # an argument missing
    (["flag", "set-state", "x", "acknowledged", "--as", "a"], "x"),  # not a number
    (["flag", "set-state", "1", "bogus", "--as", "a"], "bogus"),  # not a choice
    (["flag", "nosuch"], "nosuch"),  # no such command
    (["flag", "set-state", "1", "acknowledged", "--as", "a", "--bogus"], "--bogus"),
    (["case", "list", "--as"], None),  # an option without its value
]


@pytest.mark.parametrize("args,typed", BAD_CALLS)
def test_usage_errors_speak_the_language(args: list[str], typed: str | None, monkeypatch) -> None:
    words = [a for a in args if not a.startswith("-")]
    path, command = max(
        ((p, c) for p, c in COMMANDS if p == words[: len(p)]), key=lambda pc: len(pc[0])
    )
    for locale in ("ja", "en"):
        monkeypatch.setenv("KIZASHI_DEFAULT_LOCALE", locale)
        context.settings.cache_clear()
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        if locale == "ja":
            assert "エラー" in r.output, r.output
            words = _typed(path, command) | ({typed.lstrip("-")} if typed else set())
            assert _english_words(r.output, words) == [], r.output
        else:
            assert "Error" in r.output, r.output
            assert JAPANESE.findall(r.output) == [], r.output


def test_a_refusal_of_the_cli_says_error_in_japanese(cli) -> None:  # type: ignore[no-untyped-def]
    """The shared ``fail`` prefixed "error:" and ``--as`` an unknown login said so in English."""
    r = cli("flags", "--business", "1", "--as", "nobody")
    assert r.exit_code == 1
    assert "エラー:" in r.output and "nobody" in r.output, r.output
    assert _english_words(r.output, {"nobody"}) == [], r.output
