"""``kizashi org add``, ``user add`` and ``business add`` speak Japanese only: beyond the ids,
codes and logins the user typed, their output (successes, refusals, help) holds no ASCII word."""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z]{2,}")
# what the user typed (codes, logins) and the option names a help text must show
TYPED = {
    "cgc",
    "hokkaido",
    "test",
    "hanako",
    "taro",
    "kizashi",
    "id",
}  # ログインID is Japanese usage


def _english(text: str) -> list[str]:
    text = re.sub(r"--[a-z-]+", "", text)  # option names
    return [w for w in WORD.findall(text) if w.lower() not in TYPED]


def _choices(text: str) -> str:
    """Drop the enum choices a help text lists (``business | bank …``) and JIS."""
    return re.sub(
        r"\b(?:business|supporter|bank|guarantor|revitalization|owner|officer|admin|"
        r"auditor|lender|advisor|registrar|JIS)\b",
        "",
        text,
    )


def test_admin_commands_speak_japanese(cli):
    outputs = []

    def run(*args: str, code: int) -> None:
        r = cli(*args)
        assert r.exit_code == code, r.output
        outputs.append(r.output)

    run("org", "add", "cgc-test", "--name", "テスト信用保証協会", "--kind", "guarantor", code=0)
    run("org", "add", "cgc-test", "--name", "二重", "--kind", "guarantor", code=1)
    run(
        "user",
        "add",
        "hanako",
        "--org",
        "cgc-test",
        "--role",
        "officer",
        "--password",
        "s3cret-pass",
        code=0,
    )
    run(
        "user",
        "add",
        "hanako",
        "--org",
        "cgc-test",
        "--role",
        "officer",
        "--password",
        "s3cret-pass",
        code=1,
    )
    run(
        "user",
        "add",
        "taro",
        "--org",
        "cgc-test",
        "--role",
        "owner",
        "--password",
        "s3cret-pass",
        code=1,
    )
    run(
        "user",
        "add",
        "taro",
        "--org",
        "cgc-nowhere",
        "--role",
        "officer",
        "--password",
        "s3cret-pass",
        code=1,
    )
    biz = (
        "business",
        "add",
        "株式会社テスト",
        "--industry",
        "09",
        "--prefecture",
        "北海道",
        "--fiscal-year-end-month",
        "3",
    )
    run(*biz, "--corporate-number", "7000012050002", "--registrar", "cgc-test", code=0)
    run(*biz, "--corporate-number", "7000012050002", code=1)  # already registered
    run(*biz, "--corporate-number", "1000012050002", code=1)  # check digit
    run(*biz, "--corporate-number", "12345", code=1)
    run(
        "business",
        "add",
        "株式会社テスト",
        "--industry",
        "ZZ",
        "--prefecture",
        "北海道",
        "--fiscal-year-end-month",
        "3",
        code=1,
    )
    run(
        "business",
        "add",
        "株式会社テスト",
        "--industry",
        "09",
        "--prefecture",
        "Atlantis",
        "--fiscal-year-end-month",
        "3",
        code=1,
    )
    run(*biz, "--founded", "yesterday", code=1)
    run(*biz, "--registrar", "cgc-nowhere", code=1)
    text = "\n".join(outputs)
    assert "追加しました" in text and "登録しました" in text and "はすでに" in text
    for typed in ("Atlantis", "yesterday", "nowhere", "ZZ"):
        text = text.replace(typed, "")
    assert _english(text) == [], text


def test_admin_commands_help_in_japanese():
    """The commands' own help texts (not the framework's frame): the words beyond the choices a
    user types are Japanese."""
    import typer.main

    from kizashi.cli.main import app

    root = typer.main.get_command(app)
    for group in ("org", "user", "business"):
        command = root.commands[group].commands["add"]  # type: ignore[attr-defined]
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        texts = [t for t in texts if t != "Show this message and exit."]
        assert _english(_choices("\n".join(texts))) == [], texts
