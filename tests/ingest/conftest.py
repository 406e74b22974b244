from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "accounting"


def fixture_bytes(name: str, encoding: str) -> bytes:
    """A fixture (stored as UTF-8 text) re-encoded as an exporter would write it."""
    text = (FIXTURES / name).read_text("utf-8")
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return (
        text.replace("\n", "\r\n").encode(encoding)
        if encoding == "cp932"
        else text.encode(encoding)
    )


@pytest.fixture(params=["cp932", "utf-8", "utf-8-sig"])
def encoding(request: pytest.FixtureRequest) -> str:
    return str(request.param)
