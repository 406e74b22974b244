"""The audit key: a secret kept outside the database that keys the audit chain and checkpoints.

The key is either given (``KIZASHI_AUDIT_KEY``) or read from a file (``audit_key_file``, by
default ``<data_dir>/audit_key``), created with mode 0600 on first use. Two sub-keys are derived
from it, one for the chain and one for the signed checkpoints, so a value that is valid in one
place is never valid in the other.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

MIN_KEY_CHARS = 32


class AuditKeyError(RuntimeError):
    """The audit key is missing, unreadable or too short."""


@dataclass(frozen=True)
class AuditKey:
    """The master secret; ``chain`` and ``checkpoint`` are the derived sub-keys."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_CHARS:
            raise AuditKeyError(f"the audit key must be at least {MIN_KEY_CHARS} characters")

    @property
    def chain(self) -> bytes:
        return hmac.new(self.secret, b"kizashi audit chain v1", hashlib.sha256).digest()

    @property
    def checkpoint(self) -> bytes:
        return hmac.new(self.secret, b"kizashi audit checkpoint v1", hashlib.sha256).digest()


def load_audit_key(path: Path, *, create: bool) -> AuditKey:
    """Read the key file; with ``create``, make a new random key (mode 0600) if there is none."""
    if not path.exists():
        if not create:
            raise AuditKeyError(f"audit key file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read theirs
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
                f.flush()
                os.fsync(f.fileno())
    text = path.read_text("utf-8").strip()
    if not text:
        raise AuditKeyError(f"audit key file {path} is empty")
    return AuditKey(text.encode("utf-8"))


class AuditKeySource:
    """Where a store finds its key: a given value or a file, resolved on first use."""

    def __init__(
        self, *, key: str | bytes | None = None, path: Path | None = None, create: bool = True
    ) -> None:
        self._given = key.encode("utf-8") if isinstance(key, str) else key
        self.path = path
        self.create = create
        self._key: AuditKey | None = None

    def get(self) -> AuditKey:
        if self._key is None:
            if self._given is not None:
                self._key = AuditKey(self._given)
            elif self.path is not None:
                self._key = load_audit_key(self.path, create=self.create)
            else:
                raise AuditKeyError(
                    "no audit key configured (set KIZASHI_AUDIT_KEY or audit_key_file)"
                )
        return self._key
