"""Benchmark ``kizashi synth``: wall time, rows written and peak RSS of the CLI subprocess.

.venv/bin/python bench/bench_synth.py [N_BUSINESSES] [--chunk-size C] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

# Registers the command explicitly so the benchmark does not depend on cli.main's imports.
RUN_CLI = "import kizashi.cli.main, kizashi.cli.synth_cmd\nfrom kizashi.cli.app import app\napp()"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("businesses", nargs="?", type=int, default=100_000)
    ap.add_argument("--chunk-size", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="write here and keep the output")
    args = ap.parse_args()
    out = args.keep or Path(tempfile.mkdtemp(prefix="kizashi-synth-"))
    cmd = [
        sys.executable,
        "-c",
        RUN_CLI,
        "synth",
        "--businesses",
        str(args.businesses),
        "--out",
        str(out),
        "--seed",
        str(args.seed),
        "--chunk-size",
        str(args.chunk_size),
    ]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    rows = {
        t.name: sum(pq.ParquetFile(p).metadata.num_rows for p in t.glob("*.parquet"))
        for t in sorted(out.iterdir())
        if t.is_dir()
    }
    size_mib = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 2**20
    print(f"businesses      {args.businesses:,} (chunk size {args.chunk_size:,}, seed {args.seed})")
    print(f"wall time       {wall:.1f} s")
    print(f"peak RSS        {peak_mib:,.0f} MiB")
    for name, n in rows.items():
        print(f"rows {name:<14} {n:,}")
    print(f"rows total      {sum(rows.values()):,}")
    print(f"parquet on disk {size_mib:,.0f} MiB")
    if args.keep is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
