"""Any bytes given to a money importer yield a result or a clear IngestError — never a crash."""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizashi.ingest import IngestError
from kizashi.ingest.money import MoneyOptions, analyse_money, default_money_importers

from . import zengin_builder as zb
from .conftest import SAMPLES
from .test_money_importers import AR, REGIONAL

NAMES = sorted(default_money_importers())
SEEDS: list[bytes] = [
    b"\n".join(zb.statement03()),
    b"".join(zb.statement03()),
    (SAMPLES.parent / "bank" / "zengin" / "sample.txt").read_bytes(),
    REGIONAL.encode("cp932"),
    AR.encode("utf-8"),
    (
        SAMPLES.parent / "einvoice" / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml"
    ).read_bytes(),
    (SAMPLES.parent / "einvoice" / "sme-edi" / "Example1-minimum.xml").read_bytes(),
    # the big banks' layouts (hand-made, fixtures/bank/PROVENANCE.md)
    *(p.read_bytes() for p in sorted((Path(__file__).parent / "fixtures" / "bank").glob("*.csv"))),
]


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
        else:
            b.insert(p, byte)
    return bytes(b)


def _run(data: bytes, fmt: str | None) -> None:
    with contextlib.suppress(IngestError):
        r = analyse_money(
            data, "fuzz.bin", format=fmt, options=MoneyOptions(today=date(2024, 5, 1))
        )
        for issue in r.issues:
            assert issue.file == "fuzz.bin" and issue.message


@pytest.mark.parametrize("fmt", [None, *NAMES])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_random_bytes(fmt: str | None, data: bytes) -> None:
    _run(data, fmt)


@pytest.mark.parametrize("seed", range(len(SEEDS)))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.integers(0, 255)),
        min_size=1,
        max_size=8,
    )
)
def test_mutated_real_and_hand_made_files(seed: int, edits: list[tuple[int, int, int]]) -> None:
    _run(_mutate(SEEDS[seed], edits), None)
