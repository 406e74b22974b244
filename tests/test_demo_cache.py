"""``tests/demo_cache.demo_state``: a copied demo is the built one — every row of every table,
every file of the data directory, the builder's result — and new rows continue after the
copied ids on both backends. The other tests trust their starting state to this."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kizashi.domain.vocabulary import OrgKind
from kizashi.jobs.demo import build_demo
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import Organisation
from kizashi.store.schema import metadata

from .conftest import TEST_AUDIT_KEY, _truncate_all
from .demo_cache import demo_state


def _contents(store: Store) -> dict[str, list[tuple]]:
    with store.engine.connect() as conn:
        return {
            t.name: sorted(
                (tuple(map(repr, r)) for r in conn.execute(select(t))),
            )
            for t in metadata.sorted_tables
        }


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix != ".lock"
    }


def _wipe(store: Store) -> None:
    if store.url.startswith("sqlite"):
        with store.engine.begin() as conn:
            for t in reversed(metadata.sorted_tables):
                conn.execute(t.delete())
    else:
        _truncate_all(store)


def test_a_copied_demo_is_the_built_one(store: Store, settings: Settings, tmp_path: Path) -> None:
    key = ("test_demo_cache", uuid.uuid4().hex)  # new: the first call builds

    def build():  # type: ignore[no-untyped-def]
        summary = build_demo(store, settings, businesses=12, seed=5)
        run_monitoring_job(store, settings)
        return summary

    built = demo_state(store, settings, key, build)
    rows, files = _contents(store), _files(settings.data_dir)
    assert sum(map(len, rows.values())) > 1000 and any(f.endswith(".duckdb") for f in files)

    _wipe(store)
    assert not any(_contents(store).values())
    other = Settings(
        data_dir=tmp_path / "other",
        database_url=store.url,
        secret_key="test-secret",
        audit_key=TEST_AUDIT_KEY,
    )

    def not_again():  # type: ignore[no-untyped-def]
        pytest.fail("the demo was built a second time")

    copied = demo_state(store, other, key, not_again)
    assert copied == built and copied is not built
    assert _contents(store) == rows
    assert _files(other.data_dir) == files

    # ids continue after the copied rows: a new organisation gets the next one
    top = max(int(r[0]) for r in rows["organisation"])
    with store.session() as s:
        org = Organisation(
            code="demo-cache-new",
            name="新しい組織",
            kind=OrgKind.BANK,
            created_at=datetime.now(UTC),
        )
        s.add(org)
        s.flush()
        assert org.id == top + 1

    # a store that is not empty is refused, not overwritten
    with pytest.raises(AssertionError, match="empty store"):
        demo_state(store, other, key, not_again)
