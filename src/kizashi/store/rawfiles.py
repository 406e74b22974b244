"""Raw uploaded files, kept content-addressed (sha256) so every number traces to its file."""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from .models import RawFile


def raw_path(raw_dir: Path, sha256: str) -> Path:
    return raw_dir / sha256[:2] / sha256


def put_raw_file(session: Session, raw_dir: Path, data: bytes, filename: str) -> RawFile:
    """Store the bytes once (idempotent) and return the RawFile row (added to the session).

    The file is written atomically (temp file + rename) and made durable — the file, then its
    directory, fsynced — before the row is even added, so a committed row never names a file
    that a crash could lose. A file whose row is rolled back is harmless and is reused by the
    next upload of the same bytes.
    """
    digest = hashlib.sha256(data).hexdigest()
    path = raw_path(raw_dir, digest)
    if not path.exists():
        created = not path.parent.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)  # the rename
        if created:
            _fsync_dir(path.parent.parent)  # the new shard directory's entry
    row = session.get(RawFile, digest)
    if row is None:
        row = RawFile(
            sha256=digest, size=len(data), first_filename=filename, stored_at=datetime.now(UTC)
        )
        session.add(row)
    return row


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_raw_file(raw_dir: Path, sha256: str) -> bytes:
    data = raw_path(raw_dir, sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"raw file {sha256} does not match its hash")
    return data
