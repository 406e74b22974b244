"""Large uploads through a REAL server: refused or analysed in a capped worker, never freezing it.

A ``uvicorn`` subprocess serves the test world on a free loopback port. While a 1,000,000-line
CSV (~18 MB), the largest CSV the line limit allows (199,999 lines, an error on each) and an
.xlsx whose sheet unpacks to ~190 MiB are uploaded, another thread polls ``/healthz`` and the
login page, and the memory of the server and all its children (fork server, upload workers)
is sampled. Every poll must answer within 2 s, the memory stay under 1.5 GB, and each
upload end in a clear error with a capped issue list.

The limits on small hand-made files, and the pages' own language, are tested with the
TestClient further down (and in tests/ingest/test_limits.py).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app
from tests.ingest.test_limits import workbook

from .conftest import PASSWORD, WebWorld, login
from .live_server import free_port
from .test_uploads import post_api

HEALTH_BOUND_S = 2.0
MEMORY_BOUND = 1.5 * 1024**3

# The guard matters: upload workers re-import the main module (multiprocessing's rule).
SERVER = """
import json, os, sys
import uvicorn
from kizashi.settings import Settings
from kizashi.web.app import create_app

if __name__ == "__main__":
    settings = Settings(**json.loads(os.environ["KIZASHI_TEST_SETTINGS"]))
    app = create_app(settings)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


@dataclass
class Live:
    url: str
    pid: int
    business_id: int


@pytest.fixture
def live(settings: Settings, store: Store, web_world: WebWorld, tmp_path: Path) -> Iterator[Live]:
    script = tmp_path / "serve.py"
    script.write_text(SERVER)
    port = free_port()
    env = {**os.environ, "KIZASHI_TEST_SETTINGS": json.dumps(settings.model_dump(mode="json"))}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start: " + (tmp_path / "server.log").read_text())
            time.sleep(0.2)
        yield Live(url, proc.pid, web_world.business_id)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        print((tmp_path / "server.log").read_text()[-1500:])  # shown when the test fails


@dataclass
class Watch:
    """Polls /healthz and a page, and samples the memory of the server and its children."""

    live: Live
    health: list[float] = field(default_factory=list)
    pages: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _rss(self) -> int:
        server = psutil.Process(self.live.pid)
        total = server.memory_info().rss
        for child in server.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _loop(self) -> None:
        with httpx.Client(base_url=self.live.url, timeout=30) as c:
            while not self._stop.is_set():
                for path, times in (("/healthz", self.health), ("/login", self.pages)):
                    t0 = time.monotonic()
                    try:
                        r = c.get(path)
                        if r.status_code != 200:
                            self.failures.append(f"{path}: {r.status_code}")
                    except httpx.HTTPError as exc:
                        self.failures.append(f"{path}: {exc!r}")
                    times.append(time.monotonic() - t0)
                self.peak_rss = max(self.peak_rss, self._rss())
                self._stop.wait(0.1)

    def __enter__(self) -> Watch:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def check(self) -> None:
        hwm = _vm_hwm(self.live.pid)
        print(  # the figures, for the report (pytest -s)
            f"polls {len(self.health)}: /healthz max {max(self.health):.3f} s, "
            f"/login max {max(self.pages):.3f} s; peak RSS with children "
            f"{self.peak_rss / 2**20:.0f} MiB; server VmHWM {hwm / 2**20:.0f} MiB"
        )
        assert not self.failures, self.failures
        assert len(self.health) >= 3, "too few polls to say anything"
        assert max(self.health) < HEALTH_BOUND_S, f"/healthz took {max(self.health):.2f} s"
        assert max(self.pages) < HEALTH_BOUND_S, f"/login took {max(self.pages):.2f} s"
        assert self.peak_rss < MEMORY_BOUND, f"{self.peak_rss / 2**20:.0f} MiB"
        assert hwm < MEMORY_BOUND, f"server VmHWM {hwm / 2**20:.0f} MiB"


def _vm_hwm(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"VmHWM:\s+(\d+) kB", text)
    assert m
    return int(m.group(1)) * 1024


@contextmanager
def _client(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=300, headers={"Origin": live.url}) as c:
        _login(c)
        yield c


