"""Raw files are durable before their row: the file's bytes and the directory entry are fsynced.

``os.fsync`` is the real one, wrapped to record which file or directory each call made
durable (Linux ``/proc/self/fd``); nothing is faked. What this cannot show is a power cut:
it proves the calls happen, in order, before the row exists.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from kizashi.store import rawfiles
from kizashi.store.db import Store
from kizashi.store.models import RawFile


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_file_and_directory_are_fsynced_before_the_row(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(rawfiles.os, "fsync", recording_fsync)
    raw_dir = tmp_path / "raw"
    data = "勘定科目,金額\n売上高,1000\n".encode() * 1000
    digest = hashlib.sha256(data).hexdigest()
    with store.session() as s:
        row = rawfiles.put_raw_file(s, raw_dir, data, "tb.csv")
        assert not synced[0].endswith(digest)  # the temp file, before the rename
        assert Path(synced[0]).parent == raw_dir / digest[:2]
        assert synced[1:] == [str(raw_dir / digest[:2]), str(raw_dir)]
        assert row in s.new  # the row comes after: nothing committed yet
    assert rawfiles.read_raw_file(raw_dir, digest) == data
    with store.session() as s:
        assert s.get(RawFile, digest) is not None

    synced.clear()
    with store.session() as s:
        rawfiles.put_raw_file(s, raw_dir, data, "again.csv")  # already there: no new write
    assert synced == []
