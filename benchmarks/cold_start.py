#!/usr/bin/env python
"""Cold start: the first call of a fresh process with an empty numba cache, and with a warm one.

Run from the repository root::

    .venv/bin/python benchmarks/cold_start.py                       # every scenario, this venv
    .venv/bin/python benchmarks/cold_start.py --python /tmp/before_venv/bin/python \\
        --label before --out /tmp/cold_before.md                     # another install
    .venv/bin/python benchmarks/cold_start.py --scenarios design --check   # smoke test

Each scenario runs in a new interpreter whose ``NUMBA_CACHE_DIR`` is a new empty folder
(``cold``: every kernel the call needs is compiled), then again in another new interpreter
with that folder (``warm``: the kernels are loaded from the disk cache). Reported per run:
wall seconds of ``import mpi``, of loading the data, and of the first call (to a finished
``to_frame()``), the process's CPU seconds, and the numba compilations seen (numba's
``"numba:compile"`` events of the package's kernels and of numba's own helpers).

Scenarios (bundled data, so the calls are the users' first calls, not a benchmark's):

* ``design``: ``mpi.measure`` of the global MPI 2018 on the latest DHS-style round by region
  with ``design=mpi.Design("weight", strata="stratum", psu="psu")`` (linearised SEs);
* ``point``: the same without a design (point estimates);
* ``design+point``: both, in that order, in one process (the second call should compile
  nothing new);
* ``panel``: ``mpi.panel_states`` of the registry panel (China 2b3g) + ``mpi.transitions``;
* ``relapse``: ``mpi.panel_states`` + ``mpi.relapse``.

The script exits non-zero when a scenario fails, or (``--target``) when the cold ``design``
call takes longer than the target (10 s: issue 22).
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

#: The code of one scenario's process: prints one JSON line of timings.
CHILD = r"""
import json, os, sys, time, warnings
t0 = time.perf_counter()
import mpi
t_import = time.perf_counter() - t0
from numba.core import event
seen = {"ours": 0, "numba": 0}
class Listener(event.Listener):
    def on_start(self, ev):
        mod = getattr(ev.data["dispatcher"].py_func, "__module__", "") or ""
        seen["ours" if mod.startswith("mpi.") else "numba"] += 1
    def on_end(self, ev):
        pass
event.register("numba:compile", Listener())
warnings.simplefilter("ignore")
scenario = sys.argv[1]
t1 = time.perf_counter()
if scenario in ("design", "point", "design+point"):
    df = mpi.datasets.load("dhs_rounds")
    df = df[df["round"] == df["round"].max()]
    spec = mpi.presets.load("global_mpi_2018")
else:
    panel = mpi.datasets.load("registry_panel", format="xarray")
    spec = mpi.presets.load("china_2b3g")
t_data = time.perf_counter() - t1
calls = []
def timed(fn):
    t = time.perf_counter()
    fn().to_frame()
    calls.append(time.perf_counter() - t)
design = lambda: mpi.measure(
    df, spec, by="region", design=mpi.Design("weight", strata="stratum", psu="psu"))
point = lambda: mpi.measure(df, spec, weight="weight", by="region")
def states():
    return mpi.panel_states(panel, spec, unit="unit", time="time", weight="weight")
if scenario == "design":
    timed(design)
elif scenario == "point":
    timed(point)
elif scenario == "design+point":
    timed(design)
    timed(point)
elif scenario == "panel":
    timed(lambda: mpi.transitions(states()))
elif scenario == "relapse":
    timed(lambda: mpi.relapse(states()))
print(json.dumps({"import": t_import, "data": t_data, "calls": calls,
                  "cpu": time.process_time(), "compiled": seen}))
"""

SCENARIOS = ("design", "point", "design+point", "panel", "relapse")


def run_once(python: str, scenario: str, cache: Path) -> dict:
    """One process of ``scenario`` with ``cache`` as numba's cache folder."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), XMPI_PROGRESS="0")
    env.pop("XMPI_NUMBA_CACHE", None)
    t = time.perf_counter()
    proc = subprocess.run(
        [python, "-c", CHILD, scenario],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=tempfile.gettempdir(),
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{scenario} failed with {python}:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process"] = wall
    return out


def row(label: str, scenario: str, state: str, r: dict) -> str:
    calls = " + ".join(f"{c:.2f}" for c in r["calls"])
    return (
        f"| {label} | {scenario} | {state} | {r['process']:.2f} | {r['import']:.2f} | {calls} | "
        f"{r['cpu']:.1f} | {r['compiled']['ours']} / {r['compiled']['numba']} |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--python", default=sys.executable, help="interpreter of the install to time")
    ap.add_argument("--label", default="this", help="name of the install in the table")
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    ap.add_argument("--repeat", type=int, default=1, help="cold runs per scenario (best kept)")
    ap.add_argument("--target", type=float, default=None, help="fail if cold design > this (s)")
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    ap.add_argument("--check", action="store_true", help="smoke mode (no target, no file)")
    args = ap.parse_args(argv)

    lines = [
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"load average before: {os.getloadavg()[0]:.2f}",
        f"- Interpreter: `{args.python}` ({args.label})",
        "",
        "| install | scenario | cache | process s | import s | first call(s) s | CPU s | "
        "compiled (ours / numba's) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    cold_design = None
    with tempfile.TemporaryDirectory(prefix="xmpi-cold-") as tmp:
        for scenario in args.scenarios:
            best = None
            for i in range(max(1, args.repeat)):
                cache = Path(tmp) / f"{scenario}-{i}"
                cache.mkdir()
                r = run_once(args.python, scenario, cache)
                if best is None or r["process"] < best[0]["process"]:
                    best = (r, cache)
            cold, cache = best
            warm = run_once(args.python, scenario, cache)
            lines.append(row(args.label, scenario, "empty", cold))
            lines.append(row(args.label, scenario, "warm", warm))
            print(lines[-2], lines[-1], sep="\n", flush=True)
            if scenario == "design":
                cold_design = sum(cold["calls"])
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out and not args.check:
        args.out.write_text(text)
    if args.target is not None and not args.check and cold_design is not None:
        if cold_design > args.target:
            print(f"cold design call {cold_design:.1f} s > target {args.target} s")
            return 1
        print(f"cold design call {cold_design:.1f} s <= target {args.target} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
