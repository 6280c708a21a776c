#!/usr/bin/env python
"""Whole-process time of one poverty estimate with standard errors: xmpi against Python mpitb.

Run from the repository root (``pip install -e '.[bench]'`` installs ``mpitb``)::

    .venv/bin/python benchmarks/process.py                          # 1e6 and 1e7, best of 3
    .venv/bin/python benchmarks/process.py --sizes 1e5 --repeat 1   # smoke test
    .venv/bin/python benchmarks/process.py --out benchmarks/process_results.md

Data (written once to ``--data``, default ``/tmp/xmpi_process``): ``n`` households with an
id ``hhid``, ten 0/1 deprivation flags ``d1 .. d10`` (prevalence 13 % .. 40 %), a sampling
weight ``weight`` (4 decimals), ``psu`` (about 100 households each, sorted), ``stratum``
(20 PSUs each) and ``region`` (10 regions), as CSV.

The job (each a fresh Python process, timed with ``/usr/bin/time``: wall seconds, CPU
seconds (user + system: the fair number on a shared machine; xmpi's parser and kernels use
every core, so its wall time is lower than its CPU time on a quiet machine) and peak resident
memory): read the CSV, measure the global-MPI-like nested weights (d1-d2 and d3-d4
1/6 each, d5-d10 1/18 each) at ``k = 1/3`` by region with survey-design standard errors
(weight, strata, PSU), write the estimates as CSV.

* ``mpitb``: Python ``mpitb`` (PyPI): ``pandas.read_csv``, ``svyset``, ``est(svy=True,
  over=["region"], klist=[33])``, the records written with ``to_csv``;
* ``xmpi API``: ``import mpi``, ``mpi.read``, ``mpi.measure(..., design=mpi.Design("weight",
  strata="stratum", psu="psu"), by="region")``, ``.to_frame().to_csv``;
* ``xmpi API, before`` (with ``--before PYTHON``): the API job under another install;
* ``xmpi CLI``: ``mpi measure data.csv --spec spec.yml --weight weight --strata stratum --psu
  psu --by region --tables-only --no-progress --out DIR``.

Each job runs once untimed first (numba's cache is warm for the timed runs: the numbers are
per-process cost, not compile cost; the OS file cache holds the CSV), then ``--repeat`` times;
the best wall and CPU times are reported (the largest peak memory). Rows of the table: seconds, peak MB, and mpitb's time over xmpi's.
``--profile`` also prints where an xmpi API process spends its time (imports, reading,
measuring, writing) from timestamps taken inside one extra run.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

MPITB_JOB = """\
import sys, pandas as pd
from mpitb.core import MPIToolbox
df = pd.read_csv(sys.argv[1])
m = MPIToolbox(); m.svyset(psu="psu", weight="weight", strata="stratum")
m.set(name="g", dimensions=[(["d1", "d2"], "hl"), (["d3", "d4"], "ed"),
      ([f"d{j}" for j in range(5, 11)], "ls")])
res = m.est(df=df, name="g", klist=[33], svy=True, over=["region"])
pd.DataFrame(res).to_csv(sys.argv[2], index=False)
"""

XMPI_JOB = """\
import sys, time
marks = [("start", time.perf_counter())]
import mpi
marks.append(("import mpi", time.perf_counter()))
spec = mpi.Spec.from_dimensions(
    {"hl": ["d1", "d2"], "ed": ["d3", "d4"], "ls": [f"d{j}" for j in range(5, 11)]}, k="1/3"
)
columns = [*spec.variables, "weight", "stratum", "psu", "region"]
data = mpi.read(sys.argv[1], columns=columns)
marks.append(("read CSV", time.perf_counter()))
res = mpi.measure(data, spec, design=mpi.Design("weight", strata="stratum", psu="psu"),
                  by="region")
marks.append(("measure (kernels loaded, run)", time.perf_counter()))
res.to_frame().to_csv(sys.argv[2], index=False)
marks.append(("to_frame + write", time.perf_counter()))
if len(sys.argv) > 3:
    for (_, a), (name, b) in zip(marks, marks[1:]):
        print(f"{name}\\t{b - a:.3f}", file=sys.stderr)
