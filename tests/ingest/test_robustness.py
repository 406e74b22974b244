"""Any bytes given to any importer yield a result or a clear IngestError — never a crash."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizashi.ingest import IngestError, analyse, load_importers
from kizashi.ingest.importers.base import ParseOptions
from kizashi.ingest.text import decode

from .conftest import FIXTURES, fixture_bytes

IMPORTERS = load_importers()
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.csv"))


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    b = bytearray(data)
    for kind, pos, byte in edits:
        if not b:
            break
        p = pos % len(b)
        if kind == 0:
            b[p] = byte
        elif kind == 1:
            del b[p]
        elif kind == 2:
            b.insert(p, byte)
        else:
            b = b[:p]
    return bytes(b)


edits = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 10**6), st.integers(0, 255)), max_size=8
)


def _analyse_or_clear_error(data: bytes, name: str, fmt: str | None = None) -> None:
    try:
        report = analyse(data, name, format=fmt, fiscal_year_start_month=4)
    except IngestError as exc:
        assert str(exc)
        return
    report.to_dict()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(data: bytes) -> None:
    _analyse_or_clear_error(data, "upload.csv")


@pytest.mark.parametrize("name", FIXTURE_NAMES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(e=edits, enc=st.sampled_from(["cp932", "utf-8"]))
def test_mutated_fixtures(name: str, e: list[tuple[int, int, int]], enc: str) -> None:
    _analyse_or_clear_error(_mutate(fixture_bytes(name, enc), e), name)


@pytest.mark.parametrize("fmt", sorted(IMPORTERS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FIXTURE_NAMES), e=edits)
def test_every_importer_on_mutated_input(
    fmt: str, name: str, e: list[tuple[int, int, int]]
) -> None:
    """Importers called directly (no safety net in ``analyse``) raise nothing but IngestError."""
    data = _mutate(fixture_bytes(name, "cp932"), e)
    imp = IMPORTERS[fmt]
    file = decode(data, name)
    imp.sniff(file)
    with contextlib.suppress(IngestError):
        imp.parse(file, ParseOptions())


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(
            list(',"\n\t 0123456789-▲△()科目金額借方貸方残高合計R.令和年月日/')
        ),
        max_size=300,
    )
)
def test_csv_like_text(text: str) -> None:
    for enc in ("utf-8", "cp932"):
        _analyse_or_clear_error(text.encode(enc, errors="replace"), "t.csv")


def test_garbage_xlsx_is_a_clear_error() -> None:
    with pytest.raises(IngestError):
        analyse(b"PK\x03\x04garbage", "x.xlsx")
