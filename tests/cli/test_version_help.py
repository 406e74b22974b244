"""``kizashi --version`` and help texts that are never cut with "…"."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import pytest
import typer
import typer.rich_utils
from typer.testing import CliRunner

from kizashi.cli.main import app


def test_version_prints_the_installed_version():
    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"kizashi {version('kizashi')}"


def _command_paths() -> list[tuple[list[str], int]]:
    """Every command's path and how many "…" its own help texts hold (those are not cuts)."""
    out: list[tuple[list[str], int]] = []

    def walk(c: Any, path: list[str]) -> None:
        texts = [c.help or ""] + [getattr(p, "help", None) or "" for p in c.params]
        texts += [sub.help or "" for sub in getattr(c, "commands", {}).values()]
        out.append((path, sum(t.count("…") for t in texts)))
        for name, sub in getattr(c, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    assert len(out) > 20  # every command and group
    return out


@pytest.mark.parametrize("width", [60, 80, 120])
def test_no_help_line_is_cut(width, monkeypatch):
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", width)
    for path, written in _command_paths():
        r = CliRunner().invoke(app, [*path, "--help"])
        assert r.exit_code == 0, (path, r.output)
        cut = [line for line in r.output.splitlines() if "…" in line]
        assert r.output.count("…") <= written, (path, width, cut)


def test_a_long_help_line_appears_whole(monkeypatch):
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 80)
    r = CliRunner().invoke(app, ["audit", "--help"])
    flat = "".join(ch for ch in r.output if ch not in " │\n")
    assert "改ざんや欠落があれば終了コード1。" in flat, r.output
    r = CliRunner().invoke(app, ["ingest", "--help"])
    assert "--fiscal-year-start-m…" not in r.output  # folded onto the next line, not cut
    assert "--fiscal-year-start-mo" in r.output and "nth" in r.output
