"""An upload waiting for a person to confirm account mappings (the page flow only).

When an upload needs confirmations nothing is stored (no submission, no raw file). So that
the person does not have to choose the file again, the page keeps the uploaded bytes here
until they confirm, under ``data_dir/pending/<token>/``:

* the token is 256 random bits, bound to the user and the business that uploaded — another
  user, or the same user for another business, finds nothing;
* the directory is private (0700) and holds the files and a small manifest (sha256 per file,
  checked when read back, and the upload's options);
* it is removed when the import ends (stored, duplicate or errors) and expires after
  ``TTL_SECONDS`` (swept on every new stash and every read).

Nothing here is a submission or a raw file: those are written only by
``do_import_submission`` when the upload is actually stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TTL_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class PendingUpload:
    token: str
    files: list[tuple[bytes, str]]
    options: dict[str, Any]


def pending_root(data_dir: Path) -> Path:
    return data_dir / "pending"


def _sweep(root: Path, now: float) -> None:
    if not root.is_dir():
        return
    for entry in root.iterdir():
        try:
            if now - entry.stat().st_mtime > TTL_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def stash(
    root: Path,
    *,
    user_id: int | None,
    business_id: int,
    files: list[tuple[bytes, str]],
    options: dict[str, Any],
) -> str:
    """Keep ``files`` until the confirmation; returns the token for the form."""
    now = time.time()
    _sweep(root, now)
    root.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    folder = root / token
    folder.mkdir(mode=0o700)
    entries = []
    for i, (data, name) in enumerate(files):
        (folder / f"{i}.bin").write_bytes(data)
        entries.append({"sha256": hashlib.sha256(data).hexdigest(), "filename": name})
    manifest = {
        "user_id": user_id,
        "business_id": business_id,
        "created": now,
        "files": entries,
        "options": options,
    }
    tmp = folder / ".manifest.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    os.replace(tmp, folder / "manifest.json")
    return token


def load(root: Path, token: str, *, user_id: int | None, business_id: int) -> PendingUpload | None:
    """The kept upload, or None when the token is unknown, expired, someone else's or damaged."""
    if not _TOKEN.match(token or ""):
        return None
    now = time.time()
    _sweep(root, now)
    folder = root / token
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        if (
            manifest["user_id"] != user_id
            or manifest["business_id"] != business_id
            or now - float(manifest["created"]) > TTL_SECONDS
        ):
            return None
        files = []
        for i, entry in enumerate(manifest["files"]):
            data = (folder / f"{i}.bin").read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                return None
            files.append((data, str(entry["filename"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return PendingUpload(token, files, dict(manifest.get("options") or {}))


def discard(root: Path, token: str) -> None:
    if _TOKEN.match(token or ""):
        shutil.rmtree(root / token, ignore_errors=True)
