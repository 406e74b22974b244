"""The file is about this business: the real EPSON sample names 北信産業 株式会社, so it does not
import silently into another business; confirmed, or into a business of that name, it does."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from kizashi.actions.businesses import BusinessInput, do_add_business
from kizashi.actions.submissions import do_import_submission
from kizashi.store.models import Statement
from tests.world import SYSTEM, make_world

EPSON = Path(__file__).resolve().parents[3] / "shared" / "samples" / "accounting" / "epson-r4"
JOURNAL = (EPSON / "北海道産業(株).csv").read_bytes()
FIXTURE = (Path(__file__).resolve().parents[1] / "ingest" / "fixtures" / "epson.csv").read_bytes()


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def _import(store, actor, bid, data, tmp_path, **kw):
    with store.session() as s:
        return do_import_submission(
            s, actor, business_id=bid, files=[(data, "journal.csv")], raw_dir=tmp_path / "raw", **kw
        )


def _statements(store) -> int:
    with store.session() as s:
        return s.execute(select(func.count()).select_from(Statement)).scalar_one()


def test_epson_sample_of_another_company_is_refused(store, world, tmp_path):
    out = _import(store, world.actors["owner"], world.business.id, JOURNAL, tmp_path)
    errors = [i for i in out.report.errors if i.code == "upload.other_company"]
    assert len(errors) == 1 and not out.stored
    assert errors[0].params == {"company": "北信産業 株式会社", "business": "株式会社テスト工業"}
    assert errors[0].file == "journal.csv"
    assert _statements(store) == 0


def test_confirmed_it_is_stored(store, world, tmp_path):
    out = _import(
        store,
        world.actors["owner"],
        world.business.id,
        JOURNAL,
        tmp_path,
        confirm_other_company=True,
    )
    assert not [i for i in out.report.errors if i.code == "upload.other_company"]
    assert out.reason in ("stored", "needs_confirmation"), out.report.errors


def test_the_named_company_itself_imports_without_question(store, tmp_path):
    with store.session() as s:
        world = make_world(s)
        from kizashi.access import Actor
        from kizashi.actions.organisations import do_add_user
        from kizashi.domain.vocabulary import Role

        biz = do_add_business(
            s,
            SYSTEM,
            BusinessInput(
                name="北信産業株式会社",
                industry_code="24",
                prefecture_code="01",
                fiscal_year_end_month=3,
            ),
        )
        owner = Actor.from_user(
            do_add_user(
                s,
                SYSTEM,
                org=biz.organisation,
                login="hokushin",
                password="password123",
                display_name="北信",
                role=Role.OWNER,
            )
        )
        bid = biz.id
    _ = world
    out = _import(store, owner, bid, JOURNAL, tmp_path)
    assert not [i for i in out.report.errors if i.code == "upload.other_company"]


def test_a_file_without_a_company_is_not_questioned(store, world, tmp_path):
    out = _import(store, world.actors["owner"], world.business.id, FIXTURE, tmp_path)
    assert not [i for i in out.report.errors if i.code == "upload.other_company"]
