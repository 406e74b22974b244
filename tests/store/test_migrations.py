"""Migrations: they build exactly the models' schema, so a model change without a migration fails."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kizashi.store.db import current_revision, head_revision
from kizashi.store.schema import metadata


def test_models_match_migrations(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert diff == [], f"models changed without a migration: {diff}"


def test_store_is_at_head(store):
    assert current_revision(store.engine) == head_revision(store.engine)


def test_fresh_database_migrates_on_first_use(tmp_path):
    from kizashi.store.db import Store

    s = Store(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(s.engine) == head_revision(s.engine)
    s.dispose()
