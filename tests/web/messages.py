"""Find every message the web layer can show: ``_("…")`` in templates, gettext/N_ in Python."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "src" / "kizashi" / "web"
_TEMPLATE = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_PYTHON = re.compile(r"""\b(?:gettext|_|N_)\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]""")


def used_messages() -> set[str]:
    found: set[str] = set()
    for path in (WEB / "templates").glob("*.html"):
        for m in _TEMPLATE.finditer(path.read_text("utf-8")):
            found.add(m.group(1) if m.group(1) is not None else m.group(2))
    for path in WEB.rglob("*.py"):
        for m in _PYTHON.finditer(path.read_text("utf-8")):
            found.add(m.group(1))
    return found
