"""Typed settings. Built at the entry point (CLI or ``create_app``), never at import time."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every field can be set by an environment variable ``KIZASHI_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="KIZASHI_", extra="ignore")

    data_dir: Path = Field(
        default=Path("kizashi-data"),
        description="Directory for the SQLite database, raw uploaded files and run outputs.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the operational store. Default: a SQLite file "
            "`kizashi.db` inside data_dir. PostgreSQL: postgresql+psycopg://user:pw@host/db."
        ),
    )
    secret_key: str | None = Field(
        default=None,
        description=(
            "Key that signs session cookies and CSRF tokens. Default: a random key created "
            "once and kept in data_dir/secret_key."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address the web server listens on.")
    port: int = Field(default=8000, description="Port the web server listens on.")
    web_workers: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Worker processes of kizashi serve (each a full copy of the app serving requests "
            "in parallel). Default: the machine's CPU count."
        ),
    )
    default_locale: str = Field(
        default="ja", description="UI language when the user has not chosen one (ja or en)."
    )
    cookie_secure: bool = Field(
        default=False,
        description="Send session cookies only over HTTPS. Turn on behind TLS in production.",
    )
    trusted_origins: list[str] = Field(
        default=[],
        description=(
            "Origins (scheme://host[:port]) besides the server's own from which browsers may "
            "send unsafe requests, e.g. the public https origin when a proxy rewrites Host. "
            'As JSON: ["https://kizashi.example.jp"].'
        ),
    )
    session_idle_seconds: int = Field(
        default=2 * 3600,
        gt=0,
        description=(
            "A login session ends after this many seconds without a request (activity is "
            "recorded at most once a minute, so the end can come up to a minute early)."
        ),
    )
    session_absolute_seconds: int = Field(
        default=12 * 3600,
        gt=0,
        description=(
            "A login session ends this many seconds after the login, however active the user "
            "is; the session cookie lives as long."
        ),
    )
    login_max_failures: int = Field(
        default=10,
        gt=0,
        description=(
            "Failed logins in a row for one login ID (within login_failure_window_seconds) "
            "that lock it; while locked even the right password is refused."
        ),
    )
    login_failure_window_seconds: int = Field(
        default=15 * 60,
        gt=0,
        description="Window in which failed logins for one login ID or one address are counted.",
    )
    login_lockout_seconds: int = Field(
        default=30 * 60,
        ge=0,
        description=(
            "How long a locked login ID stays locked, unless an administrator unlocks it "
            "sooner (kizashi user unlock). 0: until an administrator unlocks it."
        ),
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description=(
            "Addresses or networks of reverse proxies in front of kizashi. A request from one "
            "of them is attributed to the client its X-Forwarded-For names (the nearest address "
            "that is not itself a trusted proxy), for the per-address login throttle and the "
            'audit log. Empty: the peer address, always. As JSON: ["127.0.0.1", "10.0.0.0/8"].'
        ),
    )
    login_address_max_failures: int = Field(
        default=30,
        gt=0,
        description=(
            "Failed logins from one client address within login_failure_window_seconds "
            "after which that address gets 429 (Retry-After) until the window ends."
        ),
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, description="Largest file accepted by an upload or ingest."
    )
    max_upload_lines: int = Field(
        default=200_000,
        ge=1,
        description="Most lines a CSV (or rows a worksheet) of an upload or ingest may have; "
        "counted before the file is split, so a longer file is refused at once.",
    )
    max_upload_cells: int = Field(
        default=3_000_000,
        ge=1,
        description="Most fields (CSV) or cells (worksheet) one uploaded file may have; "
        "counted row by row while reading.",
    )
    max_upload_unpacked_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1,
        description="Most bytes an .xlsx workbook may unpack to (all its parts, the sheets "
        "and shared strings included), counted while decompressing, not taken from the zip.",
    )
    max_upload_issues: int = Field(
        default=200,
        ge=1,
        description="Errors (and, separately, warnings) listed in an import report; the rest "
        "are counted by code.",
    )
    upload_workers: int = Field(
        default=2,
        ge=1,
        description="Uploads analysed at the same time by the web server, each in its own "
        "worker process; further uploads wait for a free worker.",
    )
    upload_worker_memory_mb: int = Field(
        default=1024,
        ge=64,
        description="Memory (address space, MiB) one upload worker process may use; an upload "
        "that needs more is refused with an error.",
    )
    upload_timeout_seconds: int = Field(
        default=120,
        ge=1,
        description="Longest an upload may wait for a worker and then be analysed; the worker "
        "is stopped after that and the upload refused.",
    )
    page_size: int = Field(default=50, description="Rows per page in portfolio lists.")
    risk_weight: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Weight of the risk model's score in the triage priority (0: rules only, 1: score "
            "only); the rest goes to the rules' priority. Both enter as percentile ranks."
        ),
    )
    submission_deadline_days: int = Field(
        default=30,
        ge=0,
        le=365,
        description="Days after a month's end by which its trial balance counts as delivered on "
        "time (submission timeliness).",
    )
    consent_request_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days a consent request waits for the business's answer before it expires.",
    )
    audit_key: str | None = Field(
        default=None,
        description=(
            "Secret (at least 32 characters) that keys the audit chain and signs its "
            "checkpoints; kept outside the database and distinct from secret_key. Default: "
            "read from audit_key_file."
        ),
    )
    audit_key_file: Path | None = Field(
        default=None,
        description=(
            "File holding the audit key when audit_key is not set. Default: "
            "data_dir/audit_key, created (mode 0600) with a random key on first use."
        ),
    )
    audit_checkpoint_dir: Path | None = Field(
        default=None,
        description=(
            "Directory outside the database for signed audit checkpoints (count and head of "
            "the chain), compared by `kizashi audit verify`. Default: data_dir/audit-checkpoints."
        ),
    )
    audit_checkpoint_interval_seconds: int = Field(
        default=300,
        ge=0,
        description=(
            "How often the web server writes an audit checkpoint while the chain grows "
            "(0: never; the CLI writes one after every run, ingest and demo load)."
        ),
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an IP address or network"
                ) from None
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kizashi.db').resolve()}"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def resolved_audit_key_file(self) -> Path:
        return self.audit_key_file or self.data_dir / "audit_key"

    @property
    def resolved_audit_checkpoint_dir(self) -> Path:
        return self.audit_checkpoint_dir or self.data_dir / "audit-checkpoints"

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()
