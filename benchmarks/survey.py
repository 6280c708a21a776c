#!/usr/bin/env python
"""Benchmark design-based inference: linearised SEs and the Rao-Wu bootstrap.

Run from the repository root::

    .venv/bin/python benchmarks/survey.py                    # 1e4 .. 1e6 units, best of 15
    .venv/bin/python benchmarks/survey.py --sizes 1e4 --repeat 1 --check   # smoke test

Workload: the units of ``benchmarks/run.py`` (``n`` x 10 cardinal indicators, global-MPI
weights, ``k = 1/3``, 5 groups) in a stratified cluster sample: ``n / 100`` PSUs (10,000 at
1e6 units) in ``n / 2000`` strata (PSU labels unique), sampling weight ``w``.

Timed (best of ``--repeat`` after a warm-up):

* ``X.sum()``: one pass over the indicator values;
* point estimates: ``mpi.measure(df, spec, weight="w", by="g").to_dataset()``;
* linearised SEs for every estimand: ``r = mpi.measure(df, spec, by="g", design=d)`` then
  ``r.to_dataset()`` and ``r.se`` (H, A, M0, M1, M2, vulnerable, severe, intensity variance,
  uncensored and censored headcounts, indicator and dimension contributions, population
  shares and group contributions, by group);
* the same with no groups;
* point estimates and SEs are timed in alternation (point, SEs, point, ...), so that both
  best-of times come from the same stretch of a machine whose speed drifts; the table also
  gives the median ratio of those pairs;
* plain numpy textbook linearisation of H, M0 and A by group only (per-unit influence
  values, PSU totals by ``np.bincount``, stratum variance), checked against ``r.se`` to
  1e-10;
* Rao-Wu bootstrap, 1,000 replicates: ``mpi.measure(..., design=d.bootstrap(1000))`` + ``.se``
  and, separately, the replicate step alone (``.se`` on a result whose PSU totals exist).

``--memory`` instead measures resident memory, each call in a fresh process (after a
warm-up on 5,000 units): the peak above the resident size before the call (VmHWM reset
through ``/proc/self/clear_refs``), what stays after the call, and after ``del`` of the
result, for the point estimates and for the SEs (by ``g``), next to the size of the input.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    NAMES,
    WEIGHTS,
    Data,
    _reset_peak_rss,
    _status_kb,
    cpu_model,
    make_spec,
    source_version,
)

import mpi  # noqa: E402

ROOT = Path(__file__).resolve().parent


def with_design(data: Data) -> None:
    n = data.n
    n_psu = max(20, n // 100)
    rng = np.random.default_rng(7)
    psu = np.sort(rng.integers(0, n_psu, n))
    data.df["psu"] = psu
    data.df["stratum"] = psu // 20


def numpy_linearized(data: Data, k: float = 1 / 3) -> dict[str, np.ndarray]:
    """Textbook linearised SEs of H, M0 and A by group, as a user would write them."""
    X, w, g = data.X, data.w, data.g
    psu = data.df["psu"].to_numpy()
    strat = data.df["stratum"].to_numpy()
    dep = X < 0.3
    c = dep @ WEIGHTS
    poor = c >= k - 1e-9
    cp = c * poor
    n_psu = int(psu.max()) + 1
    psu_strat = np.zeros(n_psu, np.int64)
    psu_strat[psu] = strat
    n_h = np.bincount(psu_strat)
    out = {"H": [], "M0": [], "A": []}
    for gg in range(int(g.max()) + 1):
        dom = (g == gg) * w
        tot_w, tot_p, tot_cp = dom.sum(), (dom * poor).sum(), (dom * cp).sum()
        h, m0, a = tot_p / tot_w, tot_cp / tot_w, tot_cp / tot_p
        for name, z in (
            ("H", dom * (poor - h) / tot_w),
            ("M0", dom * (cp - m0) / tot_w),
            ("A", dom * (cp - a * poor) / tot_p),
        ):
            zt = np.bincount(psu, weights=z, minlength=n_psu)
            s1 = np.bincount(psu_strat, weights=zt)
            s2 = np.bincount(psu_strat, weights=zt * zt)
            var = (n_h / (n_h - 1) * (s2 - s1 * s1 / n_h)).sum()
            out[name].append(np.sqrt(var))
    return {k_: np.array(v) for k_, v in out.items()}


def best_of(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def bench(n: int, repeat: int, spec: mpi.Spec, log) -> dict:
    data = Data(n)
    with_design(data)
    df = data.df
    d = mpi.Design("w", strata="stratum", psu="psu")
    t: dict[str, float] = {}
    t["sum"], _ = best_of(lambda: data.X_cols.sum(), repeat)

    def point(by):
        return mpi.measure(df, spec, weight="w", by=by).to_dataset()

    def lin(by):
        r = mpi.measure(df, spec, by=by, design=d)
        r.to_dataset()
        return r, r.se

    # point estimates and SEs timed in alternation, so that both best-of times come from the
    # same stretch of a machine whose speed drifts; also the median ratio of the pairs
    for by, sfx in (("g", ""), (None, "_nog")):
        tp, ts, ratios = [], [], []
        for _ in range(repeat):
            tp.append(best_of(lambda by=by: point(by), 1)[0])
            dt, out = best_of(lambda by=by: lin(by), 1)
            ts.append(dt)
            ratios.append(ts[-1] / tp[-1])
            if by:
                res, se = out
        t["point" + sfx], t["se" + sfx] = min(tp), min(ts)
        t["ratio_med" + sfx] = float(np.median(ratios))
    t["numpy"], ref = best_of(lambda: numpy_linearized(data), repeat)
    err = max(float(np.max(np.abs(se[v].values - ref[v]))) for v in ("H", "M0", "A"))
    log(f"  n={n:.0e}: numpy textbook vs mpi SE max |diff| = {err:.2e}")
    if not err < 1e-10:
        raise SystemExit(f"numpy and mpi linearised SEs disagree ({err:.2e})")
    boot = d.bootstrap(1000, seed=1)
    t["boot"], _ = best_of(lambda: mpi.measure(df, spec, by="g", design=boot).se, repeat)
    r = mpi.measure(df, spec, by="g", design=boot)

    def replicate_step():
        r.__dict__.pop("_estimates", None)
        r.__dict__.pop("_se", None)
        return r.se

    t["boot_step"], _ = best_of(replicate_step, repeat)
    return {"n": n, "n_psu": int(df["psu"].nunique()), "t": t}


def memory_probe(n: int, what: str) -> dict:
    """One call (``what``: ``"point"`` or ``"se"``) on ``n`` units in this process: resident
    MB above the level before the call at its peak, after it and after ``del`` of the
    result, the input's size and the call's time."""
    spec = make_spec()
    warm = Data(5000, seed=1)
    with_design(warm)
    d = mpi.Design("w", strata="stratum", psu="psu")

    def call(df):
        if what == "se":
            r = mpi.measure(df, spec, by="g", design=d)
            r.to_dataset()
            return r, r.se
        return (mpi.measure(df, spec, weight="w", by="g").to_dataset(),)

    call(warm.df)
    del warm
    data = Data(n)
    with_design(data)
    gc.collect()
    base = _status_kb("VmRSS")
    if not _reset_peak_rss():
        raise SystemExit("--memory needs /proc/self/clear_refs (Linux)")
    t0 = time.perf_counter()
    out = call(data.df)
    dt = time.perf_counter() - t0
    peak, after = _status_kb("VmHWM"), _status_kb("VmRSS")
    del out
    gc.collect()
    freed = _status_kb("VmRSS")
    return {
        "n": n,
        "what": what,
        "time": dt,
        "input": float(data.df.memory_usage(deep=True).sum()) / 2**20,
        "peak": (peak - base) / 1024,
        "after": (after - base) / 1024,
        "after_del": (freed - base) / 1024,
    }


def memory_table(sizes: list[float]) -> str:
    """Memory of point estimates and SEs per size, each call in a fresh process."""
    lines = [
        "| n | input (MB) | call | time (s) | peak above start (MB) | after the call (MB) | "
        "after `del` (MB) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for n in sizes:
        for what in ("point", "se"):
            proc = subprocess.run(
                [sys.executable, __file__, "--memory-probe", str(int(n)), what],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            lines.append(
                f"| {r['n']:.0e} | {r['input']:.0f} | {what} | {r['time']:.2f} | "
                f"{r['peak']:.0f} | {r['after']:.0f} | {r['after_del']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def render(rows: list[dict], meta: str) -> str:
    lines = [
        "| n | PSUs | X.sum() | point (by g) | SEs, all estimands (by g) | SE / point | "
        "SE / point, median of pairs | "
        "SEs, no groups | SE / point (no groups) | median of pairs (no groups) | "
        "numpy textbook (H, M0, A) | bootstrap 1000 total | of which replicate step |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        t = r["t"]
        lines.append(
            f"| {r['n']:.0e} | {r['n_psu']:,} | {t['sum']:.4f} | {t['point']:.4f} | "
            f"{t['se']:.4f} | {t['se'] / t['point']:.1f} | {t['ratio_med']:.1f} | "
            f"{t['se_nog']:.4f} | "
            f"{t['se_nog'] / t['point_nog']:.1f} | {t['ratio_med_nog']:.1f} | "
            f"{t['numpy']:.4f} | {t['boot']:.3f} | "
            f"{t['boot_step']:.3f} |"
        )
    return meta + "\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--check", action="store_true", help="smoke test: run, cross-check, no file")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--memory", action="store_true", help="resident memory, fresh processes")
    p.add_argument("--memory-probe", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_probe:
        print(json.dumps(memory_probe(int(args.memory_probe[0]), args.memory_probe[1])))
        return 0
    if args.memory:
        print(memory_table(args.sizes))
        return 0
    spec = make_spec()
    warm = Data(5000, seed=1)
    with_design(warm)
    for by in ("g", None):  # compile every path before timing
        d = mpi.Design("w", strata="stratum", psu="psu")
        _ = mpi.measure(warm.df, spec, by=by, design=d).se
        _ = mpi.measure(warm.df, spec, by=by, weight="w").to_dataset()
    rows = [bench(int(n), args.repeat, spec, print) for n in args.sizes]
    meta = (
        f"Survey inference benchmark, {_dt.date.today()}, xmpi {source_version()}, "
        f"{cpu_model()}, Python {platform.python_version()}, numpy {np.__version__}; "
        f"best of {args.repeat}; seconds. Indicators: {', '.join(NAMES[:2])}, … (10)."
    )
    text = render(rows, meta)
    print(text)
    out = args.out or (None if args.check else ROOT / "survey_results.md")
    if out is not None:
        out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
