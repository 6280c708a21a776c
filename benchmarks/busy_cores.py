#!/usr/bin/env python
"""Busy cores: ``mpi.measure`` while another process keeps one core busy.

Run from the repository root::

    .venv/bin/python benchmarks/busy_cores.py                 # 4e6 units, 21 calls per setting
    .venv/bin/python benchmarks/busy_cores.py --python /tmp/before_venv/bin/python --label before
    .venv/bin/python benchmarks/busy_cores.py --n 1e5 --calls 3 --check   # smoke test

Workload: ``n`` units x 10 float64 indicators (uniform on [0, 1), cutoff 0.3, global-MPI
weights 4 x 1/6 + 6 x 1/18, k = 1/3), sampling weights and 5 groups, as ``benchmarks/run.py``.
Each setting runs in a fresh interpreter (the threading layer is chosen when numba first runs
a parallel kernel) with a warm numba cache: one warm-up call, then ``--calls`` timed calls of
``mpi.measure(df, spec, weight="w", by="g")``; the median and the best are reported.

Settings, each on a quiet machine and with one core kept busy by a spinning process (a pure
Python loop, started before the interpreter and stopped after it):

* ``default``: the package's defaults (what a user gets);
* ``1 thread``: ``NUMBA_NUM_THREADS=1`` (the floor the defaults must never be worse than);
* ``omp active``: numba's OpenMP layer with active waiting forced (``OMP_WAIT_POLICY=active``),
  the behaviour before issue 22.

The script exits non-zero when, with a busy core, the default is slower than one thread by
more than ``--tolerance`` (default 10 %, the run-to-run noise of this 2-core VM).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent

CHILD = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
import mpi
n, calls = int(float(sys.argv[1])), int(sys.argv[2])
rng = np.random.default_rng(0)
d = 10
df = pd.DataFrame({f"x{j}": rng.random(n) for j in range(d)})
df["w"] = rng.uniform(0.5, 2.0, n)
df["g"] = rng.integers(0, 5, n)
spec = mpi.Spec(
    [mpi.Indicator(f"x{j}", weight="1/6" if j < 4 else "1/18", cutoff=0.3) for j in range(d)],
    k="1/3",
)
mpi.measure(df.head(20_000), spec, weight="w", by="g")  # compile or load the kernels
mpi.measure(df, spec, weight="w", by="g")
times = []
for _ in range(calls):
    t = time.perf_counter()
    mpi.measure(df, spec, weight="w", by="g")
    times.append(time.perf_counter() - t)
import numba
print(json.dumps({"times": times, "layer": numba.threading_layer(),
                  "threads": numba.get_num_threads()}))
"""

SPIN = "while True:\n    pass\n"

SETTINGS = {
    "default": {},
    "1 thread": {"NUMBA_NUM_THREADS": "1"},
    "omp active": {"NUMBA_THREADING_LAYER": "omp", "OMP_WAIT_POLICY": "active"},
}


def run(python: str, n: float, calls: int, extra: dict, busy: bool) -> dict:
    """One setting in a fresh interpreter, with or without a spinning process."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER", "OMP_WAIT_POLICY")
    }
    env.update(extra, XMPI_PROGRESS="0")
    spinner = subprocess.Popen([sys.executable, "-c", SPIN]) if busy else None
    try:
        time.sleep(0.5 if busy else 0)
        proc = subprocess.run(  # cwd: not a source tree, so `python` imports its own install
            [python, "-c", CHILD, str(n), str(calls)],
            cwd=tempfile.gettempdir(),
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    t = sorted(out["times"])
    out["median"] = t[len(t) // 2]
    out["best"] = t[0]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--label", default="this")
    ap.add_argument("--n", type=float, default=4e6)
    ap.add_argument("--calls", type=int, default=21)
    ap.add_argument("--tolerance", type=float, default=0.10)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--check", action="store_true", help="smoke mode (no verdict, no file)")
    args = ap.parse_args(argv)
    lines = [
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"load average before: {os.getloadavg()[0]:.2f}; n = {args.n:.0e} units x 10 "
        f"indicators x 5 groups; {args.calls} calls per setting",
        f"- Interpreter: `{args.python}` ({args.label})",
        "",
        "| install | setting | threading layer, threads | quiet: median (best) ms | "
        "one core busy: median (best) ms |",
        "|---|---|---|---:|---:|",
    ]
    busy_median = {}
    for name, extra in SETTINGS.items():
        quiet = run(args.python, args.n, args.calls, extra, busy=False)
        busy = run(args.python, args.n, args.calls, extra, busy=True)
        busy_median[name] = busy["median"]
        lines.append(
            f"| {args.label} | {name} | {busy['layer']}, {busy['threads']} | "
            f"{1e3 * quiet['median']:.1f} ({1e3 * quiet['best']:.1f}) | "
            f"{1e3 * busy['median']:.1f} ({1e3 * busy['best']:.1f}) |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out and not args.check:
        args.out.write_text(text)
    ratio = busy_median["default"] / busy_median["1 thread"]
    print(f"busy core: default / one thread = {ratio:.2f}")
    if not args.check and ratio > 1 + args.tolerance:
        print("the default is slower than one thread with a busy core")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
