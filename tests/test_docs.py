"""Docs that fail the build when incomplete: every CLI command and every setting is documented
in both Japanese and English sections, and the architecture page names every package."""

from __future__ import annotations

from pathlib import Path

import typer

from kizashi.cli.main import app
from kizashi.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(cmd, prefix: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    if hasattr(cmd, "commands"):  # a group (typer may vendor its own click)
        out = []
        for name, sub in cmd.commands.items():
            out += _commands(sub, f"{prefix} {name}".strip())
        return out
    return [prefix]


def _sections(text: str) -> tuple[str, str]:
    ja, _, en = text.partition("\n## English")
    return ja, en


def test_every_cli_command_is_documented_in_both_languages():
    text = (DOCS / "cli.md").read_text("utf-8")
    ja, en = _sections(text)
    assert en, "docs/cli.md needs an '## English' section after the Japanese one"
    commands = _commands(typer.main.get_command(app))
    assert len(commands) >= 10
    missing = [c for c in commands if f"`kizashi {c}" not in ja or f"`kizashi {c}" not in en]
    assert not missing, f"document these commands in docs/cli.md (ja and en): {missing}"


def test_every_setting_is_documented_in_both_languages():
    text = (DOCS / "settings.md").read_text("utf-8")
    ja, en = _sections(text)
    missing = []
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
        env = f"KIZASHI_{name.upper()}"
        if env not in ja or env not in en:
            missing.append(env)
    assert not missing, f"document these settings in docs/settings.md (ja and en): {missing}"


def test_architecture_names_every_package():
    text = (DOCS / "architecture.md").read_text("utf-8")
    src = Path(__file__).resolve().parents[1] / "src" / "kizashi"
    packages = [p.name for p in src.iterdir() if (p / "__init__.py").exists()]
    missing = [p for p in packages if f"`{p}`" not in text and f"kizashi.{p}" not in text]
    assert not missing, f"docs/architecture.md does not describe: {missing}"
