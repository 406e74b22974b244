"""Portfolio list latency at scale: N businesses (default 100k) in SQLite, timed list_portfolio calls.

Run: .venv/bin/python bench/bench_web_portfolio.py [N]
"""

import datetime as dt
import pathlib
import sys
import tempfile
import time

from sqlalchemy import insert

from kizashi.access import Actor
from kizashi.access.reads import list_portfolio
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Relation, Role
from kizashi.store.db import Store
from kizashi.store.models import Business, BusinessLink, ConsentGrant, Organisation

d = pathlib.Path(tempfile.mkdtemp())
st = Store(f"sqlite:///{d}/b.db")
now = dt.datetime.now(dt.UTC)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
with st.session() as s:
    s.add(Organisation(id=1, kind=OrgKind.GUARANTOR, name="cgc", code="cgc", created_at=now))
    s.flush()
    s.execute(
        insert(Organisation),
        [
            dict(id=i + 2, kind=OrgKind.BUSINESS, name=f"b{i}", code=f"b{i}", created_at=now)
            for i in range(N)
        ],
    )
    s.execute(
        insert(Business),
        [
            dict(
                id=i + 1,
                org_id=i + 2,
                name=f"株式会社{i:06d}製作所",
                industry_code="24",
                industry_major="E",
                prefecture_code=f"{i % 47 + 1:02d}",
                fiscal_year_end_month=3,
                employees=i % 100,
                created_at=now,
            )
            for i in range(N)
        ],
    )
    s.execute(
        insert(ConsentGrant),
        [
            dict(
                business_id=i + 1,
                grantee_org_id=1,
                category=Category.PROFILE,
                purpose=Purpose.MONITORING,
                valid_from=dt.date(2024, 1, 1),
                created_at=now,
            )
            for i in range(0, N, 2)
        ],
    )
    s.execute(
        insert(BusinessLink),
        [
            dict(org_id=1, business_id=i + 1, relation=Relation.GUARANTOR, created_at=now)
            for i in range(1, N, 4)
        ],
    )
actor = Actor(user_id=1, org_id=1, org_kind=OrgKind.GUARANTOR, role=Role.OFFICER, login="x")
for kw in [
    dict(),
    dict(page=1000),
    dict(q="製作所"),
    dict(prefecture="13", sort="-employees"),
    dict(q="012345"),
]:
    t = time.perf_counter()
    with st.session() as s:
        p = list_portfolio(s, actor, **kw)
    print(kw, p.total, f"{(time.perf_counter() - t) * 1000:.0f} ms")