"""

SPEC_YAML = """\
name: process_benchmark
k: 1/3
indicators:
""" + "".join(
    f"- {{name: d{j}, dimension: {dim}, variable: d{j}, weight: {w}}}\n"
    for j, dim, w in [
        *((j, "hl", "1/6") for j in (1, 2)),
        *((j, "ed", "1/6") for j in (3, 4)),
        *((j, "ls", "1/18") for j in range(5, 11)),
    ]
)


def generate(n: int, path: Path) -> None:
    """Write the benchmark CSV of ``n`` households (seeded, the same file every time)."""
    rng = np.random.default_rng(1)
    psu = np.sort(rng.integers(0, max(n // 100, 1), n))
    stratum = psu // 20
    region = (stratum * 10 // (stratum.max() + 1)).astype(np.int64)
    flags = {f"d{j}": (rng.random(n) < 0.1 + 0.03 * j).astype(np.int8) for j in range(1, 11)}
    frame = pd.DataFrame(
        {
            "hhid": np.arange(n),
            **flags,
            "weight": rng.uniform(0.5, 2, n).round(4),
            "psu": psu,
            "stratum": stratum,
            "region": region,
        }
    )
    tmp = path.with_suffix(".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``cmd`` under ``/usr/bin/time``: (wall seconds, CPU seconds, peak resident MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        proc = subprocess.run(
            ["/usr/bin/time", "-o", report.name, "-f", "%e %U %S %M", *cmd],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
        wall, user, system, kb = report.read().split()[-4:]
    return float(wall), float(user) + float(system), float(kb) / 1024


def jobs(csv: Path, work: Path, before: str | None = None) -> dict[str, list[str]]:
    """The three commands for one data file (and the API job under ``before``'s Python)."""
    (work / "mpitb_job.py").write_text(MPITB_JOB)
    (work / "xmpi_job.py").write_text(XMPI_JOB)
    (work / "spec.yml").write_text(SPEC_YAML)
    python = sys.executable
    return {
        "mpitb": [python, str(work / "mpitb_job.py"), str(csv), str(work / "mpitb.csv")],
        "xmpi API": [python, str(work / "xmpi_job.py"), str(csv), str(work / "xmpi.csv")],
        "xmpi CLI": [
            str(BIN / "mpi"), "measure", str(csv), "--spec", str(work / "spec.yml"),
            "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "region",
            "--tables-only", "--no-progress", "--out", str(work / "cli"),
        ],
        **({"xmpi API, before": [
            before, str(work / "xmpi_job.py"), str(csv), str(work / "before.csv")
        ]} if before else {}),
    }  # fmt: skip


def check_same(work: Path) -> str:
    """H, A and M0 of xmpi by region against mpitb's point estimates (mpitb SEs differ)."""
    ours = pd.read_csv(work / "xmpi.csv")
    theirs = pd.read_csv(work / "mpitb.csv")
    worst = 0.0
    for measure in ("H", "A", "M0"):
        mine = ours[(ours["measure"] == measure) & ours["region"].notna()]
        mine = mine.set_index(mine["region"].astype(int))["estimate"]
        other = theirs[(theirs["measure"] == measure) & (theirs["loa"] == "region")]
        other = other.set_index(other["subg"].astype(int))["b"]
        worst = max(worst, float((mine - other.reindex(mine.index)).abs().max()))
    return f"max |xmpi - mpitb| over H, A, M0 by region: {worst:.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1e6", "1e7"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", default="/tmp/xmpi_process", help="folder of the CSV files")
    parser.add_argument("--out", help="write the markdown table to this file as well")
    parser.add_argument("--skip", nargs="*", default=[], help="jobs to leave out")
    parser.add_argument("--profile", action="store_true", help="where xmpi's time goes")
    parser.add_argument(
        "--before",
        help="the Python of another xmpi install (say the previous release): its API job is "
        "timed too, with its own numba cache (NUMBA_CACHE_DIR + '_before')",
    )
    args = parser.parse_args()
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    rows = []
    notes = []
    for size in args.sizes:
        n = int(float(size))
        csv = data / f"process_{n}.csv"
        if not csv.exists():
            print(f"generating {csv} ...", file=sys.stderr)
            generate(n, csv)
        work = Path(tempfile.mkdtemp(prefix="xmpi_process_"))
        try:
            commands = {k: v for k, v in jobs(csv, work, args.before).items() if k not in args.skip}
            envs = {name: env for name in commands}
            if args.before:
                cache = env.get("NUMBA_CACHE_DIR", str(data / "numba_cache"))
                envs["xmpi API, before"] = {**env, "NUMBA_CACHE_DIR": cache + "_before"}
            best: dict[str, tuple[float, float, float]] = {}
            for name, cmd in commands.items():
                timed(cmd, envs[name])  # warm numba's cache and the OS file cache: not timed
            for _ in range(args.repeat):  # interleaved: every job once per round
                for name, cmd in commands.items():
                    wall, cpu, mb = timed(cmd, envs[name])
                    old = best.get(name, (wall, cpu, mb))
                    best[name] = (min(wall, old[0]), min(cpu, old[1]), max(mb, old[2]))
            if "mpitb" in best and "xmpi API" in best:
                notes.append(f"{size}: {check_same(work)}")
            if args.profile and "xmpi API" in commands:
                proc = subprocess.run(
                    [*commands["xmpi API"], "profile"], env=env, capture_output=True, text=True
                )
                notes.append(f"{size}: xmpi API process: " + "; ".join(
                    line.replace("\t", " ") + " s" for line in proc.stderr.splitlines()
                    if "\t" in line
                ))  # fmt: skip
        finally:
            shutil.rmtree(work, ignore_errors=True)
        base = best.get("mpitb", (float("nan"), float("nan"), 0.0))
        for name, (wall, cpu, mb) in best.items():
            rows.append((f"{n:.0e}", name, wall, cpu, mb, base[0] / wall, base[1] / cpu))
    lines = [
        f"Whole process: read CSV, measure by region with design SEs, write "
        f"({_dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores, best of "
        f"{args.repeat}, warm numba cache)",
        "",
        "| units | job | wall s | CPU s | peak MB | mpitb / this (wall) | mpitb / this (CPU) |",
        "|---|---|---:|---:|---:|---:|---:|",
        *(
            f"| {n} | {name} | {w:.2f} | {c:.2f} | {mb:.0f} | {rw:.1f}x | {rc:.1f}x |"
            for n, name, w, c, mb, rw, rc in rows
        ),
        "",
        *(f"- {note}" for note in notes),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