def _login(c: httpx.Client) -> None:
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = c.post(
        "/login",
        data={"login": "owner", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
    )
    assert r.status_code == 303, r.text
    c.headers["X-CSRF-Token"] = c.get("/api/v1/me").json()["csrf_token"]


def _upload(c: httpx.Client, live: Live, name: str, data: bytes) -> tuple[httpx.Response, float]:
    t0 = time.monotonic()
    r = c.post(
        f"/api/v1/businesses/{live.business_id}/submissions",
        files=[("files", (name, data, "application/octet-stream"))],
    )
    return r, time.monotonic() - t0


def csv_with_bad_amounts(lines: int) -> bytes:
    """A 残高試算表 with a header and lines - 1 rows, each amount unreadable (~18 bytes a row)."""
    return ("月,科目,当月残高\n" + "2022-04,現金,1x\n" * (lines - 1)).encode()


def big_sheet_xlsx(unpacked: int) -> bytes:
    """An .xlsx whose one sheet unpacks to ``unpacked`` bytes, streamed into the zip; it
    compresses about 12 to 1, under the ratio limit, and declares its true sizes."""
    small = zipfile.ZipFile(io.BytesIO(workbook(1)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for info in small.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zf.writestr(info.filename, small.read(info))
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><sheetData>'
            )
            written, r = 0, 0
            while written < unpacked:
                rows = []
                for _ in range(5000):
                    r += 1
                    rows.append(
                        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>2022-04</t></is></c>'
                        f'<c r="B{r}" t="inlineStr"><is><t>普通預金</t></is></c>'
                        f'<c r="C{r}"><v>{r % 1000}</v></c></row>'
                    )
                chunk = "".join(rows).encode()
                out.write(chunk)
                written += len(chunk)
            out.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def test_a_million_line_csv_is_refused_and_the_largest_allowed_analysed(live: Live) -> None:
    million = csv_with_bad_amounts(1_000_000)
    assert 17 * 2**20 < len(million) < 20 * 2**20
    largest = csv_with_bad_amounts(200_000)  # the default line limit, header included
    with _client(live) as c, Watch(live) as watch:
        r, took = _upload(c, live, "million.csv", million)
        assert r.status_code == 422, r.text[:500]
        assert len(r.content) < 100_000
        report = r.json()["report"]
        (err,) = report["errors"]
        assert err["code"] == "upload.too_many_lines"
        assert (err["file"], err["line"]) == ("million.csv", 200_001)
        assert "200,001 行目" in err["message"] and "line" not in err["message"]  # Japanese
        assert took < 30, f"refusing took {took:.1f} s"
        print(f"1,000,000 lines refused in {took:.2f} s")

        r, took = _upload(c, live, "largest.csv", largest)
        assert r.status_code == 422, r.text[:500]
        assert len(r.content) < 1_000_000
        report = r.json()["report"]
        assert len(report["errors"]) == 200  # max_upload_issues
        assert report["errors_total"] == 199_999
        assert report["errors_omitted"] == 199_799
        assert report["issue_counts"]["amount.invalid"] == 199_999
        first = report["errors"][0]
        assert (first["file"], first["line"], first["column"]) == ("largest.csv", 2, 3)
        print(f"199,999 lines analysed in {took:.2f} s")
    watch.check()
    assert len(watch.health) >= 5


def test_an_xlsx_unpacking_to_190_mb_is_refused_while_counting(live: Live) -> None:
    data = big_sheet_xlsx(190 * 2**20)
    assert len(data) < 20 * 2**20
    declared = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert declared < 200 * 2**20 and declared < 200 * len(data)  # under the old limits
    with _client(live) as c, Watch(live) as watch:
        r, took = _upload(c, live, "big.xlsx", data)
        assert r.status_code == 422, r.text[:500]
        (err,) = r.json()["report"]["errors"]
        assert err["code"] == "upload.unpacked_too_large"
        assert err["field"] == "xl/worksheets/sheet1.xml"
        assert "100 MB" in err["message"]
        assert took < 60
        print(f"190 MiB sheet refused in {took:.2f} s")
    watch.check()


# --- the limits and their messages through the app (TestClient), with tiny limits -------


@pytest.fixture
def tiny_client(settings: Settings, store: Store, web_world: WebWorld) -> Iterator[TestClient]:
    small = settings.model_copy(
        update={"max_upload_lines": 5, "max_upload_cells": 100, "max_upload_issues": 2}
    )
    with TestClient(create_app(small, store), follow_redirects=False) as c:
        yield c


def _page_upload(client: TestClient, bid: int, name: str, data: bytes, lang: str) -> str:
    page = client.get(f"/businesses/{bid}/upload?lang={lang}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post(
        f"/businesses/{bid}/upload",
        files=[("files", (name, data, "text/csv"))],
        data={"csrf_token": token.group(1), "format": "", "fiscal_year_start_month": "4"},
    )
    assert r.status_code == 422, r.text[:300]
    return r.text


def test_a_refusal_on_the_japanese_page_is_japanese(tiny_client: TestClient, web_world) -> None:  # type: ignore[no-untyped-def]
    login(tiny_client, "owner")
    form = tiny_client.get(f"/businesses/{web_world.business_id}/upload?lang=ja").text
    assert "1ファイル 5 行までです" in form
    html = _page_upload(tiny_client, web_world.business_id, "tb.csv", csv_with_bad_amounts(9), "ja")
    assert "行数が多すぎます" in html
    assert "tb.csv: 行数が上限の 5 行を超えています (6 行目で超過)" in html
    assert "more than" not in html and "over the limit" not in html
    html = _page_upload(tiny_client, web_world.business_id, "tb.csv", csv_with_bad_amounts(9), "en")
    assert "tb.csv: more than 5 lines (line 6 is over the limit)" in html
    assert "行数が上限" not in html


def test_the_page_and_the_api_say_how_many_more_there_were(
    tiny_client: TestClient, web_world
) -> None:  # type: ignore[no-untyped-def]
    login(tiny_client, "owner")
    html = _page_upload(tiny_client, web_world.business_id, "tb.csv", csv_with_bad_amounts(5), "ja")
    assert html.count('class="issue issue-error"') == 2
    assert "全 4 件のうち最初の 2 件だけを表示しています" in html
    assert re.search(r'data-code="amount.invalid">[^<]*: ほか 2 件', html)
    r = post_api(tiny_client, web_world.business_id, [("tb.csv", csv_with_bad_amounts(5))])
    assert r.status_code == 422
    report = r.json()["report"]
    assert len(report["errors"]) == 2 and report["errors_total"] == 4
    assert report["issue_counts"] == {"amount.invalid": 4}


def test_a_worker_over_its_memory_is_a_clear_error_and_nothing_is_stored(
    settings: Settings, store: Store, web_world: WebWorld
) -> None:
    """256 MiB of address space (the worker starts at ~85): a small file is analysed, a
    million lines with an error each (allowed here by the line limit) is not."""
    from sqlalchemy import func, select

    from kizashi.store.models import Submission

    capped = settings.model_copy(
        update={"upload_worker_memory_mb": 256, "max_upload_lines": 1_000_000}
    )
    with TestClient(create_app(capped, store), follow_redirects=False) as c:
        login(c, "owner")
        small = post_api(c, web_world.business_id, [("tb.csv", csv_with_bad_amounts(100))])
        big = post_api(c, web_world.business_id, [("big.csv", csv_with_bad_amounts(1_000_000))])
    assert small.status_code == 422
    assert small.json()["report"]["errors_total"] == 99  # analysed
    assert big.status_code == 422, big.text[:300]
    (err,) = big.json()["report"]["errors"]
    assert err["code"] == "upload.memory_limit"
    assert "256 MB" in err["message"]
    with store.session() as s:
        assert s.execute(select(func.count()).select_from(Submission)).scalar_one() == 0


# --- the worker pool itself ---------------------------------------------------------------


def test_a_worker_over_its_time_is_killed() -> None:
    from kizashi.web.upload_pool import UploadPool, WorkerFailed

    pool = UploadPool(1, 512 * 2**20, timeout_seconds=1)
    t0 = time.monotonic()
    with pytest.raises(WorkerFailed) as info:
        pool.run(time.sleep, 30)
    assert info.value.code == "upload.timeout"
    assert time.monotonic() - t0 < 10
    assert pool.run(sum, [1, 2, 3]) == 6  # the slot was given back


def test_a_crashed_worker_is_an_error_not_a_hang() -> None:
    from kizashi.web.upload_pool import UploadPool, WorkerFailed

    pool = UploadPool(1, 512 * 2**20, timeout_seconds=30)
    with pytest.raises(WorkerFailed) as info:
        pool.run(os._exit, 3)
    assert info.value.code == "upload.memory_limit"
